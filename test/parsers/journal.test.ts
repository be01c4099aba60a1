import { describe, it, expect } from 'vitest';
import { parseJournal } from '../../services/parsers/journal.js';
import type { ParseContext, ParseResult } from '../../services/parsers/types.js';
import { SecurityEvent } from '../../schemas/event.js';
import { ParseErrorCode } from '../../services/lib/errors.js';

const ctx = (over: Partial<ParseContext> = {}): ParseContext => ({
  kind: 'journal', sourceName: 'journalctl', position: 'cursor', carry: {}, ...over,
});

function ok(entry: unknown, c: ParseContext = ctx()): SecurityEvent {
  const line = typeof entry === 'string' ? entry : JSON.stringify(entry);
  const r = parseJournal(line, c);
  if (!r.ok) throw new Error(`expected an event, got ${r.error.code}: ${r.error.message}`);
  const v = SecurityEvent.safeParse(r.event);
  if (!v.success) throw new Error(JSON.stringify(v.error.issues));
  return r.event;
}

function err(entry: unknown, c: ParseContext = ctx()): Extract<ParseResult, { ok: false }>['error'] {
  const r = parseJournal(typeof entry === 'string' ? entry : JSON.stringify(entry), c);
  if (r.ok) throw new Error(`expected an error, got event ${r.event.id}`);
  return r.error;
}

const BOOT = '0ffe5f74a4bd49ca8597eb05fe1a512a';
const base = {
  __CURSOR: `s=8c71;i=1f2;b=${BOOT};m=39f445;t=6225212a5b6da;x=3f05`,
  __REALTIME_TIMESTAMP: '1746541351482911',
  __MONOTONIC_TIMESTAMP: '3798085',
  _BOOT_ID: BOOT,
  _HOSTNAME: 'bastion',
  _MACHINE_ID: 'ad88a1859979427ea1a7c24f0ae0320a',
  _TRANSPORT: 'syslog',
  PRIORITY: '6',
  SYSLOG_FACILITY: '4',
  _SYSTEMD_UNIT: 'ssh.service',
  _COMM: 'sshd',
  _PID: '2211',
};
const sshd = (MESSAGE: unknown, extra: Record<string, unknown> = {}) => ({ ...base, SYSLOG_IDENTIFIER: 'sshd', MESSAGE, ...extra });

