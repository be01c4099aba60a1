// Issue 9, fuzzing the config loader (parseConfigText: YAML, ${ENV} interpolation, the
// strict schema, the semantic checks): 100,000 generated configs.
//
// Invariants:
// - nothing throws: every input is either a Config or a list of problems, each with a
//   path and a bounded, single-purpose message;
// - a value that came from ${ENV} never appears in any message (the Slack webhook URL,
//   the Loki password and the Kafka SASL password live in config this way): the
//   environment holds distinctive fake secrets, the generated configs put references to
//   them in every kind of place (right and wrong types, lists, maps, aliases), and the
//   formatted problems are searched for them;
// - an accepted config round-trips through the schema and never holds own __proto__ keys
//   on shared prototypes (no pollution from YAML `__proto__:` keys).
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { Config } from '../../schemas/config.js';
import { formatProblems, parseConfigText } from '../../services/config/load.js';
import { HOSTILE_TOKENS, mutated, soup } from './support/arbitraries.js';
import { prototypeFingerprint, report, unpolluted } from './support/report.js';

const SECRETS: Record<string, string> = {
  SLACK_HOOK: 'https://webhook.example.invalid/services/T0FAKE/B0FAKE/SeKrEtWeBhOoK4242',
  LOKI_PASS: 'l0ki-pa55-SeKrEt-7781',
  KAFKA_PASS: 'k4fka-SASL-SeKrEt-9913',
  NUMERIC_SECRET: '918273645546372819', // a secret that looks like a number
  SHORTISH: 'SeKrEt-x', // short values used in several places at once
};
const SECRET_VALUES = Object.values(SECRETS);
const ENV: NodeJS.ProcessEnv = { ...SECRETS, EMPTY: '', PORT_OK: '8080', THRESH: '7', TRUE: 'true', CIDR: '10.0.0.0/8' };

const PROTOTYPES = prototypeFingerprint();
const counts = { cases: 0, accepted: 0, rejected: 0, problems: 0 };

function check(text: string): void {
  counts.cases++;
  const r = parseConfigText(text, 'fuzz.yaml', ENV);
  if (r.ok) {
    counts.accepted++;
    const again = Config.safeParse(JSON.parse(JSON.stringify(r.config)));
    if (!again.success) throw new Error(`accepted config does not round-trip: ${again.error.message.slice(0, 300)}`);
  } else {
    counts.rejected++;
    counts.problems += r.problems.length;
    if (r.problems.length === 0) throw new Error('rejected without a problem');
    const out = formatProblems('fuzz.yaml', r.problems);
    for (const p of r.problems) {
      if (typeof p.path !== 'string' || typeof p.message !== 'string' || p.message.length === 0) throw new Error(`malformed problem ${JSON.stringify(p)}`);
      if (p.message.length > 2000) throw new Error(`problem message of ${p.message.length} chars`);
    }
    for (const s of SECRET_VALUES) {
      if (out.includes(s)) throw new Error(`secret value printed in a problem:\n${out.slice(0, 2000)}`);
    }
  }
  if (!unpolluted()) throw new Error('Object.prototype polluted');
}

// ---------------------------------------------------------------- structure-aware configs

const ref = fc.constantFrom(...Object.keys(SECRETS)).chain((name) =>
  fc.constantFrom(`\${${name}}`, `\${${name}:-default}`, `prefix-\${${name}}`, `\${${name}}/suffix`, `\${${name}}\${${name}}`, `\${EMPTY:-\${${name}}}`),
);
const wrong = fc.oneof(fc.integer(), fc.double({ noNaN: true }), fc.boolean(), fc.constant(null), fc.array(soup(2), { maxLength: 3 }), fc.dictionary(soup(1), soup(1), { maxKeys: 2 }));
/** A value for a slot: usually plausible, often a secret reference, sometimes the wrong type. */
const slot = (good: fc.Arbitrary<unknown>) => fc.oneof({ weight: 4, arbitrary: good }, { weight: 3, arbitrary: ref }, { weight: 2, arbitrary: wrong }, { weight: 1, arbitrary: soup(4) });
const dur = fc.constantFrom('30s', '5m', '1h', '100ms', '0s', '-1s', 'soon', '${THRESH}s');
const cidr = fc.constantFrom('10.0.0.0/8', '::1', '192.168.1.0/24', '10.0.0.0/33', 'not-a-cidr', '${CIDR}', '1.2.3.4/0');
const severity = fc.constantFrom('critical', 'warning', 'info', 'fatal');
const url = fc.constantFrom('http://127.0.0.1:3100', 'https://webhook.example.invalid/services/T/B/X', 'ftp://x', 'not a url', 'http://user:pw@loki:3100');

