import { describe, expect, it } from 'vitest';
import { S2 } from '../../rules/ssh/s2-brute-force.js';
import type { Alert } from '../../schemas/alert.js';
import { makeEngine } from '../helpers/engine.js';
import { parseLine } from '../helpers/events.js';

/** An rsyslog (RSYSLOG_FileFormat) auth.log line from sshd on `host`. */
const sshd = (sec: number, msg: string, host = 'bastion', pid = 3100 + sec) =>
  `${new Date(Date.UTC(2026, 5, 10, 5, 0, 0) + sec * 1000).toISOString()} ${host} sshd[${pid}]: ${msg}`;

function replay(lines: string[], config = {}): Alert[] {
  const engine = makeEngine([S2], { config });
  const out: Alert[] = [];
  for (const l of lines) out.push(...engine.push({ event: parseLine('syslog', l), line: l }));
  return [...out, ...engine.flush()];
}

const failed = (sec: number, user = 'root', ip = '203.0.113.5', host = 'bastion') =>
  sshd(sec, `Failed password for ${user} from ${ip} port ${40000 + sec} ssh2`, host);

describe('S2 SSH brute force', () => {
  it('fires on the 11th failed attempt from one address within 5 min', () => {
    const lines = Array.from({ length: 12 }, (_, i) => failed(i * 20, i % 2 ? 'root' : 'admin'));
    const alerts = replay(lines);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      rule: 'S2', key: 'bastion 203.0.113.5', count: 11, severity: 'warning', ts: '2026-06-10T05:03:20Z', firstSeen: '2026-06-10T05:00:00Z',
    });
    expect(alerts[0]!.summary).toBe('11 failed SSH attempts from 203.0.113.5 against bastion in 3 min, for admin (6), root (5)');
    expect(alerts[0]!.fields).toMatchObject({ addresses: ['203.0.113.5'], host: 'bastion' });
    expect(alerts[0]!.evidence[10]!.line).toBe(lines[10]);
  });

  it('does not fire for ten attempts, or for attempts spread over more than 5 min', () => {
    expect(replay(Array.from({ length: 10 }, (_, i) => failed(i)))).toEqual([]);
    expect(replay(Array.from({ length: 20 }, (_, i) => failed(i * 40)))).toEqual([]);
  });

  it('keys on the real address when the user name holds a fake ` from <ip> port <n>`', () => {
    const fake = 'x from 10.0.20.5 port 22';
    const lines = Array.from({ length: 11 }, (_, i) => sshd(i, `Failed password for invalid user ${fake} from 198.51.100.66 port ${50000 + i} ssh2`));
    const [a, ...rest] = replay(lines);
    expect(rest).toEqual([]);
    expect(a!.key).toBe('bastion 198.51.100.66');
    expect(a!.fields.details?.users).toEqual([`${fake} (invalid)`]);
  });

  it('counts Invalid user and too-many-failures lines, weighted by "message repeated N times"', () => {
    const lines = [
      sshd(0, 'Invalid user oracle from 203.0.113.5 port 41000'),
      sshd(1, 'message repeated 5 times: [ Failed password for root from 203.0.113.5 port 41001 ssh2]'),
      sshd(2, 'error: maximum authentication attempts exceeded for root from 203.0.113.5 port 41001 ssh2 [preauth]'),
      sshd(3, 'Disconnecting authenticating user root 203.0.113.5 port 41001: Too many authentication failures [preauth]'),
      sshd(4, 'Failed publickey for git from 203.0.113.5 port 41002 ssh2: RSA SHA256:abc'),
      sshd(5, 'Failed none for invalid user test from 203.0.113.5 port 41003 ssh2'),
      failed(6),
    ];
    const [a, ...rest] = replay(lines);
    expect(rest).toEqual([]);
    // 1 + 5 + 1 + 1 + 1 + 1 + 1: the seventh line crosses.
    expect(a!.count).toBe(11);
    expect(a!.ts).toBe('2026-06-10T05:00:06Z');
  });

  it('does not count PAM lines that restate attempts sshd already logged', () => {
    // Four mistyped passwords: 4 Failed lines, 4 pam_unix failures, and PAM's "3 more" summary.
    const lines = [0, 1, 2, 3].flatMap((i) => [
      sshd(i * 3, 'pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.5  user=alice', 'bastion', 900),
      sshd(i * 3 + 1, 'Failed password for alice from 203.0.113.5 port 41000 ssh2', 'bastion', 900),
    ]);
    lines.push(sshd(13, 'PAM 3 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.5  user=alice', 'bastion', 900));
    expect(replay(lines)).toEqual([]);
  });

  it('keeps hosts and addresses apart, ignores successes and scanner noise', () => {
    const lines = [
      ...Array.from({ length: 6 }, (_, i) => failed(i, 'root', '203.0.113.5', 'a')),
      ...Array.from({ length: 6 }, (_, i) => failed(i, 'root', '203.0.113.5', 'b')),
      ...Array.from({ length: 6 }, (_, i) => failed(i, 'root', '203.0.113.6', 'a')),
      ...Array.from({ length: 20 }, (_, i) => sshd(i, `Accepted publickey for root from 203.0.113.5 port ${42000 + i} ssh2: ED25519 SHA256:k`, 'a')),
      ...Array.from({ length: 20 }, (_, i) => sshd(i, 'Did not receive identification string from 203.0.113.5 port 1', 'a')),
    ].sort();
    expect(replay(lines)).toEqual([]);
  });

  it('follows ssh.bruteForce', () => {
    const lines = Array.from({ length: 4 }, (_, i) => failed(i));
    expect(replay(lines, { ssh: { bruteForce: { threshold: 3 } } }).map((a) => a.count)).toEqual([4]);
  });
});
