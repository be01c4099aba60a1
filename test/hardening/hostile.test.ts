// Issue 9, hostile content: log lines an attacker shaped, through the whole chain a live
// run uses (parser → engine with the real rules → alert → Slack/Loki/Alertmanager/stdout
// formatters → outbox → digest), in every input format that carries attacker text.
//
// Payloads: Slack mentions and links, ANSI/OSC escapes, NUL, bidi and line separators,
// lone surrogates, a 1 MB username, JSON nested 10,000 deep, duplicate keys, numbers where
// strings belong, `__proto__`/`constructor` keys and values.
//
// Invariants: nothing throws; every alert is schema-valid and JSON-serializable; no Slack
// payload (alert, group or digest) can ping or link (support/slack-safety.ts), also with
// runbook and Grafana links configured; terminal output has no control characters; no
// shared prototype is polluted; and the attacks still ALERT (escaping must not cost
// detection): a `__proto__` user still trips S2, a 10,000-deep body still trips K7.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Alert } from '../../schemas/alert.js';
import { Config, type ConfigInput } from '../../schemas/config.js';
import type { InputKind } from '../../schemas/event.js';
import { rules } from '../../rules/index.js';
import { Engine } from '../../services/engine/engine.js';
import { parsers } from '../../services/parsers/index.js';
import { DEPTH_MARKER } from '../../services/parsers/common.js';
import type { ParseContext } from '../../services/parsers/types.js';
import { formatSlack } from '../../services/sinks/slack-format.js';
import { formatSlackDigest } from '../../services/sinks/slack-digest.js';
import { formatLokiPush } from '../../services/sinks/loki.js';
import { formatAlertmanager } from '../../services/sinks/alertmanager.js';
import { formatStdout } from '../../services/sinks/stdout.js';
import { alertTableRow } from '../../services/cli/alert-table.js';
import { StateStore } from '../../services/state/store.js';
import { composeDigest } from '../../services/router/digest/compose.js';
import { formatDigestText } from '../../services/router/digest/text.js';
import { main } from '../../services/cli/main.js';
import { makeIO } from '../helpers/io.js';
import { slackProblems } from './support/slack-safety.js';
import { prototypeFingerprint, report, unpolluted } from './support/report.js';

const PROTOTYPES = prototypeFingerprint();

/** Attacker text, by name. Each goes into every field an attacker controls. */
const PAYLOADS: Record<string, string> = {
  mentions: '<!channel> <!here> <!everyone> <@U123ABC> <!subteam^S1|ops> <#C0123|general> @channel @here',
  links: '<http://evil.example|bank.com> <https://evil.example> <mailto:x@evil.example|help> *b* _i_ ~s~ `c` ```p``` &lt;!channel&gt; &amp;',
  ansi: '\u001b[31mred\u001b[0m\u001b]8;;http://evil.example\u0007click\u001b]8;;\u0007\rover\bwrite',
  nul: 'ad\u0000min',
  unicode: '\u202egnp.exe\u2028x\u2029y\ud800z\udfff 😀 \ufeff',
  proto: '__proto__',
  ctor: 'constructor',
  huge: `A${'<!channel>'.repeat(1)}${'x'.repeat(1_000_000)}`,
};

