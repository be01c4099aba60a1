import { describe, expect, it } from 'vitest';
import { H2 } from '../../rules/health/h2-parse-errors.js';
import type { Alert } from '../../schemas/alert.js';
import { alertId } from '../../services/engine/alert-id.js';
import { makeEngine } from '../helpers/engine.js';
import { tryParse } from '../helpers/events.js';

const T = Date.UTC(2026, 5, 10, 6, 0, 0);
const good = (sec: number) =>
  JSON.stringify({ ts: new Date(T + sec * 1000).toISOString(), component: 'gateway', event: 'service.start', host: 'gw', version: '1.2.3' });

/** Lines through the real swarm parser; failures go to pushError as the replay pipeline does. */
function replay(lines: string[], config = {}): Alert[] {
  const engine = makeEngine([H2], { config });
  const out: Alert[] = [];
  for (const l of lines) {
    const r = tryParse('swarm', l, { sourceName: 'swarm-log' });
    if ('event' in r) out.push(...engine.push({ event: r.event, line: l }));
    else out.push(...engine.pushError({ sourceName: r.error.sourceName, kind: r.error.kind, code: r.error.code }));
  }
  return [...out, ...engine.flush()];
}

describe('H2 parse errors', () => {
  it('fires when more than 1% of at least 100 lines fail within 10 min (a format change)', () => {
    // 200 lines over 5 min; from line 150 on the gateway writes a new, unparseable format.
    const lines = Array.from({ length: 200 }, (_, i) => (i < 150 ? good(i * 1.5) : `{"time":${T / 1000 + i},"msg":"drone.register"`));
    const alerts = replay(lines);
    expect(alerts).toHaveLength(1);
    const a = alerts[0]!;
    expect(a).toMatchObject({ rule: 'H2', key: 'swarm-log', count: 50, severity: 'warning', runbook: 'docs/runbooks.md#h2' });
    expect(a.id).toBe(alertId('H2', 'swarm-log', `window:${T}`));
    expect(a.summary).toBe('50 of 200 lines (25%) from swarm-log (swarm) failed to parse in 10 min: TRIP_PARSE_JSON (50)');
    expect(a.fields.details).toMatchObject({ lines: 200, errors: 50, codes: ['TRIP_PARSE_JSON (50)'] });
  });

  it('does not fire for 1% or less, nor for blank lines', () => {
    const lines = Array.from({ length: 300 }, (_, i) => (i % 100 === 99 ? 'garbage' : good(i)));
    expect(replay(lines)).toEqual([]);
    const blanks = Array.from({ length: 300 }, (_, i) => (i % 2 ? '' : good(i)));
    expect(replay(blanks)).toEqual([]);
  });

  it('does not judge a window with fewer than minLines lines', () => {
    const lines = Array.from({ length: 60 }, (_, i) => (i % 2 ? 'garbage' : good(i)));
    expect(replay(lines)).toEqual([]);
    expect(replay(lines, { health: { parseErrors: { minLines: 50 } } }).map((a) => a.count)).toEqual([30]);
  });
});
