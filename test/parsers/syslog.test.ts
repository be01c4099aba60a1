import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parseSyslog } from '../../services/parsers/syslog.js';
import type { ParseContext, ParseResult } from '../../services/parsers/types.js';
import { SecurityEvent } from '../../schemas/event.js';
import { ParseErrorCode } from '../../services/lib/errors.js';

const ctx = (over: Partial<ParseContext> = {}): ParseContext => ({
  kind: 'syslog', sourceName: 'auth.log', position: 'line 1', year: 2025, carry: {}, ...over,
});

function ok(line: string, c: ParseContext = ctx()): SecurityEvent {
  const r = parseSyslog(line, c);
  if (!r.ok) throw new Error(`expected an event, got ${r.error.code}: ${r.error.message}`);
  const v = SecurityEvent.safeParse(r.event);
  if (!v.success) throw new Error(JSON.stringify(v.error.issues));
  return r.event;
}

function err(line: string, c: ParseContext = ctx()): Extract<ParseResult, { ok: false }>['error'] {
  const r = parseSyslog(line, c);
  if (r.ok) throw new Error(`expected an error, got event ${r.event.id}`);
  return r.error;
}

function record(ev: SecurityEvent) {
  if (ev.raw.format !== 'syslog') throw new Error('not syslog');
  return ev.raw.record;
}

describe('RFC 3164', () => {
  it('reads PRI, time, host, tag and pid', () => {
    const ev = ok('<38>May  6 14:22:31 ids01 sshd[1337]: Accepted password for alice from 203.0.113.5 port 52144 ssh2');
    expect(ev.ts).toBe('2025-05-06T14:22:31Z');
    expect(ev.tsMs).toBe(Date.UTC(2025, 4, 6, 14, 22, 31));
    expect(ev.host).toBe('ids01');
    expect(ev.action).toBe('auth.success');
    expect(ev.ssh?.pid).toBe(1337);
    expect(record(ev)).toMatchObject({ format: 'rfc3164', pri: 38, facility: 4, severity: 6, timestamp: 'May  6 14:22:31', program: 'sshd', pid: 1337 });
  });

  it.each([
    ['traditional file, no PRI', 'May  6 14:22:31 bastion sshd[1]: x', 'bastion', 'sshd', 1, 6],
    ['single-digit day, one space', 'Nov 2 15:40:14 workshop sshd[28179]: x', 'workshop', 'sshd', 28179, 2],
    ['zero-padded day', 'Jul 05 18:22:44 mercury sshd[4669]: x', 'mercury', 'sshd', 4669, 5],
    ['no host', 'Nov 23 21:50:19 sshd[8148]: x', null, 'sshd', 8148, 23],
    ['bracketed tag, no host', 'Mar  3 00:17:22 [sshd]: x', null, 'sshd', null, 3],
    ['tag without pid', 'Sep  5 16:05:26 dev snort: x', 'dev', 'snort', null, 5],
    ['old RedHat pam tag', 'Jun 14 15:16:01 combo sshd(pam_unix)[19939]: x', 'combo', 'sshd(pam_unix)', 19939, 14],
    ['no tag at all', 'Jun 19 04:09:11 combo syslogd 1.4.1: restart.', 'combo', null, null, 19],
    ['IPv6 literal as host', 'May  6 14:22:31 2001:db8::1 sshd[7]: x', '2001:db8::1', 'sshd', 7, 6],
    ['::1 as host', 'May  6 14:22:31 ::1 sshd[7]: x', '::1', 'sshd', 7, 6],
  ])('%s', (_n, line, host, program, pid, day) => {
    const ev = ok(line);
    expect(ev.host).toBe(host);
    expect(record(ev).program).toBe(program);
    expect(record(ev).pid).toBe(pid);
    expect(new Date(ev.tsMs).getUTCDate()).toBe(day);
  });

  it('keeps fractional seconds', () => {
    const ev = ok('May  6 14:22:31.123456 h sshd[1]: x');
    expect(ev.ts).toBe('2025-05-06T14:22:31.123456Z');
    expect(ev.tsSubNs).toBe(456_000);
  });

  it('falls back to ctx.defaultHost when the line names none', () => {
    expect(ok('Nov 23 21:50:19 sshd[8148]: x', ctx({ defaultHost: 'web1' })).host).toBe('web1');
    expect(ok('Nov 23 21:50:19 h2 sshd[8148]: x', ctx({ defaultHost: 'web1' })).host).toBe('h2');
  });

  it('strips the Solaris [ID n fac.sev] prefix', () => {
    const ev = ok('Mar 29 05:20:09 dusky sshd[19558]: [ID 800047 auth.info] Failed keyboard-interactive for james from 205.186.180.30 port 54520 ssh2');
    expect(ev.action).toBe('auth.failure');
    expect(ev.client.addrs).toEqual(['205.186.180.30']);
    expect(record(ev).message).toBe('[ID 800047 auth.info] Failed keyboard-interactive for james from 205.186.180.30 port 54520 ssh2');
  });
});

