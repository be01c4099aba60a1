import { describe, expect, it } from 'vitest';
import { S1 } from '../../rules/ssh/s1-accepted-outside.js';
import type { SshConnection } from '../../rules/define.js';
import { findingsOf, makeContext } from '../helpers/context.js';
import { sshdEvent } from '../helpers/rule-events.js';

const FP = 'SHA256:Xk3Q9bq0n7o9L1m2p3r4s5t6u7v8w9x0y1z2A3B4C5D';
const conn = (localPort: number, clientIp = '203.0.113.5'): SshConnection => ({ clientIp, clientPort: 52144, localAddr: '192.168.1.10', localPort, tsMs: 0 });
const accepted = (ip: string, user = 'root') => sshdEvent(`Accepted publickey for ${user} from ${ip} port 52144 ssh2: ED25519 ${FP}`);

describe('S1 SSH login from outside trusted networks', () => {
  it('fires for a login from a public address', () => {
    const out = findingsOf(S1.match(accepted('203.0.113.5'), makeContext()));
    expect(out).toHaveLength(1);
    expect(out[0]!.key).toBe('pve root 203.0.113.5');
    expect(out[0]!.summary).toBe(`root logged in to pve over SSH from 203.0.113.5 (outside trusted networks) by publickey with key ED25519 ${FP}`);
    expect(out[0]!.fields).toMatchObject({ actor: 'root', host: 'pve', addresses: ['203.0.113.5'], outsideTrusted: ['203.0.113.5'], target: 'pve' });
    expect(out[0]!.fields!.details).toMatchObject({ pid: 4242, method: 'publickey', keyFingerprint: FP, port: 52144 });
  });

  it('fires for a password login and IPv6', () => {
    const e = sshdEvent('Accepted password for viktor from 2001:db8::10 port 40022 ssh2');
    expect(findingsOf(S1.match(e, makeContext())).map((f) => [f.key, f.summary])).toEqual([
      ['pve viktor 2001:db8::10', 'viktor logged in to pve over SSH from 2001:db8::10 (outside trusted networks) by password'],
    ]);
  });

  it('does not fire from trusted addresses', () => {
    const ctx = makeContext();
    expect(S1.match(accepted('192.168.1.50'), ctx)).toBeNull();
    expect(S1.match(accepted('100.64.0.7'), ctx)).toBeNull();
    expect(S1.match(accepted('10.0.20.15'), ctx)).toBeNull();
  });

  it('is not fooled by a username holding fake "from <trusted ip>" text', () => {
    const e = sshdEvent('Accepted password for evil from 10.0.20.5 port 1 x from 203.0.113.5 port 52144 ssh2');
    const out = findingsOf(S1.match(e, makeContext()));
    expect(out.map((f) => f.fields!.outsideTrusted)).toEqual([['203.0.113.5']]);
  });

  it('does not fire for failed attempts or connection lines', () => {
    const ctx = makeContext();
    expect(S1.match(sshdEvent('Failed password for root from 203.0.113.5 port 52144 ssh2'), ctx)).toBeNull();
    expect(S1.match(sshdEvent('Connection from 203.0.113.5 port 52144 on 192.168.1.10 port 22 rdomain ""'), ctx)).toBeNull();
  });

  it('leaves a break-glass login to S3', () => {
    const ctx = makeContext({}, { sshConnection: (host, pid) => (host === 'pve' && pid === 4242 ? conn(52222) : undefined) });
    expect(S1.match(accepted('203.0.113.5'), ctx)).toBeNull();
  });

  it('fires when the session came in on the break-glass port with an unlisted key', () => {
    const ctx = makeContext({ ssh: { breakGlass: { keys: ['SHA256:someOtherKey'] } } }, { sshConnection: () => conn(52222) });
    expect(findingsOf(S1.match(accepted('203.0.113.5'), ctx)).map((f) => f.key)).toEqual(['pve root 203.0.113.5']);
  });

  it('fires for a login on the ordinary port', () => {
    const ctx = makeContext({}, { sshConnection: () => conn(22) });
    expect(findingsOf(S1.match(accepted('203.0.113.5'), ctx))).toHaveLength(1);
  });

  it('declares its metadata', () => {
    expect(S1).toMatchObject({ id: 'S1', severity: 'critical', runbook: 's1', apps: ['sshd'], sources: ['syslog', 'journal'] });
  });
});
