// Syslog text parser: one line of a syslog file or stream → SecurityEvent, the body
// handed to the program sub-parser registry (sshd, sudo, systemd-logind, systemd,
// kernel, snort). Framings (docs/formats.md §4 "Syslog framing"):
// - RFC 3164 `<PRI>Mmm dd hh:mm:ss HOST TAG[PID]: MSG` (https://www.rfc-editor.org/rfc/rfc3164),
//   also without `<PRI>` (RSYSLOG_TraditionalFileFormat, /var/log/auth.log) and without
//   HOST (some BSD/fail2ban samples: `Mmm dd hh:mm:ss sshd[1]: …`);
// - RFC 5424 `<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG` (https://www.rfc-editor.org/rfc/rfc5424);
// - RSYSLOG_FileFormat `2025-05-06T14:22:31.482911+02:00 HOST TAG[PID]: MSG`;
// - `last -x reboot shutdown` (wtmp) boot/shutdown records, which carry no host.
//
// Invariants:
// - RFC 3164 and wtmp times print no year and no zone: the year comes from ctx.year /
//   ctx.refMs and advances across New Year via ctx.carry.year (resolveYear); the time is
//   taken as UTC. Hosts that log local time are shifted by their offset; configure UTC
//   logging or use RFC 5424 / RSYSLOG_FileFormat, which carry the offset.
// - With neither ctx.year nor ctx.refMs a year-less line is a TIMESTAMP error rather
//   than silently dated 1970.
// - `message repeated N times: [ MSG ]` (rsyslog) is MSG happening N more times: it is
//   parsed as MSG and an sshd failure counts ssh.failures = N × its own count.
// - Solaris `[ID 800047 auth.info] ` message prefixes are removed before the sub-parser.
// - id = hash of the line; host = header host ?? ctx.defaultHost ?? null. Pure, no throw.
import type { SecurityEvent } from '../../schemas/event.js';
import type { SyslogRecord } from '../../schemas/sources/syslog.js';
import { ParseErrorCode } from '../lib/errors.js';
import { fromEpoch, monthIndex, parseRfc3339, resolveYear, type EventTime, type YearCarry } from '../lib/time.js';
import { baseEvent, fail, lineId, precheck } from './common.js';
import { applyProgramFacts, parseProgramMessage } from './programs/index.js';
import type { ParseContext, ParseResult, Parser } from './types.js';