/** [path, value] menu over the whole Config: every block, every secret-bearing field. */
const MENU: Array<[string, fc.Arbitrary<unknown>]> = [
  ['networks.trusted', fc.array(slot(cidr), { maxLength: 3 })],
  ['networks.devvm', fc.array(slot(cidr), { maxLength: 2 })],
  ['networks.__proto__', fc.array(slot(cidr), { maxLength: 2 })],
  ['networks.lab', slot(fc.array(cidr, { maxLength: 2 }))],
  ['identities.humans', fc.array(slot(fc.constantFrom('me@example.org', '*', 'system:*')), { maxLength: 3 })],
  ['k8s.massDelete.threshold', slot(fc.integer({ min: -2, max: 50 }))],
  ['k8s.massDelete.window', slot(dur)],
  ['vault.authFailures.groupBy', slot(fc.constantFrom('remote_address', 'none', 'user'))],
  ['ssh.breakGlass.port', slot(fc.integer({ min: -1, max: 70000 }))],
  ['ssh.bruteForce.threshold', slot(fc.constantFrom(10, '${THRESH}', '${NUMERIC_SECRET}'))],
  ['hosts.maintenance', fc.array(fc.record({ from: slot(fc.constantFrom('01:00', '2026-06-10T00:00:00Z', '25:00')), to: slot(fc.constantFrom('02:00', 'x')), timezone: slot(fc.constantFrom('UTC', 'Mars/Base')) }), { maxLength: 2 })],
  ['engine.maxKeys', slot(fc.integer({ min: -1, max: 10 ** 7 }))],
  ['engine.allowedLateness', slot(dur)],
  ['health.maxSilence', fc.dictionary(fc.constantFrom('syslog', 'auth', '__proto__', 'constructor'), slot(dur), { maxKeys: 3 })],
  ['health.parseErrors.ratio', slot(fc.double({ min: -1, max: 2, noNaN: true }))],
  ['rules', fc.dictionary(fc.constantFrom('S1', 'S2', 'K5', 'X9', '__proto__', 'constructor'), fc.record({ enabled: slot(fc.boolean()), severity: slot(severity) }, { requiredKeys: [] }), { maxKeys: 3 })],
  ['sources', fc.array(fc.record({ name: slot(fc.constantFrom('auth', 'vault', 'auth')), kind: slot(fc.constantFrom('syslog', 'journal', 'k8s-audit', 'nope')), path: slot(fc.constantFrom('/var/log/auth.log', '')), startAt: slot(fc.constantFrom('beginning', 'end', 'middle')) }, { requiredKeys: ['name'] }), { maxLength: 3 })],
  ['sinks.slack.webhookUrl', slot(url)],
  ['sinks.slack.minSeverity', slot(severity)],
  ['sinks.slack.timeout', slot(dur)],
  ['sinks.file.path', slot(fc.constantFrom('/tmp/alerts.jsonl', ''))],
  ['sinks.alertmanager.url', slot(url)],
  ['sinks.loki.url', slot(url)],
  ['sinks.loki.auth.username', slot(fc.constantFrom('tripline', ''))],
  ['sinks.loki.auth.password', slot(fc.constantFrom('pw', ''))],
  ['sinks.loki.auth.bearerToken', slot(fc.constantFrom('tok', ''))],
  ['sinks.loki.labels', fc.dictionary(fc.constantFrom('cluster', 'bad-label', '__proto__'), slot(soup(1)), { maxKeys: 2 })],
  ['loki.url', slot(url)],
  ['loki.tenant', slot(soup(1))],
  ['loki.auth', fc.oneof(fc.record({ username: slot(fc.constant('u')), password: slot(fc.constant('p')) }), fc.record({ bearerToken: slot(fc.constant('t')) }), slot(fc.constant('x')))],
  ['kafka.brokers', fc.array(slot(fc.constantFrom('127.0.0.1:9092', 'broker', 'a:b')), { maxLength: 2 })],
  ['kafka.sasl.mechanism', slot(fc.constantFrom('plain', 'scram-sha-256', 'gssapi'))],
  ['kafka.sasl.username', slot(fc.constantFrom('tripline', ''))],
  ['kafka.sasl.password', slot(fc.constantFrom('pw', ''))],
  ['kafka.tls', slot(fc.oneof(fc.boolean(), fc.record({ ca: fc.constant('/nonexistent/ca.pem'), rejectUnauthorized: fc.boolean() })))],
  ['http.listen', slot(fc.constantFrom('127.0.0.1:9108', false, 'localhost'))],
  ['route.repeatInterval', slot(dur)],
  ['route.maxGroupSize', slot(fc.integer({ min: 0, max: 30 }))],
  ['route.timezone', slot(fc.constantFrom('UTC', 'Europe/Sofia', 'Nowhere/Zone'))],
  ['route.runbookBaseUrl', slot(url)],
  ['grafana.url', slot(url)],
  ['grafana.selectors', fc.dictionary(fc.constantFrom('auth', 'syslog'), slot(fc.constantFrom('{job="x"}', 'job=x')), { maxKeys: 2 })],
  ['unknownTop', slot(soup(1))],
  ['sinks.slack.webhookURL', slot(url)], // a typo: "did you mean"
];

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = obj;
  for (const p of parts.slice(0, -1)) {
    const next = Object.hasOwn(cur, p) ? cur[p] : undefined;
    if (next === null || typeof next !== 'object' || Array.isArray(next)) Object.defineProperty(cur, p, { value: {}, enumerable: true, writable: true, configurable: true });
    cur = cur[p] as Record<string, unknown>;
  }
  Object.defineProperty(cur, parts.at(-1)!, { value, enumerable: true, writable: true, configurable: true });
}

