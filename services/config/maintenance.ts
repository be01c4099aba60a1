// Maintenance windows (`hosts.maintenance`, rule R1): when a boot counts as planned.
//
// A window is either one-off, `from`/`to` as RFC 3339 date-times, or daily, `from`/`to` as
// HH:MM in `timezone` (IANA, default UTC). A daily window whose `to` is earlier than its
// `from` wraps midnight (22:00-02:00). A date-time written without an offset is read in
// `timezone` (a convenience; RFC 3339 proper always carries Z or ±HH:MM). Windows are
// half-open: from <= t < to. The same parser serves validation (`tripline check`) and the
// engine, so what check accepts is exactly what R1 applies.
import { DateTime, IANAZone } from 'luxon';
import type { z } from 'zod';
import type { MaintenanceWindow } from '../../schemas/config.js';
import { compileGlobs } from '../lib/glob.js';

type WindowConfig = z.infer<typeof MaintenanceWindow>;

export type WindowTime = { kind: 'instant'; ms: number } | { kind: 'daily'; minute: number } | { kind: 'invalid'; reason: string };

/** Strict HH:MM, 00:00-23:59: minutes since midnight, or -1. */
function parseHhMm(text: string): number {
  if (text.length !== 5 || text[2] !== ':') return -1;
  const d = [0, 1, 3, 4].map((i) => text.charCodeAt(i) - 48);
  if (d.some((x) => x < 0 || x > 9)) return -1;
  const h = d[0]! * 10 + d[1]!;
  const m = d[2]! * 10 + d[3]!;
  return h > 23 || m > 59 ? -1 : h * 60 + m;
}

// RFC 3339 date-time shape, offset optional; checked before luxon so luxon's wider ISO
// grammar (week dates, ordinal dates, bare dates) is not accepted by accident. Linear: no
// nested quantifiers.
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:\d{2})?$/;

/** Parses one `from`/`to` value; `zone` is used for daily windows and offset-less date-times. */
export function parseWindowTime(text: string, zone: string): WindowTime {
  const minute = parseHhMm(text);
  if (minute >= 0) return { kind: 'daily', minute };
  if (text.length > 40 || !RFC3339.test(text)) {
    return { kind: 'invalid', reason: 'expected an RFC 3339 date-time (2025-05-06T02:00:00Z) or HH:MM (02:30)' };
  }
  const dt = DateTime.fromISO(text.replace(' ', 'T'), { zone });
  if (!dt.isValid) return { kind: 'invalid', reason: `not a valid date-time (${dt.invalidExplanation ?? dt.invalidReason ?? 'out of range'})` };
  return { kind: 'instant', ms: dt.toMillis() };
}

export function isValidZone(zone: string): boolean {
  return zone === 'UTC' || IANAZone.isValidZone(zone);
}

/** Why the window is unusable, one reason per field; empty when it is fine. Messages never repeat the values. */
export function windowProblems(w: { from?: unknown; to?: unknown; timezone?: unknown }): Array<{ field: 'from' | 'to' | 'timezone' | ''; message: string }> {
  const out: Array<{ field: 'from' | 'to' | 'timezone' | ''; message: string }> = [];
  const zone = typeof w.timezone === 'string' ? w.timezone : 'UTC';
  if (typeof w.timezone === 'string' && !isValidZone(w.timezone)) {
    out.push({ field: 'timezone', message: 'is not a known IANA time zone (e.g. Europe/London, UTC)' });
  }
  const zoneForParse = isValidZone(zone) ? zone : 'UTC';
  const from = typeof w.from === 'string' ? parseWindowTime(w.from, zoneForParse) : undefined;
  const to = typeof w.to === 'string' ? parseWindowTime(w.to, zoneForParse) : undefined;
  if (from?.kind === 'invalid') out.push({ field: 'from', message: from.reason });
  if (to?.kind === 'invalid') out.push({ field: 'to', message: to.reason });
  if (!from || !to || from.kind === 'invalid' || to.kind === 'invalid') return out;
  if (from.kind !== to.kind) out.push({ field: '', message: 'from and to must both be RFC 3339 date-times or both HH:MM' });
  else if (from.kind === 'instant' && to.kind === 'instant' && to.ms <= from.ms) out.push({ field: 'to', message: 'must be later than from' });
  else if (from.kind === 'daily' && to.kind === 'daily' && to.minute === from.minute) out.push({ field: 'to', message: 'must differ from from (an empty daily window)' });
  return out;
}

export interface CompiledWindow {
  /** Does the window cover event time `tsMs` for `host`? */
  covers(host: string | null, tsMs: number): boolean;
}

/** Compiles a validated window; throws on one that windowProblems() would reject. */
export function compileWindow(w: WindowConfig): CompiledWindow {
  const problems = windowProblems(w);
  if (problems.length > 0) throw new Error(`invalid maintenance window: ${problems[0]!.message}`);
  const hostOk = w.hosts.length === 0 ? () => true : compileGlobs(w.hosts);
  const from = parseWindowTime(w.from, w.timezone);
  const to = parseWindowTime(w.to, w.timezone);
  if (from.kind === 'instant' && to.kind === 'instant') {
    return { covers: (host, ts) => (w.hosts.length === 0 || hostOk(host)) && ts >= from.ms && ts < to.ms };
  }
  if (from.kind === 'daily' && to.kind === 'daily') {
    return {
      covers(host, ts) {
        if (w.hosts.length > 0 && !hostOk(host)) return false;
        const local = DateTime.fromMillis(ts, { zone: w.timezone });
        const m = local.hour * 60 + local.minute;
        return from.minute < to.minute ? m >= from.minute && m < to.minute : m >= from.minute || m < to.minute;
      },
    };
  }
  throw new Error('invalid maintenance window');
}