// All anchored, bounded, no nested quantifiers: linear on any input.
const PRI = /^<(\d{1,3})>/;
const VERSION = /^(\d{1,2}) /;
const BSD_TIME = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?: |$)/;
const ISO_START = /^\d{4}-\d{2}-\d{2}[T ]?\d/;
const TAG = /^([^\s[\]:]{1,64})(?:\[(\d{1,10})\])?:(?: |$)/;
const TAG_NO_COLON = /^([^\s[\]:]{1,64})\[(\d{1,10})\](?: |$)/;
const TAG_BRACKETED = /^\[([^\s[\]]{1,64})\]:?(?: |$)/;
const SOLARIS_ID = /^\[ID \d{1,12} [a-z0-9]{1,16}\.[a-z]{1,16}\] /;
const REPEATED = /^message repeated (\d{1,9}) times: \[ ?/;
const WTMP =
  /^(reboot|shutdown) +system (boot|down) +(\S{1,64}) +([A-Z][a-z]{2} ([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2})(?::(\d{2}))?(?: (\d{4}))?)(?: |$)/;

type Header = Omit<SyslogRecord, 'format' | 'pri' | 'facility' | 'severity' | 'timestamp' | 'msgid' | 'structuredData'>;

/** `TAG[PID]: MSG`, `TAG: MSG`, `TAG[PID] MSG`, `[TAG]: MSG`; null when `s` does not start with a tag. */
function readTag(s: string): { program: string; pid: number | null; message: string } | null {
  const m = TAG.exec(s) ?? TAG_NO_COLON.exec(s) ?? TAG_BRACKETED.exec(s);
  if (!m) return null;
  return { program: m[1]!, pid: m[2] !== undefined ? Number(m[2]) : null, message: s.slice(m[0].length) };
}

/** What follows a 3164/3339 timestamp: `[HOST ]TAG…`. A first token that is a tag means no host. */
function readHostTag(rest: string): Header {
  const direct = readTag(rest);
  if (direct) return { host: null, ...direct };
  const sp = rest.indexOf(' ');
  const host = sp < 0 ? rest : rest.slice(0, sp);
  const after = sp < 0 ? '' : rest.slice(sp + 1).trimStart();
  const tag = readTag(after);
  return tag ? { host, ...tag } : { host, program: null, pid: null, message: after };
}

function yearCarry(ctx: ParseContext): YearCarry {
  const c = ctx.carry.year;
  if (c !== null && typeof c === 'object') return c as YearCarry;
  const fresh: YearCarry = {};
  ctx.carry.year = fresh;
  return fresh;
}

/** A year-less UTC time (RFC 3164, wtmp), or an error message. */
function yearless(ctx: ParseContext, mon: string, d: string, h: string, mi: string, s: string, frac?: string, yearText?: string): EventTime | string {
  const month = monthIndex(mon);
  if (month === undefined) return `unknown month "${mon}"`;
  if (+d < 1 || +d > 31 || +h > 23 || +mi > 59 || +s > 60) return 'time field out of range';
  const carry = yearCarry(ctx);
  if (yearText === undefined && ctx.year === undefined && ctx.refMs === undefined && carry.year === undefined) {
    return 'timestamp has no year: set the year (--year) or a reference time (file mtime)';
  }
  const year = yearText !== undefined ? +yearText : resolveYear(month, carry, ctx.year, ctx.refMs);
  const ms = Date.UTC(year, month, +d, +h, +mi, +s);
  if (new Date(ms).getUTCDate() !== +d) return `no such date: ${mon} ${d} ${year}`;
  return fromEpoch(ms, frac ? +frac.padEnd(9, '0') : 0, frac?.length ?? 0);
}

/** Skips RFC 5424 STRUCTURED-DATA at s[i]: `-` or `[id k="v" …]…`; `\]` and quoted `]` stay inside. */
function skipSd(s: string, i: number): number | null {
  if (s[i] === '-') return i + 1;
  let k = i;
  while (s[k] === '[') {
    let quoted = false;
    for (k++; k < s.length; k++) {
      const c = s[k];
      if (c === '\\') k++;
      else if (c === '"') quoted = !quoted;
      else if (c === ']' && !quoted) break;
    }
    if (k >= s.length) return null;
    k++;
  }
  return k === i ? null : k;
}

function nil(v: string | undefined): string | null {
  return v === undefined || v === '-' || v === '' ? null : v;
}

function rfc5424(ctx: ParseContext, line: string, rest: string, pri: number): ParseResult | { record: SyslogRecord; time: EventTime } {
  const parts: string[] = [];
  let i = 0;
  while (parts.length < 5) {
    const sp = rest.indexOf(' ', i);
    if (sp < 0) return fail(ctx, ParseErrorCode.UNKNOWN_FORMAT, 'RFC 5424 header is missing fields', line);
    parts.push(rest.slice(i, sp));
    i = sp + 1;
  }
  const [ts, host, app, procid, msgid] = parts as [string, string, string, string, string];
  const sdEnd = skipSd(rest, i);
  if (sdEnd === null || (sdEnd < rest.length && rest[sdEnd] !== ' ')) {
    return fail(ctx, ParseErrorCode.UNKNOWN_FORMAT, 'RFC 5424 structured data is malformed', line);
  }
  const time = ts === '-' ? null : parseRfc3339(ts);
  if (!time) return fail(ctx, ParseErrorCode.TIMESTAMP, `RFC 5424 timestamp "${ts.slice(0, 64)}" is not RFC 3339`, line);
  const sd = rest.slice(i, sdEnd);
  const message = rest.slice(sdEnd + 1).replace(/^\uFEFF/, '');
  const record: SyslogRecord = {
    format: 'rfc5424', pri, facility: pri >> 3, severity: pri & 7, timestamp: ts, host: nil(host),
    program: nil(app), pid: /^\d{1,10}$/.test(procid) ? Number(procid) : null,
    msgid: nil(msgid), structuredData: sd === '-' ? null : sd, message,
  };
  return { record, time };
}

/** RFC 3164 (with or without PRI) and RSYSLOG_FileFormat. */
function bsdOrIso(ctx: ParseContext, line: string, rest: string, pri: number | null): ParseResult | { record: SyslogRecord; time: EventTime } | null {
  const base = { pri, facility: pri === null ? null : pri >> 3, severity: pri === null ? null : pri & 7, msgid: null, structuredData: null };
  const b = BSD_TIME.exec(rest);
  if (b) {
    const time = yearless(ctx, b[1]!, b[2]!, b[3]!, b[4]!, b[5]!, b[6]);
    if (typeof time === 'string') return fail(ctx, ParseErrorCode.TIMESTAMP, time, line);
    const after = rest.slice(b[0].length);
    if (after.trim() === '') return fail(ctx, ParseErrorCode.UNKNOWN_FORMAT, 'RFC 3164 line has no host or tag', line);
    const record: SyslogRecord = { format: 'rfc3164', ...base, timestamp: b[0].trimEnd(), ...readHostTag(after) };
    return { record, time };
  }
  if (!ISO_START.test(rest)) return null;
  const sp = rest.indexOf(' ');
  const ts = sp < 0 ? rest : rest.slice(0, sp);
  const time = parseRfc3339(ts);
  if (!time) return fail(ctx, ParseErrorCode.TIMESTAMP, `timestamp "${ts.slice(0, 64)}" is not RFC 3339`, line);
  if (sp < 0) return fail(ctx, ParseErrorCode.UNKNOWN_FORMAT, 'syslog line has no host or tag', line);
  return { record: { format: 'rfc3339', ...base, timestamp: ts, ...readHostTag(rest.slice(sp + 1)) }, time };
}

/** `last -x reboot shutdown` records: host boot/shutdown evidence for rules R1/R2. */
function wtmp(ctx: ParseContext, line: string, text: string): ParseResult | null {
  const w = WTMP.exec(text);
  if (!w) return null;
  const time = yearless(ctx, w[5]!, w[6]!, w[7]!, w[8]!, w[9] ?? '00', undefined, w[10]);
  if (typeof time === 'string') return fail(ctx, ParseErrorCode.TIMESTAMP, time, line);
  const record: SyslogRecord = {
    format: 'wtmp', pri: null, facility: null, severity: null, timestamp: w[4]!,
    host: null, program: 'wtmp', pid: null, msgid: null, structuredData: null, message: text,
  };
  const ev = baseEvent(ctx, lineId('syslog', line), time, 'host', { format: 'syslog', record });
  if (w[1] === 'reboot') {
    return { ok: true, event: { ...ev, action: 'host.boot', boot: { bootId: null, kernel: w[3]!, evidence: 'wtmp' } } };
  }
  const shutdown = { kind: 'unknown', via: 'wtmp', requestedBy: null, command: null } as const;
  return { ok: true, event: { ...ev, action: 'host.shutdown', shutdown } };
}

/** The message the sub-parser sees, and how many occurrences the line stands for. */
function unwrap(message: string): { body: string; repeat: number } {
  let body = message.replace(SOLARIS_ID, '');
  const r = REPEATED.exec(body);
  if (!r) return { body, repeat: 1 };
  body = body.slice(r[0].length);
  if (body.endsWith(']')) body = body.slice(0, -1).trimEnd();
  return { body: body.replace(SOLARIS_ID, ''), repeat: Number(r[1]) };
}

export const parseSyslog: Parser = (line, ctx) => {
  const bad = precheck(line, ctx);
  if (bad) return bad;
  const text = line.endsWith('\r') ? line.slice(0, -1) : line;
  if (text.startsWith('#')) return fail(ctx, ParseErrorCode.COMMENT, 'comment line', line);
  if (/^wtmp(?:db)? begins /.test(text)) return fail(ctx, ParseErrorCode.COMMENT, '`last` footer, not a record', line);

  const p = PRI.exec(text);
  const pri = p ? Number(p[1]) : null;
  if (pri !== null && pri > 191) return fail(ctx, ParseErrorCode.UNKNOWN_FORMAT, `PRI ${pri} is out of range`, line);
  const rest = p ? text.slice(p[0].length) : text;
  const v = pri !== null ? VERSION.exec(rest) : null;
  const framed = v ? rfc5424(ctx, line, rest.slice(v[0].length), pri!) : bsdOrIso(ctx, line, rest, pri);
  if (framed === null) {
    return (p ? null : wtmp(ctx, line, text)) ?? fail(ctx, ParseErrorCode.UNKNOWN_FORMAT, 'no syslog framing recognized', line);
  }
  if ('ok' in framed) return framed;

  const { record, time } = framed;
  let event: SecurityEvent = baseEvent(ctx, lineId('syslog', line), time, 'other', { format: 'syslog', record });
  event.host = record.host ?? ctx.defaultHost ?? null;
  if (record.program !== null) {
    const { body, repeat } = unwrap(record.message);
    const facts = parseProgramMessage({ program: record.program, pid: record.pid, message: body });
    if (repeat !== 1 && facts.ssh && facts.ssh.failures > 0) facts.ssh = { ...facts.ssh, failures: facts.ssh.failures * repeat };
    event = applyProgramFacts(event, facts);
  }
  return { ok: true, event };
};