const T = (s: number) => `2026-06-10T00:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}Z`;
const syslogT = (s: number) => `Jun 10 00:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
const jsonStr = (s: string) => JSON.stringify(s);

/** Lines that make the real rules alert, with attacker text `h` in every field it can reach. */
function attackLines(h: string, n: number): Array<[InputKind, string]> {
  const ip = `203.0.113.${n}`;
  const lines: Array<[InputKind, string]> = [];
  const rawOk = !/[\n\r\u0000]/.test(h); // raw text formats cannot carry these (one line, no NUL)
  if (rawOk) {
    lines.push(['syslog', `${syslogT(n)} pve sshd[${100 + n}]: Accepted password for ${h} from ${ip} port 22 ssh2`]);
    for (let i = 0; i < 11; i++) lines.push(['syslog', `${syslogT(n)} pve sshd[${200 + i}]: Failed password for invalid user ${h} from 198.51.100.${n} port ${1000 + i} ssh2`]);
    lines.push(['snort', `06/10-00:00:${String(n % 60).padStart(2, '0')}.1 [**] [1:2024218:3] "${h}" [**] [Classification: ${h}] [Priority: 1] {TCP} ${ip}:4444 -> 10.0.0.5:445`]);
    lines.push(['swarm', `[2026-06-10 00:00:${String(n % 60).padStart(2, '0')}] Initiating SSH ${h.slice(0, 60).replace(/\s/g, '_') || 'x'} to 10.42.0.199`]);
  }
  lines.push(['journal', JSON.stringify({ __REALTIME_TIMESTAMP: String(Date.parse(T(n)) * 1000), _HOSTNAME: h, SYSLOG_IDENTIFIER: 'sshd', _PID: '7', MESSAGE: `Accepted publickey for ${h} from ${ip} port 22 ssh2: ED25519 SHA256:${h}` })]);
  lines.push(['k8s-audit', `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"h${n}","stage":"ResponseComplete","requestURI":${jsonStr(`/api/v1/namespaces/vault/secrets/${h}`)},"verb":"get","user":{"username":${jsonStr(h)},"groups":[${jsonStr(h)}]},"sourceIPs":[${jsonStr(ip)}],"userAgent":${jsonStr(h)},"objectRef":{"resource":"secrets","namespace":"vault","name":${jsonStr(h)}},"responseStatus":{"metadata":{},"code":200},"stageTimestamp":${jsonStr(T(n))}}`]);
  lines.push(['vault-audit', `{"time":${jsonStr(T(n))},"type":"response","auth":{"display_name":${jsonStr(h)},"policies":["root"],"metadata":{"username":${jsonStr(h)}}},"request":{"id":"v${n}","operation":"update","path":"auth/token/create","remote_address":${jsonStr(ip)}},"response":{"auth":{"accessor":"hmac-sha256:ab","policies":["root"],"token_policies":["root"]}}}`]);
  lines.push(['vault-audit', `{"time":${jsonStr(T(n))},"type":"response","auth":{"display_name":${jsonStr(h)},"policies":["admin"]},"request":{"id":"p${n}","operation":"update","path":${jsonStr(`sys/policies/acl/${h}`)},"remote_address":${jsonStr(ip)}}}`.replace('"type":"response"', '"type":"request"')]);
  lines.push(['swarm', JSON.stringify({ ts: T(n), component: 'gateway', event: 'drone.register', drone: h, source_ip: ip, advertised_ip: h, cores: 4, status: h, host: h })]);
  lines.push(['snort', JSON.stringify({ seconds: Date.parse(T(n)) / 1000, rule: '1:2:3', msg: h, class: h, priority: 1, proto: 'TCP', src_ap: `${ip}:1`, dst_ap: '10.0.0.5:445', iface: h })]);
  return lines;
}

const deep = (n: number, open = '[', close = ']') => open.repeat(n) + (open === '[' ? '' : '0') + close.repeat(n);

/** Structurally hostile JSON: nesting, duplicate keys, wrong types, prototype keys. */
const STRUCTURAL: Array<[string, InputKind, string]> = [
  ['k8s 10,000-deep requestObject with a wildcard ClusterRole', 'k8s-audit', `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"deep1","stage":"ResponseComplete","verb":"create","user":{"username":"mallory@example.org"},"sourceIPs":["203.0.113.77"],"objectRef":{"resource":"clusterroles","apiGroup":"rbac.authorization.k8s.io","name":"pwn"},"responseStatus":{"metadata":{},"code":201},"requestObject":{"kind":"ClusterRole","metadata":{"name":"pwn"},"rules":[{"verbs":["*"],"resources":["*"],"apiGroups":["*"]}],"junk":${deep(10_000)}},"stageTimestamp":"2026-06-10T00:10:00Z"}`],
  ['k8s 100,000-deep object', 'k8s-audit', `{"kind":"Event","auditID":"deep2","stage":"ResponseComplete","verb":"get","user":{"username":"u"},"requestObject":${deep(100_000, '{"a":', '}')},"stageTimestamp":"2026-06-10T00:10:01Z"}`],
  ['vault 10,000-deep request.data', 'vault-audit', `{"time":"2026-06-10T00:10:02Z","type":"request","auth":{"display_name":"root","policies":["root"]},"request":{"id":"d1","operation":"update","path":"auth/token/create","data":${deep(10_000, '{"x":', '}')}}}`],
  ['journal 10,000-deep field', 'journal', `{"__REALTIME_TIMESTAMP":"1781050203000000","MESSAGE":"x","X":${deep(10_000)}}`],
  ['snort json 10,000-deep', 'snort', `{"seconds":1781050204,"rule":"1:2:3","msg":"x","proto":"TCP","src_ap":"1.2.3.4:1","dst_ap":"5.6.7.8:2","x":${deep(10_000)}}`],
  ['swarm 10,000-deep', 'swarm', `{"ts":"2026-06-10T00:10:05Z","component":"gateway","event":"drone.register","drone":"deep-drone","source_ip":"203.0.113.8","x":${deep(10_000)}}`],
  ['k8s AKS wrapper holding a 10,000-deep event', 'k8s-audit', JSON.stringify({ category: 'kube-audit', properties: { log: `{"kind":"Event","auditID":"aks","stage":"ResponseComplete","verb":"get","user":{"username":"u"},"requestObject":${deep(10_000)},"stageTimestamp":"2026-06-10T00:10:06Z"}` } })],
  ['k8s duplicate keys (JSON.parse keeps the last)', 'k8s-audit', `{"kind":"Event","auditID":"dup","stage":"ResponseComplete","verb":"get","user":{"username":"me@viktorbarzin.me"},"user":{"username":"<!channel> dup"},"sourceIPs":["10.0.20.5"],"sourceIPs":["203.0.113.9"],"objectRef":{"resource":"secrets","namespace":"vault","name":"x"},"responseStatus":{"metadata":{},"code":200},"stageTimestamp":"2026-06-10T00:10:07Z"}`],
  ['vault duplicate display_name', 'vault-audit', `{"time":"2026-06-10T00:10:08Z","type":"response","auth":{"display_name":"approle-terraform","display_name":"<@U1> dup","policies":["root"]},"request":{"id":"dupv","operation":"update","path":"sys/policies/acl/x"},"response":{}}`],
  ['k8s numbers where strings belong', 'k8s-audit', `{"kind":"Event","auditID":7,"stage":"ResponseComplete","verb":5,"user":{"username":12345},"stageTimestamp":"2026-06-10T00:10:09Z"}`],
  ['vault numbers where strings belong', 'vault-audit', `{"time":1781050210,"type":"response","auth":{"display_name":1e309,"policies":[1,2]},"request":{"id":3,"path":4}}`],
  ['journal numbers where strings belong', 'journal', `{"__REALTIME_TIMESTAMP":1781050211000000,"MESSAGE":42,"_HOSTNAME":true}`],
  ['swarm numbers where strings belong', 'swarm', `{"ts":"2026-06-10T00:10:12Z","component":"gateway","event":"drone.register","drone":5,"cores":"four"}`],
  ['snort numbers where strings belong', 'snort', `{"seconds":"soon","rule":123,"msg":456,"proto":7}`],
  ['k8s __proto__ keys at every level', 'k8s-audit', `{"__proto__":{"polluted":"yes","isAdmin":true},"kind":"Event","auditID":"pp","stage":"ResponseComplete","verb":"get","user":{"__proto__":{"username":"system:admin"},"username":"__proto__","extra":{"__proto__":["x"]}},"objectRef":{"__proto__":{"namespace":"kube-system"},"resource":"secrets","namespace":"vault","name":"constructor"},"annotations":{"__proto__":"x","constructor":"y"},"sourceIPs":["203.0.113.10"],"responseStatus":{"metadata":{},"code":200},"stageTimestamp":"2026-06-10T00:10:13Z"}`],
  ['vault __proto__ metadata', 'vault-audit', `{"time":"2026-06-10T00:10:14Z","type":"response","auth":{"display_name":"constructor","metadata":{"__proto__":{"username":"root"},"username":"__proto__"},"policies":["root"]},"request":{"id":"ppv","operation":"update","path":"auth/token/create","remote_address":"203.0.113.11"},"response":{"auth":{"accessor":"a","policies":["root"]}}}`],
  ['journal __proto__ fields', 'journal', `{"__proto__":["polluted"],"constructor":{"prototype":{"polluted":"yes"}},"__REALTIME_TIMESTAMP":"1781050215000000","SYSLOG_IDENTIFIER":"__proto__","MESSAGE":"hello","toString":"x"}`],
  ['swarm constructor.prototype', 'swarm', `{"constructor":{"prototype":{"polluted":"yes"}},"ts":"2026-06-10T00:10:16Z","component":"gateway","event":"drone.register","drone":"__proto__","source_ip":"203.0.113.12"}`],
  ['syslog __proto__ program', 'syslog', `${syslogT(617)} pve __proto__[1]: Accepted password for root from 203.0.113.13 port 22 ssh2`],
  ['syslog NUL byte (binary)', 'syslog', `${syslogT(618)} pve sshd[1]: Accepted password for ad\u0000min from 203.0.113.14 port 22 ssh2`],
];

const SOURCES: Array<{ name: string; kind: InputKind }> = (Object.keys(parsers) as InputKind[]).map((kind) => ({ name: `in-${kind}`, kind }));

interface Outcome {
  alerts: Alert[];
  parsed: number;
  failed: number;
}

function runLines(lines: ReadonlyArray<readonly [InputKind, string]>, configInput: ConfigInput = {}): Outcome {
  const config = Config.parse({ health: { wallClock: false }, ...configInput });
  const engine = new Engine({ rules, config, sources: SOURCES });
  const ctxs = new Map<InputKind, ParseContext>();
  const out: Outcome = { alerts: [], parsed: 0, failed: 0 };
  for (const [kind, line] of lines) {
    let ctx = ctxs.get(kind);
    if (!ctx) ctxs.set(kind, (ctx = { kind, sourceName: `in-${kind}`, position: '', year: 2026, date: '2026-06-10', carry: {} }));
    ctx.position = `line ${out.parsed + out.failed + 1}`;
    const r = parsers[kind](line, ctx);
    if (r.ok) {
      out.parsed++;
      JSON.stringify(r.event); // the Kafka collect role and `tripline parse` serialize events
      structuredClone(r.event);
      out.alerts.push(...engine.push({ event: r.event, line }));
    } else {
      out.failed++;
      out.alerts.push(...engine.pushError({ sourceName: `in-${kind}`, kind, code: r.error.code }));
    }
  }
  out.alerts.push(...engine.flush());
  JSON.stringify(engine.snapshot());
  return out;
}

const LINKED: ConfigInput = { route: { runbookBaseUrl: 'https://runbooks.example.org/tripline/' }, grafana: { url: 'https://grafana.example.org' } };
const ALLOWED = ['https://runbooks.example.org', 'https://grafana.example.org'];

function checkAlertOutputs(alerts: readonly Alert[], what: string): void {
  for (const a of alerts) {
    const v = Alert.safeParse(a);
    expect(v.success, `${what}: ${a.rule} alert invalid: ${v.success ? '' : v.error.message.slice(0, 300)}`).toBe(true);
    const line = formatStdout(a);
    expect(line.split('\n').length, `${what}: stdout JSON line`).toBe(2);
    // eslint-disable-next-line no-control-regex
    expect(alertTableRow(a), `${what}: table row`).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    formatLokiPush([a]);
    formatAlertmanager([a], { nowMs: Date.parse('2026-06-10T01:00:00Z'), resolveTimeoutMs: 300_000 });
    for (const opts of [{ timezone: 'UTC' }, { timezone: 'Europe/Sofia', runbookBaseUrl: 'https://runbooks.example.org/tripline/', grafana: Config.parse(LINKED).grafana! }]) {
      const problems = slackProblems(formatSlack(a, opts), { allowedLinkOrigins: ALLOWED });
      expect(problems, `${what}: Slack message of ${a.rule}:\n${problems.join('\n')}`).toEqual([]);
    }
  }
  // Grouped messages (one rule, several alerts) as the router sends them.
  const byRule = new Map<string, Alert[]>();
  for (const a of alerts) byRule.set(a.rule, [...(byRule.get(a.rule) ?? []), a]);
  for (const [rule, group] of byRule) {
    if (group.length < 2) continue;
    const problems = slackProblems(formatSlack(group.slice(0, 20), { timezone: 'UTC', groupWaitMs: 30_000 }), {});
    expect(problems, `${what}: grouped Slack message of ${rule}:\n${problems.join('\n')}`).toEqual([]);
  }
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tripline-hostile-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fired: Record<string, string[]> = {};

describe('hostile text in every attacker-controlled field', () => {
  it.each(Object.keys(PAYLOADS))('%s: alerts still fire, and no output can ping, link or escape', (name) => {
    const h = PAYLOADS[name]!;
    const outcome = runLines(attackLines(h, 1 + Object.keys(PAYLOADS).indexOf(name)), LINKED);
    const rulesFired = [...new Set(outcome.alerts.map((a) => a.rule))].sort();
    fired[name] = rulesFired;
    // The attacks are detected whatever the text (escaping must not cost detection).
    const expected = /[\n\r\u0000]/.test(h) ? ['K3', 'S1', 'V1', 'V4'] : ['I1', 'K3', 'S1', 'S2', 'V1', 'V4'];
    for (const r of expected) expect(rulesFired, `${name}: ${r} should fire`).toContain(r);
    checkAlertOutputs(outcome.alerts, name);
    expect(unpolluted()).toBe(true);
  });

  it('the daily digest over all those alerts cannot ping, link or escape either', () => {
    const all = Object.values(PAYLOADS).flatMap((h, i) => runLines(attackLines(h, 1 + i), LINKED).alerts);
    const store = new StateStore({ stateDir: join(dir, 'digest'), now: () => Date.parse('2026-06-10T09:00:00Z') });
    store.open();
    try {
      store.commit({ positions: {}, alerts: all });
      const config = Config.parse({ ...LINKED, sinks: { slack: { webhookUrl: 'https://webhook.example.invalid/services/T/B/X' } } });
      const { layout } = store.read((db) =>
        composeDigest(db, { fromMs: Date.parse('2026-06-09T09:00:00Z'), toMs: Date.parse('2026-06-10T09:00:00Z'), config, silences: [], configuredSources: SOURCES }),
      );
      const problems = slackProblems(formatSlackDigest(layout), { allowedLinkOrigins: ALLOWED });
      expect(problems, problems.join('\n')).toEqual([]);
      // eslint-disable-next-line no-control-regex
      expect(formatDigestText(layout)).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
      expect(all.length).toBeGreaterThan(40);
    } finally {
      store.close();
    }
  });
});

describe('structurally hostile JSON', () => {
  it.each(STRUCTURAL.map(([name, kind, line]) => [name, kind, line] as const))('%s: handled as data', (name, kind, line) => {
    const outcome = runLines([[kind, line]], LINKED);
    checkAlertOutputs(outcome.alerts, name);
    expect(unpolluted(), name).toBe(true);
  });

  it('deep nesting is kept as an event (the rules still judge it) with the deep part replaced', () => {
    const [, kind, line] = STRUCTURAL[0]!;
    const r = parsers[kind](line, { kind, sourceName: 'x', position: 'line 1', carry: {} });
    expect(r.ok).toBe(true);
    if (r.ok) expect(JSON.stringify(r.event)).toContain(DEPTH_MARKER);
    const { alerts } = runLines([[kind, line]]);
    expect(alerts.map((a) => a.rule)).toContain('K7');
  });

  it('duplicate keys mean what JSON.parse says (the last one), and alert on it', () => {
    const { alerts } = runLines([STRUCTURAL.find(([n]) => n.startsWith('k8s duplicate'))!.slice(1) as [InputKind, string]]);
    const k3 = alerts.find((a) => a.rule === 'K3');
    expect(k3?.fields.actor).toBe('<!channel> dup');
    expect(k3?.fields.addresses).toEqual(['203.0.113.9']);
  });

  it('a `__proto__` user is an ordinary key: eleven failures trip S2 and name it', () => {
    const lines: Array<[InputKind, string]> = [];
    for (let i = 0; i < 11; i++) lines.push(['syslog', `${syslogT(700 + i)} pve sshd[${300 + i}]: Failed password for __proto__ from 198.51.100.200 port ${2000 + i} ssh2`]);
    const s2 = runLines(lines).alerts.filter((a) => a.rule === 'S2');
    expect(s2).toHaveLength(1);
    expect(s2[0]!.summary).toContain('__proto__');
  });

  it('`tripline parse` prints a 10,000-deep event instead of failing', async () => {
    const { writeFileSync } = await import('node:fs');
    const file = join(dir, 'deep.log');
    writeFileSync(file, `${STRUCTURAL[0]![2]}\n${STRUCTURAL[1]![2]}\n`);
    const { io, out, err } = makeIO({});
    const code = await main(['parse', '--input', `k8s-audit=${file}`, '--format', 'jsonl'], io);
    expect(code, err()).toBe(0);
    expect(out().trim().split('\n')).toHaveLength(2);
  });

  it('polluted nothing, anywhere', () => {
    expect(prototypeFingerprint()).toBe(PROTOTYPES);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    report('hostile content: rules that fired per payload (all still detected)', fired);
  });
});
