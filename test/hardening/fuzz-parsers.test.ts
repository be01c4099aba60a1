// Issue 9, fuzzing: at least 100,000 generated lines into every registered parser, and
// 100,000 canonical-form Kubernetes audit lines into the raw-line scanner of the replay
// prefilter, checked differentially against the full parser.
//
// Per parser: structure-aware lines (the real framings with hostile holes), mutated real
// lines, arbitrary binary strings, arbitrary JSON values, and streams of lines through one
// parse context (the year/date carry). Invariants:
// - no exception escapes (convention 2: bad input is a value);
// - an ok result validates against SecurityEvent and serializes to JSON;
// - an error has a stable TRIP_PARSE_* code, a sample capped at MAX_ERROR_SAMPLE and a
//   bounded message (attacker text must not bloat logs and dead letters);
// - no shared prototype is polluted.
// Seeds are fixed so a failure reproduces; counts are printed for the issue note.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { SecurityEvent, type InputKind } from '../../schemas/event.js';
import { parsers } from '../../services/parsers/index.js';
import { parseK8sAudit } from '../../services/parsers/k8s-audit.js';
import { scanK8sAuditLine, TimeCache } from '../../services/parsers/k8s-audit-scan.js';
import { MAX_ERROR_SAMPLE, type ParseContext } from '../../services/parsers/types.js';
import { SAMPLES, STRUCTURED, hostileJsonValue, mutated, soup } from './support/arbitraries.js';
import { prototypeFingerprint, report, unpolluted } from './support/report.js';

const PROTOTYPES = prototypeFingerprint();
const counts = new Map<string, number>();
const bump = (name: string) => counts.set(name, (counts.get(name) ?? 0) + 1);

/** Runs per property, per parser; together at least 100,000. */
const RUNS = { structured: 45_000, mutated: 25_000, binary: 15_000, json: 10_000, streams: 1_000 } as const;
const STREAM_LINES = 8;

const ctxFor = (kind: InputKind): ParseContext => ({ kind, sourceName: 'fuzz', position: 'line 1', year: 2026, date: '2026-06-10', carry: {} });

function checkOne(kind: InputKind, line: string, ctx: ParseContext = ctxFor(kind)): void {
  bump(kind);
  const r = parsers[kind](line, ctx);
  if (r.ok) {
    const v = SecurityEvent.safeParse(r.event);
    if (!v.success) throw new Error(`invalid event: ${v.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ').slice(0, 500)}`);
    JSON.stringify(r.event);
  } else {
    if (!/^TRIP_PARSE_[A-Z0-9_]+$/.test(r.error.code)) throw new Error(`bad code ${r.error.code}`);
    if (r.error.sample.length > MAX_ERROR_SAMPLE) throw new Error(`sample of ${r.error.sample.length} chars`);
    if (typeof r.error.message !== 'string' || r.error.message.length > 1024) throw new Error(`message of ${r.error.message.length} chars`);
  }
  if (!unpolluted()) throw new Error('Object.prototype polluted');
}

afterAll(() => {
  report('fuzz cases per parser', Object.fromEntries(counts));
});

describe.each(Object.keys(parsers) as InputKind[])('fuzz parser %s', (kind) => {
  // Fixed seeds reproduce in CI; TRIPLINE_FUZZ_SEED explores other corners locally.
  const seed = ([...kind].reduce((a, c) => a * 31 + c.charCodeAt(0), 7) + Number(process.env['TRIPLINE_FUZZ_SEED'] ?? 0)) >>> 0;

  it(`structure-aware lines (${RUNS.structured})`, () => {
    fc.assert(fc.property(STRUCTURED[kind], (l) => checkOne(kind, l)), { numRuns: RUNS.structured, seed });
  });

  it(`mutated real lines (${RUNS.mutated})`, () => {
    fc.assert(fc.property(mutated(SAMPLES[kind]), (l) => checkOne(kind, l)), { numRuns: RUNS.mutated, seed: seed + 1 });
  });

  it(`arbitrary binary strings (${RUNS.binary})`, () => {
    fc.assert(fc.property(fc.string({ maxLength: 400, unit: 'binary' }), (l) => checkOne(kind, l)), { numRuns: RUNS.binary, seed: seed + 2 });
  });

  it(`arbitrary JSON values (${RUNS.json})`, () => {
    fc.assert(fc.property(hostileJsonValue, (v) => checkOne(kind, JSON.stringify(v) ?? 'null')), { numRuns: RUNS.json, seed: seed + 3 });
  });

  it(`streams of ${STREAM_LINES} lines through one context (carry state) (${RUNS.streams * STREAM_LINES} lines)`, () => {
    const line = fc.oneof(STRUCTURED[kind], mutated(SAMPLES[kind]));
    fc.assert(
      fc.property(fc.array(line, { minLength: STREAM_LINES, maxLength: STREAM_LINES }), (lines) => {
        const ctx = ctxFor(kind);
        for (const l of lines) checkOne(kind, l, ctx);
      }),
      { numRuns: RUNS.streams, seed: seed + 4 },
    );
  });

  it('ran at least 100,000 cases and polluted nothing', () => {
    expect(counts.get(kind)).toBeGreaterThanOrEqual(100_000);
    expect(prototypeFingerprint()).toBe(PROTOTYPES);
  });
});

// ---------------------------------------------------------------- the k8s raw-line scanner

