import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SecurityEvent } from '../../schemas/event.js';
import { parseSwarm } from '../../services/parsers/swarm.js';
import type { ParseContext, ParseResult } from '../../services/parsers/types.js';

const ctx = (over: Partial<ParseContext> = {}): ParseContext => ({
  kind: 'swarm',
  sourceName: 'swarm.log',
  position: 'line 1',
  carry: {},
  ...over,
});

function ok(line: string, c: ParseContext = ctx()) {
  const r = parseSwarm(line, c);
  if (!r.ok) throw new Error(`expected an event, got ${r.error.code}: ${r.error.message}`);
  return SecurityEvent.parse(r.event);
}

function errorCode(r: ParseResult): string | null {
  return r.ok ? null : r.error.code;
}

const json = (o: Record<string, unknown>) => JSON.stringify({ ts: '2026-06-10T01:02:03.456Z', component: 'gateway', ...o });

describe('parseSwarm: JSON lines', () => {
  it('drone.register: drone facet, client = the address the gateway saw', () => {
    const line =
      '{"ts":"2026-06-10T01:02:03.456Z","component":"gateway","event":"drone.register","drone":"drone-lxc","source_ip":"10.42.0.1","advertised_ip":"10.42.0.184","cores":4,"status":"pending"}';
    const e = ok(line);
    expect(e).toMatchObject({
      ts: '2026-06-10T01:02:03.456Z',
      tsMs: Date.UTC(2026, 5, 10, 1, 2, 3, 456),
      app: 'swarm',
      action: 'drone.register',
      outcome: 'unknown',
      host: null,
      client: { addrs: ['10.42.0.1'], port: null },
      drone: { id: 'drone-lxc', sourceIp: '10.42.0.1', advertisedIp: '10.42.0.184', cores: 4, status: 'pending', by: null },
      raw: { format: 'swarm-json', entry: { event: 'drone.register', component: 'gateway' } },
    });
    expect(e.id).toMatch(/^swarm:[0-9a-f]{20}$/);
    expect(e.id).toBe(ok(line, ctx({ position: 'line 7' })).id);
  });

  it('drone.register without source_ip or advertised_ip: no client, nulls in the facet', () => {
    const e = ok(json({ event: 'drone.register', drone: 'drone-x', cores: 8, status: 'approved' }));
    expect(e.client).toEqual({ addrs: [], port: null });
    expect(e.drone).toEqual({ id: 'drone-x', sourceIp: null, advertisedIp: null, cores: 8, status: 'approved', by: null });
  });

  it.each([['drone.approve'], ['drone.remove']])('%s: the admin is a human actor', (event) => {
    const e = ok(json({ event, drone: 'drone-lxc', by: 'viktor' }));
    expect(e.action).toBe(event);
    expect(e.actor).toEqual({ name: 'viktor', kind: 'human', id: null });
    expect(e.drone).toMatchObject({ id: 'drone-lxc', by: 'viktor' });
  });

  it('drone.approve without by: unknown actor', () => {
    expect(ok(json({ event: 'drone.approve', drone: 'd1' })).actor.kind).toBe('unknown');
  });

  it('action.remote: remote facet and target address', () => {
    const e = ok(
      '{"ts":"2026-06-10T02:42:16Z","component":"orchestrator","event":"action.remote","action":"reboot","target_ip":"10.42.0.199","drone":"drone-Tarn","reason":"unresponsive for 600s"}',
    );
    expect(e).toMatchObject({
      action: 'remote.action',
      ts: '2026-06-10T02:42:16Z',
      remote: { action: 'reboot', targetIp: '10.42.0.199', drone: 'drone-Tarn', reason: 'unresponsive for 600s' },
      target: { address: '10.42.0.199' },
    });
  });

  it('service.start: host from the JSON', () => {
    const e = ok(json({ event: 'service.start', host: 'gw01', version: '1.4.2' }), ctx({ defaultHost: 'loki-label' }));
    expect(e).toMatchObject({ action: 'service.start', host: 'gw01' });
  });

  it('unknown events are kept as generic swarm events, extra fields kept in raw', () => {
    const e = ok(json({ event: 'drone.heartbeat', drone: 'd1', load: [0.1, 0.2] }), ctx({ defaultHost: 'gw01' }));
    expect(e).toMatchObject({ action: 'other', app: 'swarm', host: 'gw01', raw: { entry: { load: [0.1, 0.2] } } });
    expect(e.drone).toBeUndefined();
  });

  it.each([
    ['9-digit fraction', '2026-06-10T01:02:03.123456789Z', '2026-06-10T01:02:03.123456789Z', 456_789],
    ['an offset', '2026-06-10T03:02:03+02:00', '2026-06-10T01:02:03Z', 0],
    ['no fraction', '2026-06-10T01:02:03Z', '2026-06-10T01:02:03Z', 0],
  ])('ts with %s', (_n, ts, iso, subNs) => {
    const e = ok(json({ ts, event: 'service.start' }));
    expect(e.ts).toBe(iso);
    expect(e.tsSubNs).toBe(subNs);
  });

  it('hostile text is kept as data', () => {
    const e = ok(json({ event: 'drone.register', drone: '<!channel> *pwn*', source_ip: '10.0.0.1 <http://x|y>' }));
    expect(e.drone?.id).toBe('<!channel> *pwn*');
    expect(e.drone?.sourceIp).toBe('10.0.0.1 <http://x|y>');
  });

  it.each([
    ['cores as a word', json({ event: 'drone.register', drone: 'd', cores: 'four' }), 'TRIP_PARSE_SHAPE'],
    ['source_ip as a number', json({ event: 'drone.register', drone: 'd', source_ip: 167772161 }), 'TRIP_PARSE_SHAPE'],
    ['event missing', json({ drone: 'd' }), 'TRIP_PARSE_SHAPE'],
    ['ts a number', JSON.stringify({ ts: 1749517323, event: 'service.start' }), 'TRIP_PARSE_SHAPE'],
    ['drone.register without drone', json({ event: 'drone.register', source_ip: '10.0.0.1' }), 'TRIP_PARSE_SHAPE'],
    ['drone.remove with empty drone', json({ event: 'drone.remove', drone: '', by: 'x' }), 'TRIP_PARSE_SHAPE'],
    ['action.remote without action', json({ event: 'action.remote', target_ip: '10.42.0.199' }), 'TRIP_PARSE_SHAPE'],
    ['bad ts', json({ ts: 'yesterday', event: 'service.start' }), 'TRIP_PARSE_TIMESTAMP'],
    ['truncated JSON', '{"ts":"2026-06-10T01:02:03Z","event":"drone.reg', 'TRIP_PARSE_JSON'],
    ['not an object', '{} {}', 'TRIP_PARSE_JSON'],
  ])('error: %s', (_n, line, code) => {
    expect(errorCode(parseSwarm(line, ctx()))).toBe(code);
  });
});

