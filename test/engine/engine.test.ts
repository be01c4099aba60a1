import { afterEach, describe, expect, it, vi } from 'vitest';
import { defineRule, type FirstSeenRule, type MatchRule, type ThresholdRule } from '../../rules/define.js';
import { K5 } from '../../rules/k8s/k5-mass-delete.js';
import { H1 } from '../../rules/health/h1-source-silent.js';
import { alertId } from '../../services/engine/alert-id.js';
import { capLine } from '../../services/engine/alert-build.js';
import { at, input, k8s, makeEvent, vault } from '../helpers/events.js';
import { feed, makeEngine, run } from '../helpers/engine.js';

const calls: string[] = [];

const ANY: MatchRule = defineRule({
  kind: 'match', id: 'AA', title: 'any other-app event', severity: 'info', sources: ['syslog'], apps: ['other'],
  runbook: 'aa', tags: ['T1'], description: 'test',
  match: (e) => {
    calls.push(e.id);
    return { key: 'k', summary: `saw ${e.id}` };
  },
});

const BOOM: MatchRule = defineRule({
  kind: 'match', id: 'BOOM', title: 'throws', severity: 'info', sources: ['syslog'], apps: ['other'],
  runbook: 'boom', tags: [], description: 'test',
  match: () => {
    throw new Error('rule bug');
  },
});

const MANY: ThresholdRule = defineRule({
  kind: 'threshold', id: 'MANY', title: 'many', severity: 'warning', sources: ['syslog'], apps: ['other'],
  runbook: 'many', tags: [], description: 'test',
  threshold: () => 29, window: () => 60_000,
  select: (e) => ({ key: 'k', dedupe: e.id }),
  describe: (agg) => ({ summary: `${agg.count}, ${agg.entries.length} events` }),
});

const SEEN: FirstSeenRule = defineRule({
  kind: 'first-seen', id: 'FS', title: 'first actor', severity: 'info', sources: ['syslog'], apps: ['other'],
  runbook: 'fs', tags: [], description: 'test',
  select: (e) => (e.actor.name ? { key: e.actor.name, known: e.actor.name === 'ok' } : null),
  describe: (e) => ({ summary: `new ${e.actor.name}` }),
});

afterEach(() => {
  calls.length = 0;
  vi.restoreAllMocks();
});

describe('alerts', () => {
  it('caps evidence lines at 4096 characters, flags them, and never splits a surrogate pair', () => {
    expect(capLine('x'.repeat(4096))).toEqual({ line: 'x'.repeat(4096), truncated: false });
    expect(capLine('x'.repeat(5000))).toEqual({ line: 'x'.repeat(4096), truncated: true });
    const emoji = `${'x'.repeat(4095)}😀tail`;
    expect(capLine(emoji)).toEqual({ line: 'x'.repeat(4095), truncated: true });
    const [a] = makeEngine([ANY]).push(input(makeEvent(), 'y'.repeat(10_000)));
    expect(a!.evidence).toHaveLength(1);
    expect(a!.evidence[0]).toMatchObject({ line: 'y'.repeat(4096), truncated: true, source: 'test-syslog', kind: 'syslog' });
  });

  it('carries at most 20 evidence lines, the newest, earliest first', () => {
    const events = Array.from({ length: 30 }, (_, i) => makeEvent({ tsMs: at(i) }));
    const [a] = run([MANY], events);
    expect(a!.count).toBe(30);
    expect(a!.summary).toBe('30, 20 events');
    expect(a!.evidence.map((e) => e.ts)).toEqual(events.slice(10).map((e) => e.ts));
  });

  it('applies severity overrides and never runs disabled rules', () => {
    const e = makeEvent();
    expect(run([ANY], [e], { config: { rules: { AA: { severity: 'critical' } } } }).map((a) => a.severity)).toEqual(['critical']);
    expect(run([ANY], [e], { config: { rules: { AA: { enabled: false } } } })).toEqual([]);
    expect(calls).toEqual([e.id]);
  });

  it('skips rules whose apps do not include the event\'s app', () => {
    run([ANY], [makeEvent({ app: 'sshd' }), makeEvent({ app: 'k8s' })]);
    expect(calls).toEqual([]);
  });

  it('anchors match alerts on the event id and gives the runbook link and tags', () => {
    const e = makeEvent();
    const [a] = run([ANY], [e]);
    expect(a).toMatchObject({ id: alertId('AA', 'k', e.id), rule: 'AA', runbook: 'docs/runbooks.md#aa', tags: ['T1'], ts: e.ts, count: 1 });
  });

  it('alerts once per Kubernetes request however many stages match, and once per Vault request', () => {
    const stage = (s: string, sec: number) =>
      makeEvent({ tsMs: at(sec), app: 'other', source: { kind: 'k8s-audit', name: 'audit' }, k8s: k8s({ auditID: 'req-9', stage: s }) });
    const alerts = run([ANY], [stage('ResponseStarted', 0), stage('ResponseComplete', 2), stage('ResponseComplete', 3)]);
    expect(alerts.map((a) => a.id)).toEqual([alertId('AA', 'k', 'k8s-audit:req-9')]);
    // Whichever stage comes first, the id is the same.
    expect(run([ANY], [stage('ResponseComplete', 2)]).map((a) => a.id)).toEqual(alerts.map((a) => a.id));
    const entry = (type: string) => makeEvent({ app: 'other', vault: vault({ requestId: 'v-1', type }) });
    expect(run([ANY], [entry('request'), entry('response')])).toHaveLength(1);
  });

  it('lets late events into first-seen sets (membership does not depend on order) but not into windows', () => {
    const who = (name: string, sec: number) => makeEvent({ tsMs: at(sec), actor: { name, kind: 'human', id: null } });
    const engine = makeEngine([SEEN, MANY]);
    const alerts = feed(engine, [who('a', 100), who('ok', 101), who('late', 10), who('a', 102)]);
    expect(engine.stats().late).toBe(1);
    expect(alerts.map((a) => [a.key, a.summary, a.id])).toEqual([
      ['a', 'new a', alertId('FS', 'a', 'first')],
      ['late', 'new late', alertId('FS', 'late', 'first')],
    ]);
  });

  it('counts a rule that throws and still runs the other rules', () => {
    const engine = makeEngine([BOOM, ANY]);
    const alerts = feed(engine, [makeEvent(), makeEvent()]);
    expect(alerts.map((a) => a.rule)).toEqual(['AA', 'AA']);
    expect(engine.stats().ruleErrors).toEqual({ BOOM: 2 });
  });

  it('never reads the wall clock', () => {
    const now = vi.spyOn(Date, 'now').mockImplementation(() => {
      throw new Error('Date.now() called');
    });
    const perf = vi.spyOn(performance, 'now').mockImplementation(() => {
      throw new Error('performance.now() called');
    });
    const del = (i: number) =>
      makeEvent({
        tsMs: at(i), app: 'k8s', source: { kind: 'k8s-audit', name: 'audit' }, actor: { name: 'eve', kind: 'human', id: null },
        target: { resource: 'pods', namespace: 'x', name: `p${i}` }, k8s: k8s({ auditID: `a${i}`, verb: 'delete' }),
      });
    const alerts = run([K5, H1, ANY], [...Array.from({ length: 8 }, (_, i) => del(i)), makeEvent({ tsMs: at(40 * 60) })]);
    expect(alerts.map((a) => a.rule)).toEqual(['K5', 'H1', 'AA']);
    expect(now).not.toHaveBeenCalled();
    expect(perf).not.toHaveBeenCalled();
  });
});