describe('journal entries', () => {
  it('reads an sshd Accepted entry with string values', () => {
    const ev = ok(sshd('Accepted publickey for alice from 203.0.113.5 port 52144 ssh2: ED25519 SHA256:Xk3'));
    expect(ev.ts).toBe('2025-05-06T14:22:31.482911Z');
    expect(ev.tsSubNs).toBe(911_000);
    expect(ev.id).toBe(`journal:${base.__CURSOR}`);
    expect(ev.host).toBe('bastion');
    expect(ev.bootId).toBe(BOOT);
    expect(ev).toMatchObject({ app: 'sshd', action: 'auth.success', outcome: 'success', actor: { name: 'alice', kind: 'human' } });
    expect(ev.ssh).toMatchObject({ pid: 2211, method: 'publickey', keyType: 'ED25519', keyFingerprint: 'SHA256:Xk3' });
    expect(ev.raw.format).toBe('journal');
    expect(ev.source).toEqual({ kind: 'journal', name: 'journalctl', position: 'cursor' });
  });

  it('takes program from _COMM and pid from SYSLOG_PID when the others are absent', () => {
    const { _PID, ...noPid } = base;
    void _PID;
    const ev = ok({ ...noPid, SYSLOG_PID: '77', MESSAGE: 'Invalid user x from 1.2.3.4 port 5' });
    expect(ev.app).toBe('sshd');
    expect(ev.ssh?.pid).toBe(77);
  });

  it('recognizes sshd-session (OpenSSH ≥ 9.8)', () => {
    const ev = ok(sshd('Failed password for root from 2001:db8::5 port 1 ssh2', { SYSLOG_IDENTIFIER: 'sshd-session', _COMM: 'sshd-session' }));
    expect(ev.action).toBe('auth.failure');
    expect(ev.client.addrs).toEqual(['2001:db8::5']);
  });

  it('decodes MESSAGE given as an array of bytes', () => {
    const bytes = [...Buffer.from('Invalid user caf\u00e9 from 1.2.3.4 port 22')];
    const ev = ok(sshd(bytes));
    expect(ev.ssh?.user).toBe('caf\u00e9');
    expect(ev.client.addrs).toEqual(['1.2.3.4']);
  });

  it('decodes non-UTF-8 bytes with replacement characters', () => {
    const bytes = [...Buffer.from('Invalid user '), 0xff, 0xfe, ...Buffer.from(' from 1.2.3.4 port 22')];
    expect(ok(sshd(bytes)).ssh?.user).toBe('\ufffd\ufffd');
  });

  it('takes the first value of a repeated field', () => {
    const ev = ok(sshd('Invalid user a from 1.2.3.4 port 1', { SYSLOG_IDENTIFIER: ['sshd', 'cron'] }));
    expect(ev.app).toBe('sshd');
  });

  it('decodes byte arrays nested in a repeated field so raw fits the schema', () => {
    const ev = ok(sshd('x', { CODE_FILE: ['a.c', [98, 46, 99]] }));
    if (ev.raw.format !== 'journal') throw new Error('raw');
    expect(ev.raw.entry.CODE_FILE).toEqual(['a.c', 'b.c']);
  });

  it('reads a null (over-size) MESSAGE as empty', () => {
    const ev = ok(sshd(null));
    expect(ev).toMatchObject({ app: 'sshd', action: 'other' });
  });

  it('keeps PRIORITY and other values as strings in raw', () => {
    const ev = ok(sshd('x'));
    if (ev.raw.format !== 'journal') throw new Error('raw');
    expect(ev.raw.entry.PRIORITY).toBe('6');
    expect(ev.raw.entry._PID).toBe('2211');
  });

  it('falls back to _SOURCE_REALTIME_TIMESTAMP, else fails with TIMESTAMP', () => {
    const { __REALTIME_TIMESTAMP, ...rest } = sshd('x');
    void __REALTIME_TIMESTAMP;
    expect(ok({ ...rest, _SOURCE_REALTIME_TIMESTAMP: '1746541351000001' }).ts).toBe('2025-05-06T14:22:31.000001Z');
    expect(err(rest).code).toBe(ParseErrorCode.TIMESTAMP);
    expect(err({ ...rest, __REALTIME_TIMESTAMP: 'soon' }).code).toBe(ParseErrorCode.TIMESTAMP);
    expect(err({ ...rest, __REALTIME_TIMESTAMP: 1746541351482911 }).code).toBe(ParseErrorCode.SHAPE);
  });

  it('hashes the line when there is no cursor, and uses defaultHost without _HOSTNAME', () => {
    const { __CURSOR, _HOSTNAME, ...rest } = sshd('x');
    void __CURSOR;
    void _HOSTNAME;
    const ev = ok(rest, ctx({ defaultHost: 'from-label' }));
    expect(ev.id).toMatch(/^journal:[0-9a-f]{20}$/);
    expect(ev.host).toBe('from-label');
  });

  it('rejects what is not a journal entry', () => {
    expect(err('not json').code).toBe(ParseErrorCode.JSON);
    expect(err('[1,2]').code).toBe(ParseErrorCode.SHAPE);
    expect(err({ ...base, MESSAGE: { nested: true } }).code).toBe(ParseErrorCode.SHAPE);
    expect(err({ ...base, MESSAGE: true }).code).toBe(ParseErrorCode.SHAPE);
    expect(err('').code).toBe(ParseErrorCode.EMPTY);
  });

  it('ignores a __proto__ key and attacker program names', () => {
    const ev = ok(`{"__proto__":"x","__REALTIME_TIMESTAMP":"1746541351482911","SYSLOG_IDENTIFIER":"constructor","MESSAGE":"Accepted password for a from 1.2.3.4 port 1 ssh2"}`);
    expect(ev).toMatchObject({ app: 'other', action: 'other' });
  });
});

