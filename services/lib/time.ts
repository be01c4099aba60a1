// Event-time helpers. Sources print time with anything from 0 to 9 fractional digits
// and with or without an offset; JavaScript's Date keeps only milliseconds, so the
// sub-millisecond part is carried separately (subNs) and printed back exactly.

export interface EventTime {
  /** RFC 3339 in UTC ("Z"), with the source's fractional digits (0-9, trailing zeros trimmed). */
  iso: string;
  /** Epoch milliseconds (floor). */
  ms: number;
  /** Nanoseconds past `ms`, 0..999999. */
  subNs: number;
}

// Anchored, no nested quantifiers: linear on any input.
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?\d*(Z|z|[+-]\d{2}:?\d{2})?$/;

/** Parses RFC 3339 / ISO 8601 date-times. A missing zone means `defaultOffsetMin` (UTC by default). */
export function parseRfc3339(text: string, defaultOffsetMin = 0): EventTime | null {
  if (text.length > 64) return null;
  const m = RFC3339.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const base = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s!);
  if (Number.isNaN(base) || +mo! < 1 || +mo! > 12 || +d! < 1 || +d! > 31 || +h! > 23 || +mi! > 59 || +s! > 60) {
    return null;
  }
  let offsetMin = defaultOffsetMin;
  if (zone && zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMin = sign * (+digits.slice(0, 2) * 60 + +digits.slice(2, 4));
  }
  const fracNs = frac ? +frac.padEnd(9, '0') : 0;
  return fromEpoch(base - offsetMin * 60_000, fracNs, frac?.length ?? 0);
}

/**
 * Builds an EventTime from whole-second-aligned epoch ms plus nanoseconds within the
 * second (or any ms plus ns remainder). `digits` is how many fractional digits the
 * source printed; trailing zeros are trimmed as Vault does.
 */
export function fromEpoch(msWhole: number, nsInSecond: number, digits = 9): EventTime {
  const extraMs = Math.floor(nsInSecond / 1_000_000);
  const ms = msWhole + extraMs;
  const subNs = nsInSecond % 1_000_000;
  return { iso: formatIso(ms, subNs, digits), ms, subNs };
}

export function formatIso(ms: number, subNs = 0, digits = 9): string {
  const d = new Date(ms - (((ms % 1000) + 1000) % 1000));
  const base = d.toISOString().slice(0, 19);
  const nsInSecond = (((ms % 1000) + 1000) % 1000) * 1_000_000 + subNs;
  if (digits <= 0 || nsInSecond === 0) return `${base}Z`;
  const frac = String(nsInSecond).padStart(9, '0').slice(0, digits).replace(/0+$/, '');
  return frac ? `${base}.${frac}Z` : `${base}Z`;
}

/**
 * issue 9 (hardening): the latest event time any parser accepts, 9999-12-31T23:59:59.999Z,
 * the end of what RFC 3339 text can say. Epoch numbers from a line (journald µs, Loki ns,
 * Snort alert_json seconds) can go far beyond it, and past Date's range (±8.64e15 ms)
 * formatIso throws RangeError: a fuzzed `"__REALTIME_TIMESTAMP":"8640000000001000000"`
 * escaped the journal parser as an exception. Such times are TIMESTAMP errors instead.
 */
export const MAX_EVENT_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** Epoch microseconds as a decimal string (journald's __REALTIME_TIMESTAMP). */
export function fromEpochMicros(text: string): EventTime | null {
  if (!/^\d{1,19}$/.test(text)) return null;
  const us = BigInt(text);
  const ms = Number(us / 1000n);
  const subNs = Number(us % 1000n) * 1000;
  if (!Number.isFinite(ms) || ms > MAX_EVENT_MS) return null; // issue 9: see MAX_EVENT_MS
  return { iso: formatIso(ms, subNs, 6), ms, subNs };
}

/** Epoch nanoseconds as a decimal string (Loki). */
export function fromEpochNanos(text: string): EventTime | null {
  if (!/^\d{1,22}$/.test(text)) return null;
  const ns = BigInt(text);
  const ms = Number(ns / 1_000_000n);
  const subNs = Number(ns % 1_000_000n);
  if (ms > MAX_EVENT_MS) return null; // issue 9: see MAX_EVENT_MS (22 digits reach year ~318,000)
  return { iso: formatIso(ms, subNs, 9), ms, subNs };
}

/** Compares two event times; ties broken by nanoseconds. */
export function compareTime(aMs: number, aSubNs: number, bMs: number, bSubNs: number): number {
  return aMs - bMs || aSubNs - bSubNs;
}

const MONTHS: Record<string, number> = {
  Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11,
};

/** Month index (0-11) of a three-letter English month name, or undefined. */
export function monthIndex(name: string): number | undefined {
  return MONTHS[name];
}

/**
 * Chooses the year for a timestamp printed without one (RFC 3164, Snort alert_fast).
 *
 * State lives in `carry` (per input file): the year and month of the previous line.
 * The first line takes `year` if given, else the year of `refMs` (the file's mtime),
 * stepping back one year when the line's month lies after the mtime's month (a file
 * cannot hold lines written after it was last modified). Later lines advance the
 * year when the month goes backwards by more than six months (December → January).
 */
export interface YearCarry {
  year?: number;
  month?: number;
}

export function resolveYear(month: number, carry: YearCarry, year?: number, refMs?: number): number {
  if (carry.year !== undefined && carry.month !== undefined) {
    if (month < carry.month && carry.month - month > 6) carry.year += 1;
    else if (month > carry.month && month - carry.month > 6) carry.year -= 1;
    carry.month = month;
    return carry.year;
  }
  let y: number;
  if (year !== undefined) {
    y = year;
  } else {
    const ref = new Date(refMs ?? 0);
    y = ref.getUTCFullYear();
    if (refMs !== undefined && month > ref.getUTCMonth()) y -= 1;
  }
  carry.year = y;
  carry.month = month;
  return y;
}
