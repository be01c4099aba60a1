import { describe, expect, it } from 'vitest';
import { G1 } from '../../rules/swarm/g1-remote-action-protected.js';
import { findingsOf, makeContext } from '../helpers/context.js';
import { parseOne, swarmEvent } from '../helpers/rule-events.js';

const ctx = makeContext();
const action = (a: string, target: string, extra: Record<string, unknown> = {}) =>
  findingsOf(G1.match(swarmEvent({ component: 'orchestrator', event: 'action.remote', action: a, target_ip: target, ...extra }), ctx));

describe('G1 destructive remote action aimed at a protected address', () => {
  it('fires for the NAT incident: an SSH reboot of the gateway 10.42.0.199 "to fix" a drone', () => {
    const [f, ...rest] = action('reboot', '10.42.0.199', { drone: 'drone-Tarn', reason: 'unresponsive for 600s' });
    expect(rest).toEqual([]);
    expect(f!.key).toBe('10.42.0.199');
    expect(f!.summary).toBe('The orchestrator is starting an SSH reboot of protected address 10.42.0.199 (believing it is drone drone-Tarn): unresponsive for 600s');
    expect(f!.fields).toMatchObject({ actorKind: 'system', addresses: ['10.42.0.199'], target: '10.42.0.199' });
    expect(f!.fields!.details).toEqual({ action: 'reboot', drone: 'drone-Tarn', reason: 'unresponsive for 600s' });
  });

  it('fires for the orchestrator text form', () => {
    const e = parseOne('swarm', '[2026-06-10 02:42:16] Initiating SSH reboot to 10.42.0.199');
    expect(findingsOf(G1.match(e, ctx)).map((f) => f.summary)).toEqual(['The orchestrator is starting an SSH reboot of protected address 10.42.0.199']);
  });

  it.each(['shutdown', 'poweroff', 'halt', 'kill', 'KILL', 'restart', 'kexec', 'pkill', 'killall'])('treats %s as destructive', (a) => {
    expect(action(a, '10.42.0.1').map((f) => f.key)).toEqual(['10.42.0.1']);
  });

  it('covers every protected address, loopback and IPv6 included', () => {
    expect(action('reboot', '100.64.0.88')).toHaveLength(1);
    expect(action('reboot', '127.0.0.1')).toHaveLength(1);
    expect(action('reboot', '::1')).toHaveLength(1);
  });

  it('does not fire for unprotected targets, non-destructive actions or host names', () => {
    expect(action('reboot', '10.42.0.184')).toEqual([]);
    expect(action('status', '10.42.0.199')).toEqual([]);
    expect(action('sync', '10.42.0.199')).toEqual([]);
    expect(action('reboot', 'gateway.lan')).toEqual([]);
  });

  it('does not fire for the "Reboot command sent" follow-up', () => {
    const carry = {};
    parseOne('swarm', '[2026-06-10 02:42:16] Initiating SSH reboot to 10.42.0.199', { carry });
    expect(G1.match(parseOne('swarm', '[02:42:17] Reboot command sent', { carry }), ctx)).toBeNull();
  });

  it('declares its metadata', () => {
    expect(G1).toMatchObject({ id: 'G1', severity: 'critical', runbook: 'g1', sources: ['swarm'], apps: ['swarm'] });
    expect(G1.params!(ctx.config)).toMatchObject({ actions: ['reboot', 'shutdown', 'poweroff', 'halt', 'kexec', 'restart', 'kill', 'pkill', 'killall'] });
  });
});
