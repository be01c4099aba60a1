// The golden scenario's files are generated (test/fixtures/scenario/generate.ts) and
// committed. This test keeps them honest:
// - the committed files equal the generator's output byte for byte (no drift);
// - every line parses with its input kind through the real reader, except exactly the
//   lines the generator meant as garbage, and each file is in event-time order;
// - the story's load-bearing facts hold (the k8s-audit silence, the Snort error burst,
//   the sealed stretch), every rule of docs/rules.md is expected to fire, and README.md
//   cites every evidence and near-miss line by its current file:line.
//
// Regenerate after changing the generator:
//   UPDATE_SCENARIO=1 npx vitest run test/scenario/scenario-files.test.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { SecurityEvent } from '../../schemas/event.js';
import { openInput, readInput } from '../../services/collectors/file-input.js';
import type { ParseResult } from '../../services/parsers/types.js';
import {
  EXPECTED_FILE,
  REPLAY_DATE,
  REPLAY_YEAR,
  RULE_ORDER,
  SCENARIO_INPUTS,
  type ScenarioInput,
  buildScenario,
} from '../fixtures/scenario/generate.js';

const DIR = fileURLToPath(new URL('../fixtures/scenario/', import.meta.url));
const START = Date.UTC(2026, 5, 10, 0, 0, 0);
const MIN = 60_000;
const scenario = buildScenario();
const names = Object.keys(scenario.files);
const inputs = Object.keys(SCENARIO_INPUTS) as ScenarioInput[];

const read = (name: string) => readFileSync(`${DIR}${name}`, 'utf8');

/** Every record of an input file, parsed through the same reader `tripline replay` uses. */
async function parseFile(name: ScenarioInput): Promise<Array<{ line: number; result: ParseResult }>> {
  const spec = { kind: SCENARIO_INPUTS[name], path: `${DIR}${name}`, name };
  const out: Array<{ line: number; result: ParseResult }> = [];
  for await (const batch of readInput(spec, await openInput(spec), { year: REPLAY_YEAR, date: REPLAY_DATE })) {
    for (const r of batch) out.push({ line: r.record.lineNo, result: r.result });
  }
  return out;
}

const parsed = new Map<ScenarioInput, Array<{ line: number; result: ParseResult }>>();
const events = (name: ScenarioInput) => (parsed.get(name) ?? []).flatMap((r) => (r.result.ok ? [r.result.event] : []));

beforeAll(async () => {
  if (process.env.UPDATE_SCENARIO) for (const name of names) writeFileSync(`${DIR}${name}`, scenario.files[name]!);
  for (const name of inputs) parsed.set(name, await parseFile(name));
});

describe('scenario files', () => {
  it('the generator is deterministic', () => {
    expect(buildScenario().files).toEqual(scenario.files);
  });

  it.each(names)('%s equals the generator output byte for byte', (name) => {
    const want = scenario.files[name]!;
    const got = read(name);
    if (got !== want) {
      const a = got.split('\n');
      const b = want.split('\n');
      const i = a.findIndex((l, k) => l !== b[k]);
      expect.fail(`${name} differs from the generator at line ${i + 1} (run UPDATE_SCENARIO=1 to regenerate):\n  file: ${a[i]?.slice(0, 200)}\n  gen:  ${b[i]?.slice(0, 200)}`);
    }
  });

  it('stays under 2 MB in total and ASCII only', () => {
    const total = names.reduce((n, f) => n + Buffer.byteLength(scenario.files[f]!), 0);
    expect(total).toBeLessThan(2 * 1024 * 1024);
    for (const f of names) expect(/^[\x20-\x7e\n]*$/.test(scenario.files[f]!), f).toBe(true);
  });
});

describe('every line parses as intended', () => {
  it.each(inputs)('%s: only the intended garbage lines fail', (name) => {
    const failed = (parsed.get(name) ?? []).filter((r) => !r.result.ok).map((r) => r.line);
    const garbage = scenario.marks.filter((m) => m.file === name && m.mark.kind === 'garbage').map((m) => m.line);
    expect(failed).toEqual(garbage);
    expect(parsed.get(name)?.length).toBe(scenario.files[name]!.split('\n').length - 1);
  });

  it.each(inputs)('%s: events are valid, in time order, inside 00:00-02:00', (name) => {
    let prev = START;
    for (const e of events(name)) {
      SecurityEvent.parse(e);
      expect(e.tsMs, `${name} ${e.source.position}`).toBeGreaterThanOrEqual(prev);
      prev = e.tsMs;
    }
    expect(prev).toBeLessThan(START + 120 * MIN);
    expect(events(name).length).toBeGreaterThan(0);
  });
});

