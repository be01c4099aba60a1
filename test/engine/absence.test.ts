import { describe, expect, it } from 'vitest';
import { H1 } from '../../rules/health/h1-source-silent.js';
import type { InputKind, SecurityEvent } from '../../schemas/event.js';
import { alertId } from '../../services/engine/alert-id.js';
import { at, makeEvent } from '../helpers/events.js';
import { feed, makeEngine, run } from '../helpers/engine.js';

const from = (name: string, kind: InputKind, sec: number): SecurityEvent => makeEvent({ tsMs: at(sec), source: { name, kind } });
const MIN = 60;

/** `name` speaks every minute over [startMin, endMin]. */
function every(name: string, kind: InputKind, startMin: number, endMin: number): SecurityEvent[] {
  const out: SecurityEvent[] = [];
  for (let m = startMin; m <= endMin; m++) out.push(from(name, kind, m * MIN));
  return out;
}

const byTime = (events: SecurityEvent[]) => [...events].sort((a, b) => a.tsMs - b.tsMs);
const SOURCES = [
  { name: 'audit', kind: 'k8s-audit' as const },
  { name: 'auth', kind: 'syslog' as const },
];

describe('absence (H1) in the engine', () => {
  it('fires once per gap for the silent source while the others continue', () => {
    // audit (30 min limit) speaks 0-10 min, is silent until 70, speaks 70-75, then stops;
    // auth speaks every minute for two hours.
    const events = byTime([...every('audit', 'k8s-audit', 0, 10), ...every('audit', 'k8s-audit', 70, 75), ...every('auth', 'syslog', 0, 120)]);
    const alerts = run([H1], events, { sources: SOURCES });
    expect(alerts.map((a) => [a.rule, a.key, a.ts, a.firstSeen])).toEqual([
      ['H1', 'audit', '2026-06-10T00:40:00Z', '2026-06-10T00:10:00Z'],
      ['H1', 'audit', '2026-06-10T01:45:00Z', '2026-06-10T01:15:00Z'],
    ]);
    expect(alerts[0]!.id).toBe(alertId('H1', 'audit', `silent-since:${at(10 * MIN)}`));
    expect(alerts[0]!.id).not.toBe(alerts[1]!.id);
    expect(alerts[0]!.evidence.map((e) => e.ts)).toEqual(['2026-06-10T00:10:00Z']);
    expect(alerts[0]!.severity).toBe('critical');
  });

  it('a late line at the very start of a silence that fired does not raise it again; a line after it re-arms', () => {
    const engine = makeEngine([H1], { sources: SOURCES });
    feed(engine, byTime([...every('audit', 'k8s-audit', 0, 10), ...every('auth', 'syslog', 0, 41)]), false);
    // audit's silence since 10:00 fired at 40:00; a line stamped 10:00 arrives now (late).
    expect(engine.push({ event: from('audit', 'k8s-audit', 10 * MIN), line: 'x' })).toEqual([]);
    expect(engine.push({ event: from('auth', 'syslog', 42 * MIN), line: 'x' })).toEqual([]);
    // A line at 10:01 is speech after the silence began: a new silence from 10:01 is due at once.
    engine.push({ event: from('audit', 'k8s-audit', 10 * MIN + 1), line: 'x' });
    const again = engine.push({ event: from('auth', 'syslog', 43 * MIN), line: 'x' });
    expect(again.map((a) => [a.key, a.firstSeen])).toEqual([['audit', '2026-06-10T00:10:01Z']]);
  });

  it('raises the alert when the watermark passes the limit, not later', () => {
    const engine = makeEngine([H1], { sources: SOURCES });
    feed(engine, byTime([...every('audit', 'k8s-audit', 0, 0), ...every('auth', 'syslog', 0, 30)]), false);
    // auth at 30:00 → watermark 29:30: audit's 30 min are not over yet.
    expect(engine.push({ event: from('auth', 'syslog', 30 * MIN + 30), line: 'x' })).toEqual([]);
    const fired = engine.push({ event: from('auth', 'syslog', 30 * MIN + 31), line: 'x' });
    expect(fired.map((a) => [a.key, a.ts])).toEqual([['audit', '2026-06-10T00:30:00Z']]);
    expect(engine.push({ event: from('auth', 'syslog', 40 * MIN), line: 'x' })).toEqual([]);
  });

  it('counts a source that never spoke from the first event the engine saw', () => {
    const alerts = run([H1], every('auth', 'syslog', 5, 40), { sources: SOURCES });
    expect(alerts.map((a) => [a.key, a.ts, a.firstSeen])).toEqual([['audit', '2026-06-10T00:35:00Z', '2026-06-10T00:05:00Z']]);
    expect(alerts[0]!.summary).toContain('since tripline started reading');
    expect(alerts[0]!.evidence).toEqual([]);
  });

  it('flush judges silences up to the last event time and never beyond it', () => {
    // Last event 30:10; watermark 29:40 during the run, so only flush can see audit's 30 min pass.
    const events = byTime([from('audit', 'k8s-audit', 0), ...every('auth', 'syslog', 0, 30), from('auth', 'syslog', 30 * MIN + 10)]);
    const engine = makeEngine([H1], { sources: SOURCES });
    expect(feed(engine, events, false)).toEqual([]);
    expect(engine.flush().map((a) => [a.key, a.ts])).toEqual([['audit', '2026-06-10T00:30:00Z']]);
    // Twenty minutes of data: nothing to say about a 30 min limit, even at flush.
    expect(run([H1], byTime([from('audit', 'k8s-audit', 0), ...every('auth', 'syslog', 0, 20)]), { sources: SOURCES })).toEqual([]);
  });

  it('uses maxSilence by source name, then kind, then the defaults', () => {
    const events = byTime([from('audit', 'k8s-audit', 0), from('auth', 'syslog', 0), ...every('vault', 'vault-audit', 0, 180)]);
    const sources = [...SOURCES, { name: 'vault', kind: 'vault-audit' as const }];
    const keys = (config: object) => run([H1], events, { sources, config }).map((a) => [a.key, a.ts]);
    expect(keys({})).toEqual([['audit', '2026-06-10T00:30:00Z']]);
    expect(keys({ health: { maxSilence: { audit: '2h', syslog: '1h' } } })).toEqual([
      ['auth', '2026-06-10T01:00:00Z'],
      ['audit', '2026-06-10T02:00:00Z'],
    ]);
  });

  it('watches every source it sees when no source list is given', () => {
    const events = byTime([from('x', 'k8s-audit', 0), ...every('y', 'syslog', 0, 31)]);
    expect(run([H1], events).map((a) => a.key)).toEqual(['x']);
  });

  it('ignores sources outside a given list', () => {
    const events = byTime([from('x', 'k8s-audit', 0), ...every('auth', 'syslog', 0, 31)]);
    expect(run([H1], events, { sources: [{ name: 'auth', kind: 'syslog' }] })).toEqual([]);
  });
});