describe('years for year-less timestamps', () => {
  it('takes ctx.year, then rolls over at New Year', () => {
    const c = ctx({ year: 2024 });
    expect(ok('Dec 31 23:59:59 h sshd[1]: x', c).ts).toBe('2024-12-31T23:59:59Z');
    expect(ok('Jan  1 00:00:01 h sshd[1]: x', c).ts).toBe('2025-01-01T00:00:01Z');
    expect(ok('Jan  2 00:00:01 h sshd[1]: x', c).ts).toBe('2025-01-02T00:00:01Z');
    expect(c.carry.year).toEqual({ year: 2025, month: 0 });
  });

  it('takes the year of refMs (file mtime), a year back when the month is after it', () => {
    const refMs = Date.UTC(2025, 2, 15); // mtime in March 2025
    expect(ok('Dec 30 10:00:00 h sshd[1]: x', ctx({ year: undefined, refMs })).ts).toBe('2024-12-30T10:00:00Z');
    expect(ok('Feb 20 10:00:00 h sshd[1]: x', ctx({ year: undefined, refMs })).ts).toBe('2025-02-20T10:00:00Z');
  });

  it('keeps an existing carry object and its year', () => {
    const c = ctx({ year: 2020, carry: { year: { year: 2030, month: 4 } } });
    expect(ok('May  6 14:22:31 h sshd[1]: x', c).ts).toBe('2030-05-06T14:22:31Z');
  });

  it('refuses to guess without a year or a reference time', () => {
    expect(err('May  6 14:22:31 h sshd[1]: x', ctx({ year: undefined })).code).toBe(ParseErrorCode.TIMESTAMP);
  });

  it('rejects impossible dates', () => {
    expect(err('Feb 29 10:00:00 h sshd[1]: x', ctx({ year: 2025 })).code).toBe(ParseErrorCode.TIMESTAMP);
    expect(ok('Feb 29 10:00:00 h sshd[1]: x', ctx({ year: 2024 })).ts).toBe('2024-02-29T10:00:00Z');
    expect(err('May 32 10:00:00 h sshd[1]: x').code).toBe(ParseErrorCode.TIMESTAMP);
    expect(err('Foo  6 10:00:00 h sshd[1]: x').code).toBe(ParseErrorCode.TIMESTAMP);
  });
});

