// Build swarm event log parser (`swarm` source): the gateway's and orchestrator's JSON
// lines and the orchestrator's bracketed text lines, mixed in one file.
//   {"ts":"2026-06-10T01:02:03.456Z","component":"gateway","event":"drone.register","drone":"drone-lxc",…}
//   [2026-06-10 02:42:16] Initiating SSH reboot to 10.42.0.199
//   [02:42:17] Reboot command sent
// Format: shared/docs/swarm-log.md (tripline defines it; the swarm has no standard format).
//
// Invariants:
// - JSON fields are typed by zod (schemas/sources/swarm.ts): a wrong type (cores "four") is a
//   SHAPE error. Addresses are kept as the text logged; rules parse them numerically.
// - A known event without the field it is about (drone.* without `drone`, action.remote
//   without `action`) is a SHAPE error, never a silent 'other': a rule could miss it.
// - Text timestamps are UTC. A time-only `[HH:MM:SS]` takes its date from the previous text
//   line's (kept in ctx.carry.swarmDate / swarmSec), else from ctx.date (--date), else it is
//   a TIMESTAMP error. Only text lines feed that carry: they come from one writer in order,
//   so a time earlier than the previous line's means midnight passed (next day). JSON lines,
//   from other writers, could be a little out of order and must not push the date forward.
// - The event id is a hash of the line. Pure: no I/O, no clock, no throw.
import type { Actor, SecurityEvent } from '../../schemas/event.js';
import { SwarmJson, type SwarmText } from '../../schemas/sources/swarm.js';
import { ParseErrorCode } from '../lib/errors.js';
import { type EventTime, parseRfc3339 } from '../lib/time.js';
import { UNKNOWN_ACTOR, baseEvent, describeIssues, fail, lineId, parseJsonObject, precheck } from './common.js';
import type { ParseContext, ParseResult, Parser } from './types.js';

// `[YYYY-MM-DD HH:MM:SS]` or `[HH:MM:SS]`, optional fraction; run on a short prefix only.
const TEXT_TS = /^\[(?:(\d{4}-\d{2}-\d{2})[ T])?(\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?\]/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
// Message forms: anchored, one bounded class per field, no overlapping quantifiers.
const UNRESPONSIVE = /^Drone (\S{1,256}) unresponsive for (\d{1,12})s$/;
const SSH_ACTION = /^Initiating SSH (\S{1,64}) to (\S{1,256})$/;
const SENT = /^Reboot command sent\b/;

function event(line: string, ctx: ParseContext, time: EventTime, raw: SecurityEvent['raw']): SecurityEvent {
  return baseEvent(ctx, lineId('swarm', line), time, 'swarm', raw);
}

// ---------------------------------------------------------------- JSON lines

function parseJson(line: string, ctx: ParseContext): ParseResult {
  const obj = parseJsonObject(line, ctx);
  if (!obj.ok) return obj.result;
  const parsed = SwarmJson.safeParse(obj.value);
  if (!parsed.success) return fail(ctx, ParseErrorCode.SHAPE, `swarm: ${describeIssues(parsed.error.issues)}`, line);
  const e = parsed.data;
  const time = parseRfc3339(e.ts);
  if (!time) return fail(ctx, ParseErrorCode.TIMESTAMP, `swarm: bad ts "${e.ts.slice(0, 64)}"`, line);

  const ev = event(line, ctx, time, { format: 'swarm-json', entry: e });
  ev.host = e.host || ctx.defaultHost || null;
  const need = (field: 'drone' | 'action'): ParseResult =>
    fail(ctx, ParseErrorCode.SHAPE, `swarm: ${e.event} without ${field}`, line);

  switch (e.event) {
    case 'drone.register': {
      if (!e.drone) return need('drone');
      ev.action = 'drone.register';
      ev.drone = {
        id: e.drone,
        sourceIp: e.source_ip || null,
        advertisedIp: e.advertised_ip || null,
        cores: e.cores ?? null,
        status: e.status || null,
        by: null,
      };
      // What the gateway saw is the client; the advertised address is only a claim.
      if (e.source_ip) ev.client = { addrs: [e.source_ip], port: null };
      break;
    }
    case 'drone.approve':
    case 'drone.remove': {
      if (!e.drone) return need('drone');
      const by = e.by || null;
      ev.action = e.event;
      ev.drone = { id: e.drone, sourceIp: null, advertisedIp: null, cores: null, status: null, by };
      ev.actor = by ? ({ name: by, kind: 'human', id: null } satisfies Actor) : UNKNOWN_ACTOR;
      break;
    }
    case 'action.remote': {
      if (!e.action) return need('action');
      ev.action = 'remote.action';
      ev.remote = { action: e.action, targetIp: e.target_ip || null, drone: e.drone || null, reason: e.reason || null };
      if (e.target_ip) ev.target = { address: e.target_ip };
      break;
    }
    case 'service.start':
      ev.action = 'service.start';
      break;
    default:
      ev.action = 'other'; // unknown events are kept as generic swarm events
  }
  return { ok: true, event: ev };
}

// ---------------------------------------------------------------- text lines

function nextDay(date: string): string {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y!, m! - 1, d! + 1)).toISOString().slice(0, 10);
}