const plain = fc.stringMatching(/^[a-z0-9:.\-/@]{0,12}$/);
const text = fc.oneof({ weight: 3, arbitrary: plain }, { weight: 1, arbitrary: soup(3) });
const q = (a: fc.Arbitrary<string>) => a.map((s) => JSON.stringify(s));
const opt = (key: string, a: fc.Arbitrary<string>) => fc.option(a.map((v) => `,"${key}":${v}`), { nil: '' });
const qList = fc.array(text, { maxLength: 3 }).map((a) => JSON.stringify(a));
const seconds = ['2026-06-10T00:00:01', '2026-06-10T00:00:02', '2026-12-31T23:59:59', '2026-06-10T00:00:60', '2026-02-30T00:00:00'];
const stageTs = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...seconds), fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 0, maxLength: 10 }), fc.constantFrom('Z', 'Z', 'Z', '+01:00', 'z')).map(([s, f, z]) => `${s}${f ? `.${f}` : ''}${z}`) },
  { weight: 1, arbitrary: text },
);
const compact = hostileJsonValue.map((v) => JSON.stringify(v) ?? 'null');

/** Lines in the API server's canonical form (the scanner's accepted shape), with hostile values. */
const canonicalK8s = fc
  .tuple(
    fc.constantFrom('Metadata', 'Request', 'RequestResponse', 'None'),
    fc.stringMatching(/^[a-f0-9-]{1,12}$/),
    fc.constantFrom('RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic'),
    opt('requestURI', q(text)),
    fc.constantFrom('get', 'list', 'create', 'delete', 'patch', 'update', 'watch'),
    q(text),
    fc.tuple(opt('uid', q(text)), opt('groups', qList), opt('extra', fc.dictionary(plain, fc.oneof(text, fc.array(text, { maxLength: 2 })), { maxKeys: 2 }).map((d) => JSON.stringify(d)))),
    opt('sourceIPs', fc.array(fc.oneof(fc.ipV4(), fc.ipV6(), text), { maxLength: 3 }).map((a) => JSON.stringify(a))),
    opt('userAgent', q(text)),
    fc.option(
      fc.tuple(q(text), opt('namespace', q(text)), opt('name', q(text)), opt('uid', q(text)), opt('apiGroup', q(text)), opt('apiVersion', q(text)), opt('resourceVersion', q(text)), opt('subresource', q(text)))
        .map(([r, ...rest]) => `,"objectRef":{"resource":${r}${rest.join('')}}`),
      { nil: '' },
    ),
    fc.option(
      fc.tuple(compact, opt('status', q(text)), opt('message', q(text)), opt('reason', q(text)), opt('details', compact), opt('code', fc.integer({ min: 100, max: 999 }).map(String)))
        .map(([m, ...rest]) => `,"responseStatus":{"metadata":${m}${rest.join('')}}`),
      { nil: '' },
    ),
    fc.tuple(opt('requestObject', fc.oneof(compact, fc.constant('null'))), opt('responseObject', compact), opt('requestReceivedTimestamp', q(stageTs))),
    stageTs,
    opt('annotations', fc.dictionary(plain, text, { maxKeys: 3 }).map((d) => JSON.stringify(d))),
  )
  .map(
    ([level, id, stage, uri, verb, user, [uid, groups, extra], ips, ua, ref, status, [reqObj, resObj, rrt], ts, ann]) =>
      `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"${level}","auditID":"${id}","stage":"${stage}"${uri},"verb":"${verb}","user":{"username":${user}${uid}${groups}${extra}}${ips}${ua}${ref}${status}${reqObj}${resObj}${rrt},"stageTimestamp":${JSON.stringify(ts)}${ann}}`,
  );

describe('fuzz the k8s-audit raw-line scanner (replay prefilter) against the full parser', () => {
  it('100,000 canonical-form lines: whenever the scanner answers, it agrees with parseK8sAudit field by field', () => {
    const times = new TimeCache(); // shared, as in a replay: exercises the cached-second fast path
    let matched = 0;
    let scanned = 0;
    fc.assert(
      fc.property(fc.oneof({ weight: 9, arbitrary: canonicalK8s }, { weight: 1, arbitrary: mutated([SAMPLES['k8s-audit'][0]!]) }), (line) => {
        scanned++;
        const scan = scanK8sAuditLine(line, times);
        if (scan === null) return;
        matched++;
        const r = parseK8sAudit(line, ctxFor('k8s-audit'));
        if (!r.ok) throw new Error(`scanner accepted a line the parser rejects (${r.error.code}: ${r.error.message})`);
        const e = r.event;
        expect(scan.view).toEqual({
          verb: e.k8s!.verb,
          username: e.actor.name,
          addrs: e.client.addrs,
          resource: e.target.resource ?? null,
          namespace: e.target.namespace ?? null,
          name: e.target.name ?? null,
          apiGroup: e.target.apiGroup ?? null,
          subresource: e.target.subresource ?? null,
          code: e.k8s!.code,
          hasRequestObject: e.k8s!.hasRequestObject,
        });
        expect({ iso: scan.time.iso, ms: scan.time.ms, subNs: scan.time.subNs }).toEqual({ iso: e.ts, ms: e.tsMs, subNs: e.tsSubNs });
      }),
      { numRuns: 100_000, seed: 9 + Number(process.env['TRIPLINE_FUZZ_SEED'] ?? 0) },
    );
    counts.set('k8s-audit-scan', scanned);
    report('k8s scanner differential', { lines: scanned, scannerAnswered: matched });
    // The differential means something only if the scanner answered often.
    expect(matched).toBeGreaterThan(scanned / 10);
  });
});
