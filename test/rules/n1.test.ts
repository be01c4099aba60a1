import { describe, expect, it } from 'vitest';
import { N1 } from '../../rules/swarm/n1-new-drone.js';
import type { Alert } from '../../schemas/alert.js';
import { alertId } from '../../services/engine/alert-id.js';
import type { Engine } from '../../services/engine/engine.js';
import { makeEngine, roundTrip } from '../helpers/engine.js';
import { parseLine } from '../helpers/events.js';

/** A gateway drone.register line (docs/swarm-log.md). */
const register = (sec: number, drone: string, sourceIp = '10.42.0.184', cores = 4, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    ts: new Date(Date.UTC(2026, 5, 10, 1, 0, 0) + sec * 1000).toISOString(),
    component: 'gateway', event: 'drone.register', drone, source_ip: sourceIp, cores, status: 'pending', ...extra,
  });

function push(engine: Engine, lines: string[]): Alert[] {
  return lines.flatMap((l) => engine.push({ event: parseLine('swarm', l), line: l }));
}

describe('N1 new drone', () => {
  it('fires the first time a drone registers, saying it is pending approval with id, address and cores', () => {
    const alerts = push(makeEngine([N1]), [register(0, 'drone-lxc', '10.42.0.184', 4), register(60, 'drone-lxc'), register(120, 'drone-lxc')]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      rule: 'N1', key: 'drone-lxc', count: 1, severity: 'warning', ts: '2026-06-10T01:00:00Z', runbook: 'docs/runbooks.md#n1',
      summary: 'New build drone drone-lxc registered from 10.42.0.184 with 4 cores: pending approval',
      id: alertId('N1', 'drone-lxc', 'first'),
    });
    expect(alerts[0]!.fields).toMatchObject({ target: 'drone-lxc', addresses: ['10.42.0.184'], details: { cores: 4, sourceIp: '10.42.0.184' } });
  });

  it('names an advertised address that differs from the source address', () => {
    const [a] = push(makeEngine([N1]), [register(0, 'd2', '10.42.0.7', 16, { advertised_ip: '100.64.0.9' })]);
    expect(a!.summary).toBe('New build drone d2 registered from 10.42.0.7 (advertising 100.64.0.9) with 16 cores: pending approval');
  });

  it('never fires for approved drones (exact ids and globs), whatever their order', () => {
    const config = { swarm: { approvedDrones: ['drone-Tarn', 'builder-*'] } };
    const alerts = push(makeEngine([N1], { config }), [register(0, 'drone-Tarn'), register(1, 'builder-07'), register(2, 'builder-08'), register(3, 'rogue')]);
    expect(alerts.map((a) => a.key)).toEqual(['rogue']);
  });

  it('remembers what it has seen across a restart (snapshot → restore)', () => {
    const first = makeEngine([N1]);
    expect(push(first, [register(0, 'drone-a'), register(10, 'drone-b')]).map((a) => a.key)).toEqual(['drone-a', 'drone-b']);
    const state = roundTrip(first.snapshot());

    const restarted = makeEngine([N1], { state });
    expect(push(restarted, [register(3600, 'drone-a'), register(3601, 'drone-b'), register(3602, 'drone-c')]).map((a) => a.key)).toEqual(['drone-c']);
    // Without the saved state the same lines would fire again: the state is what prevents it.
    expect(push(makeEngine([N1]), [register(3600, 'drone-a')]).map((a) => a.key)).toEqual(['drone-a']);
  });

  it('ignores other swarm events', () => {
    const approve = JSON.stringify({ ts: '2026-06-10T01:00:00Z', component: 'gateway', event: 'drone.approve', drone: 'x', by: 'admin' });
    expect(push(makeEngine([N1]), [approve])).toEqual([]);
  });
});
