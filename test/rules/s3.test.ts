import { describe, expect, it } from 'vitest';
import { S3 } from '../../rules/ssh/s3-break-glass.js';
import type { SshConnection } from '../../rules/define.js';
import { findingsOf, makeContext } from '../helpers/context.js';
import { sshdEvent } from '../helpers/rule-events.js';

const FP = 'SHA256:Xk3Q9bq0n7o9L1m2p3r4s5t6u7v8w9x0y1z2A3B4C5D';
const conn = (localPort: number, clientIp = '203.0.113.5'): SshConnection => ({ clientIp, clientPort: 52144, localAddr: '192.168.1.10', localPort, tsMs: 0 });
const accepted = (ip = '203.0.113.5', pid = 4242) => sshdEvent(`Accepted publickey for root from ${ip} port 52144 ssh2: ED25519 ${FP}`, 'pve', pid);
const viaPort = (port: number, clientIp?: string) => ({
  sshConnection: (host: string | null, pid: number | null) => (host === 'pve' && pid === 4242 ? conn(port, clientIp) : undefined),
});

describe('S3 break-glass SSH used', () => {
  it('fires for a login whose connection came in on port 52222', () => {
    const out = findingsOf(S3.match(accepted(), makeContext({}, viaPort(52222))));
    expect(out).toHaveLength(1);
    expect(out[0]!.key).toBe('pve 203.0.113.5');
    expect(out[0]!.summary).toBe(`Break-glass SSH used: root logged in to pve from 203.0.113.5 on port 52222 (publickey with key ED25519 ${FP})`);
    expect(out[0]!.fields).toMatchObject({ actor: 'root', host: 'pve', addresses: ['203.0.113.5'], outsideTrusted: ['203.0.113.5'] });
    expect(out[0]!.fields!.details).toMatchObject({ localPort: 52222, keyFingerprint: FP, trustedAddress: false });
  });

  it('fires from a trusted address too: break-glass is never silent', () => {
    const out = findingsOf(S3.match(accepted('192.168.1.50'), makeContext({}, viaPort(52222, '192.168.1.50'))));
    expect(out.map((f) => f.key)).toEqual(['pve 192.168.1.50']);
    expect(out[0]!.fields!.details).toMatchObject({ trustedAddress: true });
    expect(out[0]!.fields!.outsideTrusted).toEqual([]);
  });

  it('with ssh.breakGlass.keys set, only listed fingerprints count', () => {
    const listed = makeContext({ ssh: { breakGlass: { keys: [FP] } } }, viaPort(52222));
    expect(findingsOf(S3.match(accepted(), listed))).toHaveLength(1);
    const bare = makeContext({ ssh: { breakGlass: { keys: [FP.slice('SHA256:'.length)] } } }, viaPort(52222));
    expect(findingsOf(S3.match(accepted(), bare))).toHaveLength(1);
    const other = makeContext({ ssh: { breakGlass: { keys: ['SHA256:AAAA'] } } }, viaPort(52222));
    expect(S3.match(accepted(), other)).toBeNull();
    const password = sshdEvent('Accepted password for root from 203.0.113.5 port 52144 ssh2');
    expect(S3.match(password, listed)).toBeNull();
  });

  it('follows the configured port', () => {
    expect(S3.match(accepted(), makeContext({ ssh: { breakGlass: { port: 2222 } } }, viaPort(52222)))).toBeNull();
    expect(findingsOf(S3.match(accepted(), makeContext({ ssh: { breakGlass: { port: 2222 } } }, viaPort(2222))))).toHaveLength(1);
  });

  it('does not fire on the ordinary port, without a connection line, or for another PID', () => {
    expect(S3.match(accepted(), makeContext({}, viaPort(22)))).toBeNull();
    expect(S3.match(accepted(), makeContext())).toBeNull();
    expect(S3.match(accepted('203.0.113.5', 999), makeContext({}, viaPort(52222)))).toBeNull();
  });

  it('does not trust a connection line from a different client (a reused PID)', () => {
    expect(S3.match(accepted(), makeContext({}, viaPort(52222, '198.51.100.1')))).toBeNull();
  });

  it('does not fire for failed attempts on the break-glass port', () => {
    expect(S3.match(sshdEvent('Failed password for root from 203.0.113.5 port 52144 ssh2'), makeContext({}, viaPort(52222)))).toBeNull();
  });

  it('declares its metadata', () => {
    expect(S3).toMatchObject({ id: 'S3', severity: 'warning', runbook: 's3', apps: ['sshd'] });
    expect(S3.params!(makeContext().config)).toEqual({ port: 52222, keys: [] });
  });
});