describe('the story holds', () => {
  const gaps = (name: ScenarioInput) => {
    const ts = [START, ...events(name).map((e) => e.tsMs), START + 120 * MIN];
    return ts.slice(1).map((t, i) => ({ from: ts[i]!, to: t, len: t - ts[i]! }));
  };

  it('k8s-audit goes silent for > 30 min once (H1), and every other source keeps talking', () => {
    const long = gaps('k8s-audit.log').filter((g) => g.len > 30 * MIN);
    expect(long).toHaveLength(1);
    const gap = long[0]!;
    expect(gap.len).toBeGreaterThan(40 * MIN);
    for (const name of inputs.filter((n) => n !== 'k8s-audit.log')) {
      expect(events(name).some((e) => e.tsMs > gap.from + 30 * MIN && e.tsMs < gap.to), name).toBe(true);
    }
    // k8s-audit (maxSilence 30 min) must not fall silent at the end of the replay either.
    expect(START + 120 * MIN - events('k8s-audit.log').at(-1)!.tsMs).toBeLessThan(2 * MIN);
  });

  it('snort-fast.log has a 10-minute window with >= 100 lines and > 1% errors (H2), and only that one', () => {
    const recs = parsed.get('snort-fast.log') ?? [];
    // An error takes the time of the previous event, as the replay does.
    let t = START;
    const timed = recs.map((r) => {
      if (r.result.ok) t = r.result.event.tsMs;
      return { t, bad: !r.result.ok };
    });
    const windows = new Map<number, { lines: number; bad: number }>();
    for (const r of timed) {
      const w = Math.floor((r.t - START) / (10 * MIN));
      const cur = windows.get(w) ?? { lines: 0, bad: 0 };
      cur.lines += 1;
      cur.bad += r.bad ? 1 : 0;
      windows.set(w, cur);
    }
    const firing = [...windows].filter(([, w]) => w.lines >= 100 && w.bad / w.lines > 0.01).map(([k]) => k);
    expect(firing).toEqual([3]); // 00:30-00:40
    // The other sources' stray lines sit in windows too small to judge.
    for (const name of inputs) {
      if (name === 'snort-fast.log') continue;
      expect((parsed.get(name) ?? []).filter((r) => !r.result.ok).length, name).toBeLessThanOrEqual(1);
    }
  });

  it('Vault writes nothing while sealed (01:20-01:26)', () => {
    const seal = events('vault-audit.log').find((e) => e.vault?.path === 'sys/seal');
    expect(seal?.vault?.type).toBe('request');
    const after = events('vault-audit.log').filter((e) => e.tsMs > seal!.tsMs);
    expect(after[0]!.tsMs - seal!.tsMs).toBeGreaterThan(5 * MIN);
  });

  it('every evidence line parses to the facts its rule reads', () => {
    const has = (xs: string[] | undefined, x: string) => (xs ?? []).includes(x);
    const facts: Record<string, (e: SecurityEvent) => boolean> = {
      K2: (e) => e.actor.kind === 'serviceaccount' && has(e.client.addrs, '198.51.100.23') && has(e.client.addrs, '10.0.20.15'),
      K3: (e) => e.target.resource === 'secrets' && e.target.namespace === 'vault' && ['get', 'list'].includes(e.k8s!.verb),
      K4: (e) => e.target.subresource === 'exec' && ['vault', 'dbaas'].includes(e.target.namespace!) && e.k8s!.stage === 'RequestReceived',
      K5: (e) => e.k8s!.verb === 'delete' && e.actor.name === 'kubernetes-admin' && e.k8s!.stage === 'RequestReceived',
      K6: (e) => e.k8s!.verb === 'update' && e.target.name === 'kubeadm-config' && e.target.namespace === 'kube-system',
      K7: (e) => e.target.resource === 'clusterroles' && e.k8s!.hasRequestObject,
      K8: (e) => e.target.resource === 'clusterrolebindings' && e.k8s!.hasRequestObject,
      K9: (e) => e.actor.name === 'me@viktorbarzin.me' && has(e.client.addrs, '203.0.113.50'),
      V1: (e) => e.vault!.type === 'response' && has(e.vault!.issued?.policies, 'root'),
      V2: (e) => e.vault!.path === 'sys/audit/syslog' && e.action === 'audit.config' && e.vault!.type === 'request',
      V3: (e) => e.action === 'seal' && e.vault!.type === 'request',
      V4: (e) => e.action === 'policy.write' && e.target.name === 'admin-lite',
      V5: (e) => e.action === 'auth.failure' && e.vault!.error === null && e.vault!.responseDataError && e.vault!.issued === null,
      V6: (e) => has(e.vault!.issued?.policies, 'admin-lite') && !has(e.vault!.callerPolicies, 'admin-lite') && !has(e.vault!.callerPolicies, 'root'),
      V7: (e) => e.vault!.displayName === 'oidc-me@viktorbarzin.me' && has(e.client.addrs, '203.0.113.50') && e.vault!.type === 'request',
      S1: (e) => e.action === 'auth.success' && has(e.client.addrs, '203.0.113.50') && e.host === 'pve',
      S2: (e) => e.action === 'auth.failure' && e.client.addrs.join() === '192.0.2.44' && e.ssh!.failures === 1,
      S3: (e) => e.client.addrs.join() === '192.0.2.201' && (e.action === 'auth.success' || e.ssh!.localPort === 52222),
      N1: (e) => e.action === 'drone.register',
      N2: (e) => e.action === 'drone.register' && e.drone!.sourceIp === '10.42.0.199',
      G1: (e) => e.action === 'remote.action' && e.remote!.action === 'reboot' && e.remote!.targetIp === '10.42.0.199',
      R1: (e) => e.action === 'host.boot',
      R2: (e) => e.action === 'host.boot' && e.host === 'swarm-gw',
      I1: (e) => e.ids!.priority === 1,
      I2: (e) => e.ids!.priority !== null && e.ids!.priority >= 2 && e.ids!.priority <= 4,
    };
    const at = (file: string, line: number) => {
      const r = (parsed.get(file as ScenarioInput) ?? []).find((x) => x.line === line);
      if (!r?.result.ok) throw new Error(`${file}:${line} did not parse`);
      return r.result.event;
    };
    for (const m of scenario.marks) {
      const check = facts[m.mark.rule];
      if (m.mark.kind !== 'fires' || !check) continue;
      expect(check(at(m.file, m.line)), `${m.mark.rule} evidence ${m.file}:${m.line}`).toBe(true);
    }
    // S3: the Accepted line's sshd PID is the one that logged "on … port 52222".
    const s3 = scenario.marks.filter((m) => m.mark.rule === 'S3' && m.mark.kind === 'fires').map((m) => at(m.file, m.line));
    expect(new Set(s3.map((e) => e.ssh!.pid)).size).toBe(1);
    // The fake " from 10.0.20.5 port 22" stays in the user name.
    expect(events('auth.log').filter((e) => e.ssh?.user === 'guest from 10.0.20.5 port 22').map((e) => e.client.addrs)).toEqual([['192.0.2.44']]);
    // The planned reboot is a sudo shutdown requested by root; worker-2's banner carries the new boot id.
    const planned = events('auth.log').filter((e) => e.action === 'host.shutdown' && e.shutdown?.via === 'sudo');
    expect(planned.map((e) => [e.host, e.shutdown!.requestedBy, e.shutdown!.kind])).toEqual([['pve', 'root', 'reboot']]);
    const bootIds = new Set(events('journal.json').filter((e) => e.host === 'worker-2').map((e) => e.bootId));
    expect(bootIds.size).toBe(2);
    // Priority near misses: 0 / absent is null, text in the msg is not the priority.
    const prios = events('snort-fast.log').filter((e) => e.ids!.sid === 1000002 || e.ids!.sid === 1000003).map((e) => e.ids!.priority);
    expect(new Set(prios)).toEqual(new Set([null, 3]));
  });

  it('expected-rules.json names every rule of docs/rules.md at least once', () => {
    const expected = JSON.parse(read(EXPECTED_FILE)) as Array<{ rule: string; key: string; evidence: string[] }>;
    expect([...new Set(expected.map((e) => e.rule))]).toEqual(RULE_ORDER);
    for (const e of expected) expect(e.evidence.length, `${e.rule} ${e.key}`).toBeGreaterThan(0);
  });

  it('every rule has a near miss in the files', () => {
    const withNegatives = new Set(scenario.marks.filter((m) => m.mark.kind === 'negative').map((m) => m.mark.rule));
    const missing = RULE_ORDER.filter((r) => !withNegatives.has(r));
    expect(missing).toEqual([]);
  });

  it('README.md cites every evidence and near-miss line, and no stale line', () => {
    const readme = read('README.md');
    const cited = new Set([...readme.matchAll(/\b([a-z0-9-]+\.(?:log|json)):(\d+)\b/g)].map((m) => `${m[1]}:${m[2]}`));
    const markedRefs = new Set(scenario.marks.map((m) => `${m.file}:${m.line}`));
    const needed = new Set(scenario.marks.map((m) => `${m.file}:${m.line}`));
    // I2 is cited by sid in the table; its evidence lines need not all be in the prose.
    for (const m of scenario.marks) if (m.mark.rule === 'I2' && m.mark.kind === 'fires') needed.delete(`${m.file}:${m.line}`);
    expect([...needed].filter((r) => !cited.has(r)), 'not cited in README.md').toEqual([]);
    expect([...cited].filter((r) => !markedRefs.has(r)), 'cited in README.md but not a marked line').toEqual([]);
  });
});
