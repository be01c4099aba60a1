// Snort alert file parser (`snort` source): alert_fast text lines from Snort 2 and 3, and
// Snort 3 alert_json lines, in the same reader.
//   Snort 2: 09/04-21:55:02.041364  [**] [1:1000005:0] UDP Connection [**] [Classification: …] [Priority: 1] {UDP} 1.0.0.1:53 -> 10.0.0.1:5353
//   Snort 3: 05/06-14:22:31.482911 [drop] [**] [1:2024218:3] "ET EXPLOIT …" [**] [Classification: …] [Priority: 1] {TCP} …
//   -y:      25/05/06-14:22:31.482911 [**] …
//   json:    { "seconds" : 1574352110, "timestamp" : "11/21-18:01:50.061909", "rule" : "1:50626:1", … }
// Formats: https://github.com/snort3/snort3/blob/master/src/loggers/alert_fast.cc and
// src/loggers/alert_json.cc; the body is parsed by programs/snort.ts. Notes: shared/docs/formats.md §4.
//
// Invariants:
// - Timestamps are local time with no zone; they are read as UTC (run Snort with -U, or a
//   per-source zone can be added later). The year, when not printed (-y), comes from
//   resolveYear with its carry at ctx.carry.year, so a file that crosses New Year advances.
// - alert_json carries `seconds` (epoch, UTC): that wins over the local `timestamp`, whose
//   fraction supplies the sub-second part. Without `seconds`, `timestamp` is used as above.
// - alert_json always prints an action ("allow" for packets that passed); alert_fast prints
//   one only for dropped/blocked packets. Passing actions are normalized to null so both
//   forms mean the same thing.
// - The event id is a hash of the line. Pure: no I/O, no clock, no throw.
import type { SecurityEvent } from '../../schemas/event.js';
import { type SnortAlert, SnortJsonRecord } from '../../schemas/sources/snort.js';
import { ParseErrorCode } from '../lib/errors.js';
import { type EventTime, type YearCarry, MAX_EVENT_MS, fromEpoch, resolveYear } from '../lib/time.js';
import { baseEvent, describeIssues, fail, lineId, parseJsonObject, precheck } from './common.js';
import { type SnortBody, hasPorts, parseSnortBody, snortFacts } from './programs/snort.js';
import type { ParseContext, ParseResult, Parser } from './types.js';

// `[YY/]MM/DD-HH:MM:SS[.frac]`, anchored and run on a short prefix only.
const TS = /^(?:(\d{2})\/)?(\d{2})\/(\d{2})-(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?/;
// What sits between the timestamp and the body: spaces, an optional ` [action]`, ` [**] `.
const LEAD = /^ +(?:\[([A-Za-z_ -]{1,32})\] +)?\[\*\*\] +/;
const RULE = /^(\d{1,10}):(\d{1,10}):(\d{1,10})$/;
/** Actions that mean the packet went through (alert_json prints them; alert_fast does not). */
const PASSING = new Set(['allow', 'pass', 'trust']);

/** The year carry for this input, created on first use. */
function yearCarry(ctx: ParseContext): YearCarry {
  const c = ctx.carry.year;
  if (c !== null && typeof c === 'object') return c as YearCarry;
  const fresh: YearCarry = {};
  ctx.carry.year = fresh;
  return fresh;
}

/**
 * Reads an alert_fast timestamp (see TS). Null when it is not one or names an
 * impossible date. Only a valid month/day touches the year carry.
 */
function readTimestamp(m: RegExpExecArray, ctx: ParseContext): EventTime | null {
  const [, yy, mo, d, h, mi, s, frac] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31 || +h! > 23 || +mi! > 59 || +s! > 59) return null;
  const year = yy !== undefined ? 2000 + Number(yy) : resolveYear(month - 1, yearCarry(ctx), ctx.year, ctx.refMs);
  const ms = Date.UTC(year, month - 1, day, +h!, +mi!, +s!);
  if (new Date(ms).getUTCDate() !== day) return null; // Feb 30 and the like
  return fromEpoch(ms, frac ? Number(frac.padEnd(9, '0')) : 0, frac?.length ?? 0);
}

function toEvent(line: string, ctx: ParseContext, time: EventTime, alert: SnortAlert): SecurityEvent {
  const ev = baseEvent(ctx, lineId('snort', line), time, 'snort', { format: 'snort', alert });
  return { ...ev, ...snortFacts(alert) };
}