const structured = fc
  .array(fc.constantFrom(...MENU.keys()).chain((i) => fc.tuple(fc.constant(MENU[i]![0]), MENU[i]![1])), { maxLength: 12 })
  .map((pairs) => {
    const obj: Record<string, unknown> = {};
    for (const [p, v] of pairs) setPath(obj, p, v);
    return stringify(obj);
  });

/** YAML features and breakage: anchors and aliases (also of interpolated values), tags, merge keys, documents, tabs, flow. */
const yamlish = fc.constantFrom(
  'a: &x ${SLACK_HOOK}\nsinks: {slack: {webhookUrl: *x, minSeverity: *x}}\nroute: {timezone: *x}\n',
  'x: &k ${KAFKA_PASS}\nengine: {maxKeys: *k}\nkafka: {brokers: [*k], sasl: {mechanism: *k, username: u, password: *k}}\n',
  'base: &b {threshold: ${LOKI_PASS}}\nssh: {bruteForce: {<<: *b}}\n',
  'ssh:\n  bruteForce:\n    threshold: !!str ${NUMERIC_SECRET}\n',
  'engine: {maxKeys: ${NUMERIC_SECRET}}\n',
  'engine: {maxKeys: "${NUMERIC_SECRET}"}\n',
  'networks: {trusted: [${SHORTISH}, ${SHORTISH}/8]}\nidentities: {humans: ${SHORTISH}}\n',
  'route: {digest: {at: ${SHORTISH}, timezone: ${LOKI_PASS}}}\n',
  'sinks:\n  loki: {url: "${SLACK_HOOK}", auth: {username: ${LOKI_PASS}}}\n',
  'rules: {${LOKI_PASS}: {enabled: false}}\n',
  'health: {maxSilence: {auth: ${KAFKA_PASS}}}\n',
  'a: [*undefined]\n',
  '---\na: 1\n---\nb: 2\n',
  'a:\n\t- b\n',
  'a: {b: [c, {d: e}]\n',
  '__proto__: {polluted: yes}\nnetworks: {__proto__: [10.0.0.0/8]}\n',
  'constructor: {prototype: {polluted: yes}}\n',
  "l1: &a [x, x, x, x, x, x, x, x, x, x]\nl2: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nl3: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nl4: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
);

const FRAGMENTS = [...HOSTILE_TOKENS, ': ', '\n', '\n  ', '- ', '&a ', '*a', '!!binary ', '<<: ', '? ', '|\n', '>-\n', '${', '$${', '${SLACK_HOOK}', '${LOKI_PASS', '${KAFKA_PASS:-', '#', '%YAML 1.2\n', '---\n', '...\n'];
const textMutations = fc
  .tuple(fc.oneof(structured, yamlish), fc.array(fc.tuple(fc.nat(), fc.constantFrom(...FRAGMENTS)), { maxLength: 6 }))
  .map(([s, edits]) => {
    let out = s;
    for (const [pos, f] of edits) {
      const i = pos % (out.length + 1);
      out = out.slice(0, i) + f + out.slice(i);
    }
    return out;
  });

afterAll(() => report('fuzz cases: config loader', counts));

describe('fuzz the config loader', () => {
  it('structure-aware configs with ${ENV} secrets everywhere (45,000)', () => {
    fc.assert(fc.property(structured, check), { numRuns: 45_000, seed: 91 });
  });

  it('YAML features and mutated config text (25,000)', () => {
    fc.assert(fc.property(fc.oneof(yamlish, textMutations, mutated(['sinks:\n  slack:\n    webhookUrl: ${SLACK_HOOK}\n', 'kafka:\n  brokers: [b:9092]\n  sasl: {mechanism: plain, username: u, password: "${KAFKA_PASS}"}\n'])), check), { numRuns: 25_000, seed: 92 });
  });

  it('arbitrary text (30,000)', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 300, unit: 'binary' }), soup(20)), check), { numRuns: 30_000, seed: 93 });
  });

  it('ran 100,000 cases, printed no secret and polluted nothing', () => {
    expect(counts.cases).toBeGreaterThanOrEqual(100_000);
    expect(counts.accepted).toBeGreaterThan(0);
    expect(prototypeFingerprint()).toBe(PROTOTYPES);
  });
});