/** Resolves a text timestamp to an event time, updating the date carry. */
function textTime(m: RegExpExecArray, ctx: ParseContext): EventTime | string {
  const [, fullDate, h, mi, s, frac] = m;
  const sec = +h! * 3600 + +mi! * 60 + +s!;
  let date: string;
  if (fullDate !== undefined) {
    date = fullDate;
  } else {
    const carried = typeof ctx.carry.swarmDate === 'string' ? ctx.carry.swarmDate : undefined;
    const prevSec = typeof ctx.carry.swarmSec === 'number' ? ctx.carry.swarmSec : undefined;
    if (carried !== undefined) {
      date = prevSec !== undefined && sec < prevSec ? nextDay(carried) : carried;
    } else if (ctx.date !== undefined) {
      if (!DATE.test(ctx.date)) return `--date "${ctx.date.slice(0, 32)}" is not YYYY-MM-DD`;
      date = ctx.date;
    } else {
      return 'time-only timestamp with no earlier full timestamp and no --date';
    }
  }
  const time = parseRfc3339(`${date}T${h}:${mi}:${s}${frac ? `.${frac}` : ''}Z`);
  // parseRfc3339 lets Feb 30 roll over into March; a date that does not survive is wrong.
  if (!time || +s! > 59 || !time.iso.startsWith(date)) return `bad timestamp "${m[0]}"`;
  ctx.carry.swarmDate = date;
  ctx.carry.swarmSec = sec;
  return time;
}

function parseText(line: string, ctx: ParseContext, m: RegExpExecArray): ParseResult {
  const time = textTime(m, ctx);
  if (typeof time === 'string') return fail(ctx, ParseErrorCode.TIMESTAMP, `swarm: ${time}`, line);
  const entry: SwarmText = { timestamp: m[0].slice(1, -1), message: line.slice(m[0].length).trim() };
  const ev = event(line, ctx, time, { format: 'swarm-text', entry });
  const msg = entry.message;

  const unresponsive = UNRESPONSIVE.exec(msg);
  const ssh = unresponsive ? null : SSH_ACTION.exec(msg);
  if (unresponsive) {
    ev.action = 'drone.unresponsive';
    ev.drone = { id: unresponsive[1]!, sourceIp: null, advertisedIp: null, cores: null, status: null, by: null };
  } else if (ssh) {
    // Same meaning as the JSON action.remote; the text form names no drone or reason.
    ev.action = 'remote.action';
    ev.remote = { action: ssh[1]!, targetIp: ssh[2]!, drone: null, reason: null };
    ev.target = { address: ssh[2]! };
  } else if (SENT.test(msg)) {
    ev.action = 'remote.action.sent';
  }
  return { ok: true, event: ev };
}

export const parseSwarm: Parser = (line, ctx) => {
  const pre = precheck(line, ctx);
  if (pre) return pre;
  const t = line.trim();
  if (t.startsWith('{')) return parseJson(t, ctx);
  const m = TEXT_TS.exec(t.slice(0, 48));
  if (m) return parseText(t, ctx, m);
  if (/^\[\d/.test(t)) return fail(ctx, ParseErrorCode.TIMESTAMP, 'swarm: bracketed text without a valid timestamp', line);
  return fail(ctx, ParseErrorCode.UNKNOWN_FORMAT, 'not a swarm JSON or text line', line);
};