function parseFast(line: string, ctx: ParseContext, m: RegExpExecArray): ParseResult {
  const rest = line.slice(m[0].length);
  const lead = LEAD.exec(rest.slice(0, 80));
  if (!lead) return fail(ctx, ParseErrorCode.UNKNOWN_FORMAT, 'not a Snort alert_fast line (no [**] after the timestamp)', line);
  const body = parseSnortBody(rest.slice(lead[0].length));
  if (!body) return fail(ctx, ParseErrorCode.UNKNOWN_FORMAT, 'not a Snort alert_fast line (alert body not recognized)', line);
  const time = readTimestamp(m, ctx);
  if (!time) return fail(ctx, ParseErrorCode.TIMESTAMP, `bad alert_fast timestamp "${m[0]}"`, line);
  const alert: SnortAlert = { form: 'fast', timestamp: m[0], action: lead[1] ?? null, ...body };
  return { ok: true, event: toEvent(line, ctx, time, alert) };
}

/** `ip:port` as alert_json's src_ap/dst_ap print it: always with a port, so the last colon splits. */
function splitAp(ap: string | undefined): { ip: string; port: number } | null {
  if (ap === undefined) return null;
  const c = ap.lastIndexOf(':');
  if (c < 0) return null;
  const port = Number(ap.slice(c + 1));
  // issue 9: a port outside 0-65535 (fuzzed `"src_ap":"1.2.3.4:655365"`) made an event
  // that fails its own schema (SnortAlert port ≤ 65535); it is no port, like a non-number.
  return Number.isInteger(port) && port >= 0 && port <= 65535 ? { ip: ap.slice(0, c), port } : null;
}

function jsonEndpoint(addr: string | undefined, port: number | undefined, ap: string | undefined, ports: boolean): SnortAlert['src'] {
  const split = splitAp(ap);
  return {
    ip: addr ?? split?.ip ?? '',
    // src_port/dst_port are printed only for TCP/UDP; the `_ap` forms print 0 for the rest.
    port: port ?? (ports ? (split?.port ?? null) : null),
  };
}

function parseJson(line: string, ctx: ParseContext): ParseResult {
  const obj = parseJsonObject(line, ctx);
  if (!obj.ok) return obj.result;
  const parsed = SnortJsonRecord.safeParse(obj.value);
  if (!parsed.success) return fail(ctx, ParseErrorCode.SHAPE, `alert_json: ${describeIssues(parsed.error.issues)}`, line);
  const r = parsed.data;

  const rule = r.rule !== undefined ? RULE.exec(r.rule) : null;
  const gid = rule ? Number(rule[1]) : r.gid;
  const sid = rule ? Number(rule[2]) : r.sid;
  const rev = rule ? Number(rule[3]) : (r.rev ?? 0);
  if (gid === undefined || sid === undefined) {
    return fail(ctx, ParseErrorCode.SHAPE, 'alert_json record names no rule (rule or gid+sid)', line);
  }

  const tsm = r.timestamp !== undefined ? TS.exec(r.timestamp) : null;
  let time: EventTime | null = null;
  // issue 9: `seconds` beyond year 9999 made fromEpoch throw RangeError (an exception
  // escaping the parser); it is a TIMESTAMP error like any other unusable time.
  if (r.seconds !== undefined && r.seconds * 1000 <= MAX_EVENT_MS) {
    const frac = tsm?.[7];
    time = fromEpoch(r.seconds * 1000, frac ? Number(frac.padEnd(9, '0')) : 0, frac?.length ?? 0);
  } else if (tsm && r.seconds === undefined) {
    time = readTimestamp(tsm, ctx);
  }
  if (!time) return fail(ctx, ParseErrorCode.TIMESTAMP, 'alert_json record has no usable seconds or timestamp', line);

  const proto = r.proto ?? '';
  const ports = hasPorts(proto);
  const body: SnortBody = {
    version: 3,
    gid,
    sid,
    rev,
    message: r.msg ?? '',
    classification: r.class === undefined || r.class === 'none' ? null : r.class,
    priority: r.priority ? r.priority : null, // 0 means "not set"
    appId: null,
    iface: r.iface ?? null,
    proto,
    src: jsonEndpoint(r.src_addr, r.src_port, r.src_ap, ports),
    dst: jsonEndpoint(r.dst_addr, r.dst_port, r.dst_ap, ports),
  };
  const action = r.action === undefined || PASSING.has(r.action) ? null : r.action;
  const alert: SnortAlert = { form: 'json', timestamp: r.timestamp ?? null, action, ...body };
  return { ok: true, event: toEvent(line, ctx, time, alert) };
}

export const parseSnortFast: Parser = (line, ctx) => {
  const pre = precheck(line, ctx);
  if (pre) return pre;
  const m = TS.exec(line.slice(0, 32));
  if (m) return parseFast(line, ctx, m);
  const t = line.trim();
  // A `}` at the end without a timestamp in front is alert_json too: a record whose start
  // was cut off (as on line 1 of the upstream sample) is a JSON error, not an unknown format.
  if (t.startsWith('{') || t.endsWith('}')) return parseJson(t, ctx);
  return fail(ctx, ParseErrorCode.UNKNOWN_FORMAT, 'not a Snort alert_fast or alert_json line', line);
};
