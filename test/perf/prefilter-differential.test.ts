// issue 8: the raw-line prefilter must change nothing but speed. Real corpora (the
// shared third-party corpus when present, the golden scenario) and fuzzed k8s-audit
// lines are replayed with and without it; alerts, per-source counts and the engine's
// final state (snapshot) must be identical. Per line, whenever the scanner accepts a
// line, the full parser must accept it too and agree on every value the scanner read.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { Config } from '../../schemas/config.js';
import type { InputKind } from '../../schemas/event.js';
import { runReplay } from '../../services/cli/replay-run.js';
import { compilePrefilter, prefilterBlocker } from '../../services/engine/prefilter.js';
import { parseK8sAudit } from '../../services/parsers/k8s-audit.js';
import { scanK8sAuditLine, TimeCache } from '../../services/parsers/k8s-audit-scan.js';
import { parseRfc3339 } from '../../services/lib/time.js';
import { rules } from '../../rules/index.js';
import { k8sAuditLines, mulberry32 } from '../../bench/gen.js';
import { CORPUS, corpusDir, corpusPresent } from '../conformance/corpus-helpers.js';
import { SCENARIO_FILES } from '../../services/cli/run/scenario.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SCENARIO = join(ROOT, 'test/fixtures/scenario');
const quiet = new Writable({ write: (_c, _e, cb) => cb() });
const dir = mkdtempSync(join(tmpdir(), 'tripline-prefilter-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Spec = { kind: InputKind; path: string; name?: string };

/** Replays without the prefilter, and with it in both scanner builds (WebAssembly, then JavaScript). */
async function both(specs: Spec[], config = Config.parse({}), year = 2026, range: { fromMs?: number; toMs?: number } = {}) {
  const run = (prefilter: boolean) =>
    runReplay({ specs, config, readOpts: { year }, io: { stderr: quiet, stdin: process.stdin, now: () => 0 }, prefilter, snapshot: true, ...range });
  const on = await run(true);
  process.env['TRIPLINE_SCANNER'] = 'js';
  const onJs = await run(true).finally(() => delete process.env['TRIPLINE_SCANNER']);
  const off = await run(false);
  return { on, onJs, off };
}

function expectSame(r: Awaited<ReturnType<typeof both>>): void {
  for (const on of [r.on, r.onJs]) {
    expect(JSON.stringify(on.alerts)).toBe(JSON.stringify(r.off.alerts));
    expect(on.events).toEqual(r.off.events);
    expect(on.errors).toEqual(r.off.errors);
    expect(on.snapshot).toEqual(r.off.snapshot);
  }
  expect(r.on.quiet).toEqual(r.onJs.quiet);
  expect(r.off.quiet).toEqual({});
}

const file = (name: string, lines: string[]): string => {
  const p = join(dir, name);
  writeFileSync(p, `${lines.join('\n')}\n`);
  return p;
};

// ---------------------------------------------------------------- fuzzing

/** Mutations that keep a line valid (other field order, escapes, odd values) or break it. */
function mutate(line: string, r: () => number): string {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const o = JSON.parse(line) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  switch (Math.floor(r() * 30)) {
    case 0:
      return line.slice(0, Math.floor(r() * line.length)); // truncated
    case 1: {
      const i = Math.floor(r() * line.length);
      return line.slice(0, i) + pick(['"', '\\', '\t', '\u0000', ',', '}', ']', '{', 'x', ' ', '\u00e9', '\ud800']) + line.slice(i + 1);
    }
    case 2:
      return line.replace('"verb":"', pick(['"verb": "', '"verb" :"', ' "verb":"']));
    case 3:
      return `${line.slice(0, -1)},"verb":"${pick(['delete', 'create', 'get'])}"}`; // duplicate key, last wins
    case 4:
      o.sourceIPs = pick([['203.0.113.9'], ['10.0.20.15', '198.51.100.23'], [], ['::ffff:10.0.20.5'], ['2001:db8::1'], ['not-an-ip'], ['']]);
      return JSON.stringify(o);
    case 5:
      o.user.username = pick(['', 'system:anonymous', 'me@viktorbarzin.me', 'kubernetes-admin', 'a"b', 'caf\u00e9', 'system:serviceaccount:x:y', 'system:node:k8s-node1', 'system:serviceaccount:woodpecker:ci']);
      return JSON.stringify(o);
    case 6:
      o.stageTimestamp = pick(['2026-06-10T00:00:00Z', '2026-06-10T00:00:59.5Z', '2026-06-10T00:00:60.1Z', '2026-06-10T00:00:00.123456789123Z', '2026-06-10T01:00:00.100+01:00', '2026-02-31T00:00:00.1Z', 'yesterday', '2026-06-10t00:00:00.120Z', '2026-06-10 00:00:00.5Z', '0050-01-01T00:00:00.5Z']);
      return JSON.stringify(o);
    case 7:
      delete o.stageTimestamp;
      return JSON.stringify(o);
    case 8:
      o.objectRef = { ...o.objectRef, resource: pick(['secrets', 'pods', 'clusterroles', 'rolebindings', 'clusterrolebindings', 'configmaps', 'leases', 'a:b', '']) };
      o.verb = pick(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection']);
      o.objectRef.namespace = pick(['vault', 'kube-system', 'default', undefined]);
      o.objectRef.name = pick(['kubeadm-config', 'x', undefined]);
      return JSON.stringify(o);
    case 9:
      o.objectRef = { ...o.objectRef, resource: 'pods', subresource: pick(['exec', 'attach', 'log', 'status']), namespace: pick(['kube-system', 'vault', 'default']) };
      o.verb = pick(['create', 'get']);
      return JSON.stringify(o);
    case 10:
      o.requestObject = pick([null, { rules: [{ verbs: ['*'], resources: ['*'] }] }, { a: { b: { c: { d: { e: 1 } } } } }, [1, 2, 3], 'x']);
      return JSON.stringify(o);
    case 11:
      o.kind = pick(['EventList', 'Foo', 'Event']);
      return JSON.stringify(o);
    case 12:
      o.responseStatus = pick([{ metadata: {}, code: 403 }, { metadata: {}, code: 200.5 }, { metadata: {}, status: 'Failure', message: 'no "x"', reason: 'Forbidden', code: 403 }, null, { code: '200' }]);
      return JSON.stringify(o);
    case 13:
      return JSON.stringify(o, null, pick([0, 1])).replace(/\n/g, ' ');
    case 14: {
      const { kind, ...rest } = o; // other key order
      return JSON.stringify({ ...rest, kind });
    }
    case 15:
      o.impersonatedUser = { username: 'system:serviceaccount:x:y' };
      return JSON.stringify(o);
    case 16:
      o.requestURI = `${o.requestURI}?a=1&b=<2>`;
      return JSON.stringify(o).replace(/&/g, '\\u0026').replace(/</g, '\\u003c');
    case 17:
      o.user.groups = pick([null, ['a', 'b'], 'x', [1]]);
      return JSON.stringify(o);
    case 18:
      o.annotations = pick([null, { a: 'b' }, { a: 1 }, {}]);
      return JSON.stringify(o);
    case 19:
      o.auditID = pick(['', 'x', 7]);
      return JSON.stringify(o);
    case 20:
      return `${line}   `;
    case 21:
      return ` ${line}`;
    case 22:
      return line.replace('"user":{"username"', '"user":{"uid":"1","username"');
    case 23:
      o.sourceIPs = ['10.10.0.1', 'a\\"b'];
      return JSON.stringify(o);
    case 25:
      o.verb = pick(['delete', 'deletecollection']);
      o.objectRef = { ...o.objectRef, resource: pick(['pods', 'secrets', 'configmaps']), apiGroup: pick([undefined, '', 'apps']), subresource: pick([undefined, '', 'eviction']) };
      o.responseStatus = { metadata: {}, code: pick([200, 404, 403, 201]) };
      return JSON.stringify(o);
    case 24:
      return line.replace(/"stageTimestamp":"[^"]*"/, '"stageTimestamp":"2026-06-10T00:00:0\\u0031.5Z"');
    default:
      return line; // most lines stay as generated
  }
}

function fuzzedLines(seed: number, n: number): string[] {
  const r = mulberry32(seed);
  const gen = k8sAuditLines(seed, 300);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const line = gen(i);
    out.push(r() < 0.5 ? mutate(line, r) : line);
  }
  return out;
}

describe('k8s-audit line scanner', () => {
  it('accepts only lines the parser accepts, and reads exactly what the parser reads', () => {
    const times = new TimeCache();
    let accepted = 0;
    const lines = [...fuzzedLines(1, 6000), ...readFileSync(join(SCENARIO, 'k8s-audit.log'), 'utf8').split('\n')];
    for (const line of lines) {
      const scan = scanK8sAuditLine(line, times);
      if (scan === null) continue;
      accepted++;
      const r = parseK8sAudit(line, { kind: 'k8s-audit', sourceName: 's', position: 'line 1', carry: {} });
      expect(r.ok, line).toBe(true);
      if (!r.ok) continue;
      const e = r.event;
      expect(scan.view, line).toEqual({
        verb: e.k8s!.verb,
        username: e.actor.name,
        addrs: e.client.addrs,
        resource: e.target.resource,
        subresource: e.target.subresource,
        apiGroup: e.target.apiGroup,
        namespace: e.target.namespace,
        name: e.target.name,
        code: e.k8s!.code,
        hasRequestObject: e.k8s!.hasRequestObject,
      });
      expect(scan.time, line).toEqual({ iso: e.ts, ms: e.tsMs, subNs: e.tsSubNs });
    }
    expect(accepted).toBeGreaterThan(3000); // not vacuous
  });

  it('converts times exactly as parseRfc3339, minute after minute', () => {
    const r = mulberry32(5);
    const times = new TimeCache();
    let ms = Date.UTC(2026, 0, 1);
    for (let i = 0; i < 20_000; i++) {
      ms += Math.floor(r() * 5000);
      const digits = 1 + Math.floor(r() * 9);
      const frac = String(Math.floor(r() * 10 ** digits)).padStart(digits, '0');
      const base = new Date(ms).toISOString().slice(0, 19);
      const text = r() < 0.05 ? `${base.slice(0, 17)}60.${frac}Z` : `${base}.${frac}Z`;
      expect(times.parse(text), text).toEqual(parseRfc3339(text));
    }
  });
});

describe('replay with and without the prefilter', () => {
  it('the rule set allows a k8s-audit prefilter (a rule without an interest would turn it off)', () => {
    expect(prefilterBlocker(rules, Config.parse({}), 'k8s-audit')).toBeNull();
    expect(compilePrefilter(rules, Config.parse({}), 'syslog')).toBeNull();
    const noInterest = rules.map((r) => (r.id === 'K4' ? { ...r, interest: undefined } : r));
    expect(prefilterBlocker(noInterest, Config.parse({}), 'k8s-audit')).toContain('K4');
  });

  it('the golden scenario (all inputs): same alerts, counts and engine state', async () => {
    const inputs: Spec[] = SCENARIO_FILES.map(({ kind, file }) => ({ kind, path: join(SCENARIO, file) }));
    const r = await both(inputs);
    expectSame(r);
    expect(Object.values(r.on.quiet)[0]).toBeGreaterThan(100);
  });

  it.skipIf(!corpusPresent)('the shared k8s-audit corpus: same alerts, counts and engine state', async () => {
    const files = [...corpusDir('k8s-audit').filter((f) => f.endsWith('.log')), ...corpusDir('k8s-audit/falco-trace-files')];
    const lines = files.flatMap((f) => readFileSync(f, 'utf8').split('\n').filter(Boolean));
    expect(lines.length).toBeGreaterThan(10);
    expectSame(await both([{ kind: 'k8s-audit', path: file('corpus.log', lines) }]));
    expect(CORPUS).toBeTruthy();
  });

  it('fuzzed k8s-audit lines (valid, broken, reordered, attacks), alone and merged with another input', async () => {
    for (const seed of [11, 12, 13]) {
      const k8s = file(`fuzz-${seed}.log`, fuzzedLines(seed, 4000));
      const r = await both([{ kind: 'k8s-audit', path: k8s }]);
      expectSame(r);
      expect(Object.values(r.on.quiet)[0]).toBeGreaterThan(1000);
      expect(r.off.alerts.length).toBeGreaterThan(0);
      expectSame(await both([{ kind: 'k8s-audit', path: k8s }, { kind: 'syslog', path: join(SCENARIO, 'auth.log') }]));
    }
  });

  it('a time range (--from, --to) cutting through the runs of quiet lines', async () => {
    const lines = fuzzedLines(31, 4000);
    const k8s = file('fuzz-range.log', lines);
    const times = lines.map((l) => parseRfc3339(/"stageTimestamp":"([^"]+)"/.exec(l)?.[1] ?? '')?.ms).filter((t): t is number => t !== undefined);
    const fromMs = times[1000]!;
    const toMs = times[3000]! + 1;
    const r = await both([{ kind: 'k8s-audit', path: k8s }], Config.parse({}), 2026, { fromMs, toMs });
    expectSame(r);
    const all = await both([{ kind: 'k8s-audit', path: k8s }]);
    // Not vacuous: the range drops lines, and what is left still takes the prefilter.
    expect(Object.values(r.on.events)[0]).toBeLessThan(Object.values(all.on.events)[0]! - 1000);
    expect(Object.values(r.on.quiet)[0]).toBeGreaterThan(500);
  });

  it('a config that changes what rules look at (networks, namespaces, critical objects, disabled rules)', async () => {
    const k8s = file('fuzz-config.log', fuzzedLines(21, 3000));
    const config = Config.parse({
      networks: { trusted: ['10.0.20.0/22'], devvm: [] },
      k8s: { sensitiveSecretNamespaces: ['*'], auditCriticalObjects: ['leases:kube-system/*'] },
      rules: { K2: { enabled: false } },
    });
    expectSame(await both([{ kind: 'k8s-audit', path: k8s }], config));
  });
});