describe('RFC 5424', () => {
  it('reads OPNsense lines with SD', () => {
    const ev = ok('<38>1 2022-01-19T14:23:55+00:00 OPNsense.localdomain sshd 44255 - [meta sequenceId="1"] Invalid user tutu from 1.2.3.4 port 33166');
    expect(ev.ts).toBe('2022-01-19T14:23:55Z');
    expect(ev.host).toBe('OPNsense.localdomain');
    expect(ev.action).toBe('auth.failure');
    expect(ev.ssh).toMatchObject({ form: 'invalid_user', user: 'tutu', pid: 44255 });
    expect(ev.client).toEqual({ addrs: ['1.2.3.4'], port: 33166 });
    expect(record(ev)).toMatchObject({ format: 'rfc5424', pri: 38, msgid: null, structuredData: '[meta sequenceId="1"]', program: 'sshd' });
  });

  it('handles escaped \\] and quoted brackets inside SD values, and several elements', () => {
    const ev = ok('<38>1 2019-07-08T17:40:17.954167-04:00 h.example.com sshd 55555 ID47 [x@1 a="q\\]r" b="[in]"][y@2 c="d"] Failed password for bob from 192.0.2.2 port 55555 ssh2');
    expect(record(ev).structuredData).toBe('[x@1 a="q\\]r" b="[in]"][y@2 c="d"]');
    expect(record(ev).msgid).toBe('ID47');
    expect(record(ev).message).toBe('Failed password for bob from 192.0.2.2 port 55555 ssh2');
    expect(ev.ts).toBe('2019-07-08T21:40:17.954167Z');
    expect(ev.client.addrs).toEqual(['192.0.2.2']);
  });

  it('reads `-` as empty for every nil field', () => {
    const ev = ok('<13>1 2025-05-06T14:22:31.482Z - - - - - hello', ctx({ defaultHost: 'from-label' }));
    expect(ev.host).toBe('from-label');
    expect(ev.app).toBe('other');
    expect(record(ev)).toMatchObject({ host: null, program: null, pid: null, msgid: null, structuredData: null, message: 'hello' });
  });

  it('drops a UTF-8 BOM before MSG and reads a non-numeric PROCID as no pid', () => {
    const ev = ok('<38>1 2025-05-06T14:22:31Z h sshd abc - - \uFEFFInvalid user x from 1.2.3.4 port 1');
    expect(record(ev).pid).toBeNull();
    expect(ev.action).toBe('auth.failure');
  });

  it('rejects a nil or bad timestamp and broken SD', () => {
    expect(err('<38>1 - h sshd 1 - - x').code).toBe(ParseErrorCode.TIMESTAMP);
    expect(err('<38>1 2025-13-06T14:22:31Z h sshd 1 - - x').code).toBe(ParseErrorCode.TIMESTAMP);
    expect(err('<38>1 2025-05-06T14:22:31Z h sshd 1 - [unterminated x').code).toBe(ParseErrorCode.UNKNOWN_FORMAT);
    expect(err('<38>1 2025-05-06T14:22:31Z h sshd').code).toBe(ParseErrorCode.UNKNOWN_FORMAT);
  });
});

describe('RSYSLOG_FileFormat (RFC 3339, no PRI)', () => {
  it('converts the offset to UTC and keeps microseconds', () => {
    const ev = ok('2025-05-06T14:22:31.482911+02:00 ids01 sshd[1337]: Failed password for root from 198.51.100.9 port 40000 ssh2');
    expect(ev.ts).toBe('2025-05-06T12:22:31.482911Z');
    expect(ev.tsSubNs).toBe(911_000);
    expect(ev.host).toBe('ids01');
    expect(record(ev)).toMatchObject({ format: 'rfc3339', pri: null, timestamp: '2025-05-06T14:22:31.482911+02:00' });
    expect(ev.action).toBe('auth.failure');
  });

  it('accepts a PRI before an RFC 3339 timestamp (RSYSLOG_ForwardFormat)', () => {
    const ev = ok('<86>2025-05-06T14:22:31Z h sudo: x');
    expect(record(ev)).toMatchObject({ format: 'rfc3339', pri: 86, facility: 10, severity: 6 });
  });

  it('needs no year from the context', () => {
    expect(ok('2015-04-16T18:02:50.321974+00:00 host sshd[2716]: x', ctx({ year: undefined })).ts).toBe('2015-04-16T18:02:50.321974Z');
  });
});