describe('parseSwarm: orchestrator text lines', () => {
  it('the documented sequence: full, full, time-only', () => {
    const c = ctx();
    const [a, b, d] = [
      '[2026-06-10 02:42:15] Drone drone-Tarn unresponsive for 600s',
      '[2026-06-10 02:42:16] Initiating SSH reboot to 10.42.0.199',
      '[02:42:17] Reboot command sent',
    ].map((l) => ok(l, c));
    expect(a).toMatchObject({
      ts: '2026-06-10T02:42:15Z',
      app: 'swarm',
      action: 'drone.unresponsive',
      drone: { id: 'drone-Tarn', sourceIp: null, advertisedIp: null, cores: null, status: null, by: null },
      raw: { format: 'swarm-text', entry: { timestamp: '2026-06-10 02:42:15', message: 'Drone drone-Tarn unresponsive for 600s' } },
    });
    expect(b).toMatchObject({
      action: 'remote.action',
      remote: { action: 'reboot', targetIp: '10.42.0.199', drone: null, reason: null },
      target: { address: '10.42.0.199' },
    });
    expect(d).toMatchObject({ ts: '2026-06-10T02:42:17Z', action: 'remote.action.sent', raw: { entry: { timestamp: '02:42:17' } } });
  });

  it.each([
    ['Initiating SSH shutdown to 100.64.0.88', 'remote.action'],
    ['Initiating SSH kill to ::1', 'remote.action'],
    ['Drone drone-7 unresponsive for 30s', 'drone.unresponsive'],
    ['Reboot command sent', 'remote.action.sent'],
    ['Scheduling build of sys-devel/gcc on drone-7', 'other'],
    ['Drone drone-7 unresponsive for a while', 'other'],
    ['', 'other'],
  ])('%j → %s', (msg, action) => {
    expect(ok(`[2026-06-10 10:00:00] ${msg}`).action).toBe(action);
  });

  it('time-only before any full timestamp takes its date from --date', () => {
    const c = ctx({ date: '2026-06-09' });
    expect(ok('[23:59:58] Reboot command sent', c).ts).toBe('2026-06-09T23:59:58Z');
    // ...and then keeps counting from there: midnight moves to the next day
    expect(ok('[00:00:03] Initiating SSH reboot to 10.42.0.5', c).ts).toBe('2026-06-10T00:00:03Z');
  });

  it('a full timestamp wins over --date', () => {
    const c = ctx({ date: '2020-01-01' });
    ok('[2026-06-10 08:00:00] start', c);
    expect(ok('[08:00:01] Reboot command sent', c).ts).toBe('2026-06-10T08:00:01Z');
  });

  it('crossing midnight moves time-only lines to the next day, across a month end', () => {
    const c = ctx();
    expect(ok('[2026-06-30 23:59:59] Drone d unresponsive for 600s', c).ts).toBe('2026-06-30T23:59:59Z');
    expect(ok('[00:00:01] Initiating SSH reboot to 10.42.0.9', c).ts).toBe('2026-07-01T00:00:01Z');
    expect(ok('[00:00:02] Reboot command sent', c).ts).toBe('2026-07-01T00:00:02Z');
    expect(ok('[00:00:02] Reboot command sent', c).ts).toBe('2026-07-01T00:00:02Z'); // equal is not earlier
  });

  it('JSON lines do not move the text date (they come from other writers)', () => {
    const c = ctx();
    ok('[2026-06-10 23:59:50] tick', c);
    ok(json({ ts: '2026-06-11T00:00:05Z', event: 'service.start' }), c);
    expect(ok('[23:59:55] tock', c).ts).toBe('2026-06-10T23:59:55Z');
  });

  it.each([
    ['time-only with no full timestamp and no --date', '[02:42:17] Reboot command sent', ctx()],
    ['a bad --date', '[02:42:17] Reboot command sent', ctx({ date: '10/06/2026' })],
    ['hour 25', '[2026-06-10 25:00:00] x', ctx()],
    ['February 30', '[2026-02-30 10:00:00] x', ctx()],
    ['garbage in the brackets', '[2026-06-10 xx:00:00] x', ctx()],
  ])('TIMESTAMP error: %s', (_n, line, c) => {
    expect(errorCode(parseSwarm(line, c))).toBe('TRIP_PARSE_TIMESTAMP');
    expect(c.carry.swarmDate).toBeUndefined();
  });

  it.each([
    ['plain text', 'Drone drone-7 unresponsive for 30s', 'TRIP_PARSE_UNKNOWN_FORMAT'],
    ['a bracketed word', '[INFO] starting', 'TRIP_PARSE_UNKNOWN_FORMAT'],
    ['blank', '', 'TRIP_PARSE_EMPTY'],
    ['NUL bytes', '[2026-06-10 10:00:00] a\u0000b', 'TRIP_PARSE_BINARY'],
  ])('error: %s', (_n, line, code) => {
    const r = parseSwarm(line, ctx());
    expect(errorCode(r)).toBe(code);
    if (!r.ok) expect(r.error).toMatchObject({ kind: 'swarm', sourceName: 'swarm.log', position: 'line 1' });
  });

  it('a 100 KB hostile text line parses fast', () => {
    const line = `[2026-06-10 10:00:00] Drone ${'x'.repeat(100_000)} unresponsive for ${'9'.repeat(50)}`;
    const t0 = performance.now();
    expect(ok(line).action).toBe('other');
    expect(performance.now() - t0).toBeLessThan(50);
  });
});

describe('property: never throws; every ok result is a valid SecurityEvent', () => {
  it('on JSON objects with arbitrary values and on bracketed text', () => {
    const field = fc.constantFrom('ts', 'event', 'drone', 'source_ip', 'cores', 'by', 'action', 'target_ip', 'host');
    const value = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.constant('2026-06-10T01:02:03Z'), fc.constantFrom('drone.register', 'action.remote', 'drone.approve'));
    const c = ctx({ date: '2026-06-10' });
    fc.assert(
      fc.property(fc.dictionary(field, value), fc.string(), (obj, text) => {
        for (const line of [JSON.stringify(obj), `[10:00:00] ${text}`, `[${text}`]) {
          const r = parseSwarm(line, c);
          if (r.ok) SecurityEvent.parse(r.event);
        }
      }),
    );
  });
});
