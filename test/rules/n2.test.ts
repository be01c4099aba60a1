import { describe, expect, it } from 'vitest';
import { N2 } from '../../rules/swarm/n2-protected-drone-address.js';
import { findingsOf, makeContext } from '../helpers/context.js';
import { swarmEvent } from '../helpers/rule-events.js';

const ctx = makeContext();
const register = (o: Record<string, unknown>) =>
  findingsOf(N2.match(swarmEvent({ component: 'gateway', event: 'drone.register', drone: 'drone-Tarn', cores: 8, status: 'pending', ...o }), ctx));

describe('N2 drone registered under a protected address', () => {
  it('fires for the NAT incident: a drone registered under the gateway address 10.42.0.199', () => {
    const [f, ...rest] = register({ source_ip: '10.42.0.199', advertised_ip: '10.42.0.199' });
    expect(rest).toEqual([]);
    expect(f!.key).toBe('drone-Tarn');
    expect(f!.summary).toBe(
      'Drone drone-Tarn registered with protected source address 10.42.0.199 and advertised address 10.42.0.199: a NAT-masqueraded drone or an impersonation',
    );
    expect(f!.fields).toMatchObject({ actor: 'drone-Tarn', addresses: ['10.42.0.199'], target: '10.42.0.199' });
    expect(f!.fields!.details).toMatchObject({ sourceIp: '10.42.0.199', advertisedIp: '10.42.0.199', protectedAddresses: ['10.42.0.199'], cores: 8 });
  });

  it('fires when only the source address is protected (masquerade)', () => {
    expect(register({ source_ip: '10.42.0.199', advertised_ip: '10.42.0.184' }).map((f) => f.summary)).toEqual([
      'Drone drone-Tarn registered with protected source address 10.42.0.199: a NAT-masqueraded drone or an impersonation',
    ]);
  });

  it('fires when only the advertised address is protected, naming the real source', () => {
    expect(register({ source_ip: '10.42.0.184', advertised_ip: '100.64.0.88' }).map((f) => f.summary)).toEqual([
      'Drone drone-Tarn registered with protected advertised address 100.64.0.88 (seen from 10.42.0.184): a NAT-masqueraded drone or an impersonation',
    ]);
    expect(register({ source_ip: '10.42.0.184', advertised_ip: '127.0.0.1' })).toHaveLength(1);
    expect(register({ source_ip: '10.42.0.184', advertised_ip: '::ffff:10.42.0.1' })).toHaveLength(1);
  });

  it('does not fire for ordinary drone addresses or other swarm events', () => {
    expect(register({ source_ip: '10.42.0.184', advertised_ip: '10.42.0.184' })).toEqual([]);
    expect(register({ source_ip: '10.42.0.184' })).toEqual([]);
    expect(findingsOf(N2.match(swarmEvent({ event: 'drone.approve', drone: 'drone-Tarn', by: 'me' }), ctx))).toEqual([]);
  });

  it('declares its metadata', () => {
    expect(N2).toMatchObject({ id: 'N2', severity: 'critical', runbook: 'n2', sources: ['swarm'], apps: ['swarm'] });
    expect(N2.params!(ctx.config)).toEqual({ networks: { protected: ['10.42.0.199', '100.64.0.88', '10.42.0.1', '127.0.0.0/8', '::1'] } });
  });
});