describe('rsyslog "message repeated N times"', () => {
  it('parses the inner message and counts N failures', () => {
    const ev = ok('Dec 10 07:13:56 LabSZ sshd[24227]: message repeated 5 times: [ Failed password for root from 5.36.59.76 port 42393 ssh2]');
    expect(ev.action).toBe('auth.failure');
    expect(ev.ssh).toMatchObject({ form: 'failed', user: 'root', failures: 5 });
    expect(ev.client).toEqual({ addrs: ['5.36.59.76'], port: 42393 });
  });

  it('leaves non-failures at 0', () => {
    const ev = ok('Dec 10 07:13:56 h sshd[1]: message repeated 2 times: [ Connection closed by 1.2.3.4 port 22 [preauth]]');
    expect(ev.ssh).toMatchObject({ form: 'connection_closed', failures: 0 });
  });
});

describe('non-records and errors', () => {
  it.each([
    ['# failJSON: { "match": false }', ParseErrorCode.COMMENT],
    ['#1', ParseErrorCode.COMMENT],
    ['', ParseErrorCode.EMPTY],
    ['   ', ParseErrorCode.EMPTY],
    ['hello world', ParseErrorCode.UNKNOWN_FORMAT],
    ['<999>May  6 14:22:31 h x: y', ParseErrorCode.UNKNOWN_FORMAT],
    ['<38>garbage', ParseErrorCode.UNKNOWN_FORMAT],
    ['May  6 14:22:31 ', ParseErrorCode.UNKNOWN_FORMAT],
    ['May  6 14:22:31 h sshd[1]: a\u0000b', ParseErrorCode.BINARY],
  ])('%j → %s', (line, code) => {
    const e = err(line);
    expect(e.code).toBe(code);
    expect(e).toMatchObject({ kind: 'syslog', sourceName: 'auth.log', position: 'line 1' });
  });

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        for (const line of [s, `May  6 14:22:31 h ${s}`, `<38>1 2025-05-06T14:22:31Z ${s}`, `2025-05-06T14:22:31Z ${s}`]) {
          const r = parseSyslog(line, ctx());
          if (r.ok) expect(SecurityEvent.safeParse(r.event).success).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('ids, envelope and program lookup', () => {
  it('derives a stable id from the line only', () => {
    const line = 'May  6 14:22:31 h sshd[1]: Invalid user a from 1.2.3.4 port 1';
    const a = ok(line, ctx({ sourceName: 'a.log', position: 'line 7' }));
    const b = ok(line, ctx({ sourceName: 'b.log', position: 'line 9' }));
    expect(a.id).toBe(b.id);
    expect(a.id).toMatch(/^syslog:[0-9a-f]{20}$/);
    expect(ok(line.replace('a from', 'b from')).id).not.toBe(a.id);
    expect(a.source).toEqual({ kind: 'syslog', name: 'a.log', position: 'line 7' });
  });

  it('treats an unknown program as generic', () => {
    const ev = ok('May  6 14:22:31 h cron[1]: Accepted password for alice from 1.2.3.4 port 1 ssh2');
    expect(ev).toMatchObject({ app: 'other', action: 'other', outcome: 'unknown' });
    expect(ev.ssh).toBeUndefined();
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])('program %s is generic', (p) => {
    const ev = ok(`May  6 14:22:31 h ${p}[1]: Accepted password for alice from 1.2.3.4 port 1 ssh2`);
    expect(ev).toMatchObject({ app: 'other', action: 'other' });
  });

  it('hands snort messages to the snort sub-parser', () => {
    const ev = ok('<38>May  6 14:22:31 ids01 snort[1337]: [1:1000001:1] "Sample alert" [Classification: Misc activity] [Priority: 3] {TCP} 192.168.0.1:14685 -> 173.37.145.84:25');
    expect(ev.app).toBe('snort');
  });

  it('strips a trailing CR', () => {
    expect(record(ok('May  6 14:22:31 h sshd[1]: hello\r')).message).toBe('hello');
  });
});