describe('boots in the journal', () => {
  const banner = 'Linux version 6.1.0-25-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0) #1 SMP PREEMPT_DYNAMIC Debian 6.1.106-3 (2024-08-26)';

  it('turns the kernel banner into host.boot with the boot id', () => {
    const ev = ok({ ...base, _TRANSPORT: 'kernel', SYSLOG_IDENTIFIER: 'kernel', PRIORITY: '5', MESSAGE: banner, _COMM: undefined, _PID: undefined });
    expect(ev).toMatchObject({ app: 'kernel', action: 'host.boot', bootId: BOOT });
    expect(ev.boot).toEqual({ bootId: BOOT, kernel: '6.1.0-25-amd64', evidence: 'banner' });
  });

  it('routes _TRANSPORT=kernel to the kernel parser whatever SYSLOG_IDENTIFIER says', () => {
    expect(ok({ ...base, _TRANSPORT: 'kernel', SYSLOG_IDENTIFIER: 'sshd', MESSAGE: banner }).action).toBe('host.boot');
  });

  it('other kernel lines keep _BOOT_ID but are not boots', () => {
    const ev = ok({ ...base, _TRANSPORT: 'kernel', MESSAGE: 'Command line: BOOT_IMAGE=/boot/vmlinuz-6.1.0-25-amd64 ro quiet' });
    expect(ev).toMatchObject({ app: 'kernel', action: 'other', bootId: BOOT });
    expect(ev.boot).toBeUndefined();
  });

  it('reads logind and systemd shutdown markers', () => {
    expect(ok({ ...base, SYSLOG_IDENTIFIER: 'systemd-logind', MESSAGE: 'System is rebooting.' }).shutdown).toEqual({ kind: 'reboot', via: 'logind', requestedBy: null, command: null });
    expect(ok({ ...base, _PID: '1', SYSLOG_IDENTIFIER: 'systemd', MESSAGE: 'Reached target reboot.target - System Reboot.' }).action).toBe('host.shutdown');
  });
});

describe('journalctl -o json-pretty, joined into one line', () => {
  // elastic/beats filebeat/input/journald/pkg/journalctl/testdata/sample-journal-event.json
  // (Apache-2.0), printed by `journalctl -o json-pretty` over 32 lines.
  const PRETTY = `{
        "MESSAGE" : "Count: 0000000001",
        "PRIORITY" : "6",
        "SYSLOG_IDENTIFIER" : "TestRestartsJournalctlOnError",
        "_BOOT_ID" : "567980bb85ae41da8518f409570b0cb9",
        "_COMM" : "cat",
        "_HOSTNAME" : "millennium-falcon",
        "_PID" : "235728",
        "_TRANSPORT" : "stdout",
        "__CURSOR" : "s=e82795fad4ce42b79fb3da0866d91f7e;i=4eb1b1;b=567980bb85ae41da8518f409570b0cb9;m=2bd4e2166;t=6200adaf0a66a;x=d9b1ac66921eaac9",
        "__MONOTONIC_TIMESTAMP" : "11765948774",
        "__REALTIME_TIMESTAMP" : "1724080855230058",
        "__SEQNUM" : "5157297"
}`;

  it('parses the beats sample once joined', () => {
    for (const line of [PRETTY.replace(/\n/g, ' '), JSON.stringify(JSON.parse(PRETTY))]) {
      const ev = ok(line);
      expect(ev).toMatchObject({ host: 'millennium-falcon', bootId: '567980bb85ae41da8518f409570b0cb9', app: 'other', action: 'other' });
      expect(ev.ts).toBe('2024-08-19T15:20:55.230058Z');
      expect(ev.id.startsWith('journal:s=e82795fad4ce42b79fb3da0866d91f7e;')).toBe(true);
    }
  });
});
