import { describe, expect, it } from 'vitest';
import { H2 } from '../../rules/health/h2-parse-errors.js';
import type { Alert } from '../../schemas/alert.js';
import { alertId } from '../../services/engine/alert-id.js';
import type { Engine } from '../../services/engine/engine.js';
import { at, makeEvent, input } from '../helpers/events.js';
import { makeEngine } from '../helpers/engine.js';

const CONFIG = { health: { parseErrors: { minLines: 10, ratio: 0.1, window: '10m' } } };
const SRC = { name: 'auth', kind: 'syslog' as const };

/** `good` events and `bad` errors of code `code` interleaved over [startSec, startSec + 60). */
function burst(engine: Engine, startSec: number, good: number, bad: number, code = 'TRIP_PARSE_UNKNOWN_FORMAT'): Alert[] {
  const out: Alert[] = [];
  const n = Math.max(good, bad);
  for (let i = 0; i < n; i++) {
    if (i < good) out.push(...engine.push(input(makeEvent({ tsMs: at(startSec + i), source: SRC }))));
    if (i < bad) out.push(...engine.pushError({ sourceName: 'auth', kind: 'syslog', code }));
  }
  return out;
}

const tick = (engine: Engine, sec: number): Alert[] => engine.push(input(makeEvent({ tsMs: at(sec), source: { name: 'other', kind: 'journal' } })));

describe('error rate (H2) in the engine', () => {
  it('fires when the source\'s own clock closes the window with lines >= minLines and errors/lines > ratio', () => {
    const engine = makeEngine([H2], { config: CONFIG });
    expect(burst(engine, 0, 15, 5)).toEqual([]);
    // The 00:00-00:10 window closes when auth's watermark (its newest event - 30 s) reaches 00:10.
    expect(engine.push(input(makeEvent({ tsMs: at(10 * 60 + 29), source: SRC })))).toEqual([]);
    const [a, ...rest] = engine.push(input(makeEvent({ tsMs: at(10 * 60 + 30), source: SRC })));
    expect(rest).toEqual([]);
    expect(a).toMatchObject({ rule: 'H2', key: 'auth', count: 5, severity: 'warning', firstSeen: '2026-06-10T00:00:00Z' });
    expect(a!.summary).toBe('5 of 20 lines (25%) from auth (syslog) failed to parse in 10 min: TRIP_PARSE_UNKNOWN_FORMAT (5)');
    expect(a!.id).toBe(alertId('H2', 'auth', `window:${at(0)}`));
    expect(engine.flush()).toEqual([]);
  });

  it('lets a source lag the others by up to one window; a stalled source\'s windows close on the global clock', () => {
    const engine = makeEngine([H2], { config: CONFIG });
    burst(engine, 0, 15, 5);
    // Other sources move on; auth says nothing more. Its clock trails the newest event by 10 min.
    expect(tick(engine, 20 * 60 + 29)).toEqual([]);
    expect(tick(engine, 20 * 60 + 30).map((a) => [a.key, a.count])).toEqual([['auth', 5]]);
  });

  it('does not fire below the ratio or below minLines', () => {
    const e1 = makeEngine([H2], { config: CONFIG });
    burst(e1, 0, 90, 10); // exactly 10%: not more than
    expect(e1.flush()).toEqual([]);
    const e2 = makeEngine([H2], { config: CONFIG });
    burst(e2, 0, 4, 5); // 9 lines < minLines
    expect(e2.flush()).toEqual([]);
  });

  it('does not count blank lines and comments at all', () => {
    const engine = makeEngine([H2], { config: CONFIG });
    burst(engine, 0, 15, 30, 'TRIP_PARSE_EMPTY');
    burst(engine, 100, 0, 30, 'TRIP_PARSE_COMMENT');
    expect(engine.flush()).toEqual([]);
    expect(engine.stats().keys.H2).toBe(1);
  });

  it('judges the open window at flush (end of input)', () => {
    const engine = makeEngine([H2], { config: CONFIG });
    burst(engine, 0, 10, 10);
    expect(engine.flush().map((a) => [a.key, a.count])).toEqual([['auth', 10]]);
  });

  it('places errors seen before any event time with the source\'s first line', () => {
    const engine = makeEngine([H2], { config: CONFIG });
    for (let i = 0; i < 8; i++) expect(engine.pushError({ sourceName: 'auth', kind: 'syslog', code: 'TRIP_PARSE_JSON' })).toEqual([]);
    burst(engine, 0, 5, 0);
    expect(engine.flush().map((a) => [a.count, a.firstSeen])).toEqual([[8, '2026-06-10T00:00:00Z']]);
  });

  it('places errors of an all-failing source at the newest event time overall', () => {
    const engine = makeEngine([H2], { config: CONFIG });
    tick(engine, 0);
    tick(engine, 100);
    for (let i = 0; i < 12; i++) engine.pushError({ sourceName: 'auth', kind: 'syslog', code: 'TRIP_PARSE_SHAPE' });
    expect(tick(engine, 10 * 60 + 29)).toEqual([]);
    const alerts = tick(engine, 10 * 60 + 30);
    expect(alerts.map((a) => [a.key, a.count, a.ts])).toEqual([['auth', 12, '2026-06-10T00:01:40Z']]);
  });

  it('fires at most once per source and window', () => {
    const engine = makeEngine([H2], { config: CONFIG });
    burst(engine, 0, 10, 10);
    burst(engine, 300, 10, 10);
    const alerts = [...burst(engine, 700, 10, 10), ...engine.flush()];
    expect(alerts.map((a) => [a.count, a.firstSeen])).toEqual([
      [20, '2026-06-10T00:00:00Z'],
      [10, '2026-06-10T00:11:40Z'],
    ]);
  });
});
