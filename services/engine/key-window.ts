// The entries of one (threshold rule, key) sliding window, kept lean (issue 8 budgets
// ≤ 300 bytes of heap a live key): ONE flat array, STRIDE slots per entry, not one
// object per entry nor one array per field, and no SecurityEvent: the alert's evidence
// needs only the line, its place and time, and describe() only what select() kept
// (Selection.detail).
//
// Invariants:
// - Entries are in canonical order (ms, ns, dedupe): the order an in-order run would
//   have added them, whatever order they arrived in. Ties in time are broken by the
//   dedupe id so the order never depends on arrival.
// - One entry per dedupe id: the first arrival wins, later copies are ignored.
// - cum of entry i is the sum of weights up to i (inclusive), so any range's weighted
//   count is O(1) after an O(log n) search; pruning the front leaves differences valid.
// - Live entries are [head, end): pruning advances `head` and compacts the array only
//   when the dead prefix is large, so a hot key with thousands of entries pays O(1)
//   amortized per event instead of shifting the array on every event.
// - Only the newest MAX_PAYLOADS entries keep their evidence (source, kind, position,
//   ts, line capped like alert evidence, detail); older entries keep numbers and ids.
//   `ts` is stored only when it differs from formatIso(ms, ns) (it almost never does).
import type { InputKind } from '../../schemas/event.js';
import type { EntryDetail } from '../../rules/define.js';
import { formatIso } from '../lib/time.js';
import { capLine } from './alert-build.js';

export const MAX_PAYLOADS = 20;
/** Above this many entries a Set answers "is this dedupe id already here" (else a scan). */
const SET_ABOVE = 16;
/** Compact the array once this many dead entries lead it (and they are half the entries). */
const COMPACT_AT = 64;

// Slots of one entry.
const MS = 0;
const NS = 1;
const DEDUPE = 2;
const ITEM = 3;
const WEIGHT = 4;
const CUM = 5;
const SRC = 6;
const KIND = 7;
const POS = 8;
const TS = 9;
/** The evidence line (capped like alert evidence), or null for an entry past the newest MAX_PAYLOADS. */
const LINE = 10;
const DETAIL = 11;
/** Whether the line was capped. */
const TRUNC = 12;
const STRIDE = 13;

/** What an entry keeps for the alert: its evidence and what describe() may read. `line` is the raw line on insert (capped there). */
export interface Payload {
  source: string;
  kind: InputKind;
  position: string;
  ts: string;
  line: string;
  truncated: boolean;
  detail: EntryDetail | null;
}

/** Payload as stored in a snapshot (a tuple: the shape is the same for every entry). */
export type PayloadJson = [source: string, kind: InputKind, position: string, ts: string, line: string, truncated: boolean, detail: EntryDetail | null];

export interface KeyWindowJson {
  ms: number[];
  ns: number[];
  d: string[];
  i: Array<string | null>;
  w: number[];
  /**
   * Evidence of the newest entries, null for older ones. Snapshots written before issue 8
   * hold `{ event, line }` objects here; they are read as evidence without a detail.
   */
  p: Array<PayloadJson | { event: { source: { name: string; kind: InputKind; position: string }; ts: string }; line: string } | null>;
  /** Event time (ms) of the last firing, for the cooldown. */
  f: number | null;
  /** Source of the latest entry: whose clock says when the key is idle. */
  s?: string | null;
}

/**
 * Source names and kinds packed windows refer to by number: few and long-lived (one per
 * source, or per source+host stream on the Kafka path). Process-wide, append-only and
 * capped; past the cap, pack() writes the names out in full.
 */
const NAMES: string[] = [];
const NAME_INDEX = new Map<string, number>();
const MAX_NAMES = 65_536;
const FULL = -2;
const NO_SOURCE = -1;

function intern(name: string): number {
  let i = NAME_INDEX.get(name);
  if (i === undefined) {
    if (NAMES.length >= MAX_NAMES) return FULL;
    i = NAMES.length;
    NAMES.push(name);
    NAME_INDEX.set(name, i);
  }
  return i;
}

/** A position pack() can keep as a number. */
const LINE_POSITION = /^line (\d+)$/;
const FLATTEN = /\u0000/;

/** Canonical order of (ms, ns, dedupe) against (ms2, ns2, dedupe2). */
function cmp(ms: number, ns: number, d: string, ms2: number, ns2: number, d2: string): number {
  if (ms !== ms2) return ms < ms2 ? -1 : 1;
  if (ns !== ns2) return ns < ns2 ? -1 : 1;
  return d < d2 ? -1 : d > d2 ? 1 : 0;
}

export class KeyWindow {
  /** STRIDE slots per entry; entries [head, end) are live. */
  private e: unknown[] = [];
  lastFireMs: number | null = null;
  /** Source of the latest added entry (see windows.ts sweep). */
  source: string | null = null;
  /** Index (entry number) of the first live entry; entries before it are pruned but not yet compacted away. */
  head = 0;
  private seen: Set<string> | null = null;

  /** One past the last entry index. */
  get end(): number {
    return this.e.length / STRIDE;
  }

  /** Number of live entries. */
  get size(): number {
    return this.end - this.head;
  }

  ms(i: number): number {
    return this.e[i * STRIDE + MS] as number;
  }

  ns(i: number): number {
    return this.e[i * STRIDE + NS] as number;
  }

  dedupe(i: number): string {
    return this.e[i * STRIDE + DEDUPE] as string;
  }

  item(i: number): string | null {
    return this.e[i * STRIDE + ITEM] as string | null;
  }

  weight(i: number): number {
    return this.e[i * STRIDE + WEIGHT] as number;
  }

  private cum(i: number): number {
    return this.e[i * STRIDE + CUM] as number;
  }

  /** The entry's evidence, or null when it is past the newest MAX_PAYLOADS. */
  payload(i: number): Payload | null {
    const b = i * STRIDE;
    const e = this.e;
    const line = e[b + LINE] as string | null;
    if (line === null) return null;
    const ts = (e[b + TS] as string | null) ?? formatIso(e[b + MS] as number, e[b + NS] as number);
    return { source: e[b + SRC] as string, kind: e[b + KIND] as InputKind, position: e[b + POS] as string, ts, line, truncated: e[b + TRUNC] as boolean, detail: e[b + DETAIL] as EntryDetail | null };
  }

  has(dedupe: string): boolean {
    if (this.seen) return this.seen.has(dedupe);
    for (let i = this.head, n = this.end; i < n; i++) if (this.e[i * STRIDE + DEDUPE] === dedupe) return true;
    return false;
  }

  /** Where an entry goes in canonical order (usually the end: input is mostly in order). */
  position(ms: number, ns: number, dedupe: string): number {
    const n = this.end;
    if (n === this.head || cmp(ms, ns, dedupe, this.ms(n - 1), this.ns(n - 1), this.dedupe(n - 1)) > 0) return n;
    let lo = this.head;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cmp(this.ms(mid), this.ns(mid), this.dedupe(mid), ms, ns, dedupe) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Inserts at canonical position `p` (from position()); returns p. */
  insert(p: number, ms: number, ns: number, dedupe: string, item: string | null, weight: number, payload: Payload): number {
    const n = this.end;
    const base = p > 0 ? this.cum(p - 1) : n > 0 ? this.cum(0) - this.weight(0) : 0;
    const keep = p >= n + 1 - MAX_PAYLOADS;
    const ts = keep && payload.ts !== formatIso(ms, ns) ? payload.ts : null;
    const capped = keep ? capLine(payload.line) : null;
    const entry = [
      ms,
      ns,
      dedupe,
      item,
      weight,
      base + weight,
      keep ? payload.source : null,
      keep ? payload.kind : null,
      keep ? payload.position : null,
      ts,
      capped ? capped.line : null,
      keep ? payload.detail : null,
      capped ? capped.truncated : false,
    ];
    if (p === n && n === 0) this.e = entry;
    else if (p === n) for (const x of entry) this.e.push(x);
    else this.e.splice(p * STRIDE, 0, ...entry);
    for (let i = p + 1; i <= n; i++) this.e[i * STRIDE + CUM] = (this.e[i * STRIDE + CUM] as number) + weight;
    // Keep evidence for the newest MAX_PAYLOADS entries only.
    const len = n + 1;
    if (len > MAX_PAYLOADS && keep) this.drop(len - MAX_PAYLOADS - 1);
    if (this.seen) this.seen.add(dedupe);
    else if (len - this.head > SET_ABOVE) {
      this.seen = new Set();
      for (let i = this.head; i < len; i++) this.seen.add(this.dedupe(i));
    }
    return p;
  }

  /** Forgets an entry's evidence (it fell out of the newest MAX_PAYLOADS, or out of the window). */
  private drop(i: number): void {
    const b = i * STRIDE;
    const e = this.e;
    e[b + SRC] = null;
    e[b + KIND] = null;
    e[b + POS] = null;
    e[b + TS] = null;
    e[b + LINE] = null;
    e[b + DETAIL] = null;
    e[b + TRUNC] = false;
  }

  /**
   * The window ending at entry j: entries i ≤ j (canonical order) whose time is at or
   * after time(j) − windowMs. Returns its first index and weighted count.
   */
  windowAt(j: number, windowMs: number): { lo: number; count: number } {
    const startMs = this.ms(j) - windowMs;
    const startNs = this.ns(j);
    let lo = this.head;
    let hi = j;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = this.ms(mid);
      if (m < startMs || (m === startMs && this.ns(mid) < startNs)) lo = mid + 1;
      else hi = mid;
    }
    return { lo, count: this.cum(j) - this.cum(lo) + this.weight(lo) };
  }

  /** Drops entries older than `horizonMs`: no window that can still be evaluated reaches them. */
  prune(horizonMs: number): void {
    const n = this.end;
    let h = this.head;
    while (h < n && this.ms(h) < horizonMs) {
      this.seen?.delete(this.dedupe(h));
      this.drop(h); // let the evidence go now, not at compaction
      h++;
    }
    this.head = h;
    if (h === n) {
      this.clear();
      return;
    }
    if (h >= COMPACT_AT && 2 * h >= n) {
      this.e.splice(0, h * STRIDE);
      this.head = 0;
    }
  }

  private clear(): void {
    this.e = [];
    this.head = 0;
    this.seen = null;
  }

  /** Live entries only. */
  toJSON(): KeyWindowJson {
    const j: KeyWindowJson = { ms: [], ns: [], d: [], i: [], w: [], p: [], f: this.lastFireMs, s: this.source };
    for (let i = this.head, n = this.end; i < n; i++) {
      j.ms.push(this.ms(i));
      j.ns.push(this.ns(i));
      j.d.push(this.dedupe(i));
      j.i.push(this.item(i));
      j.w.push(this.weight(i));
      const p = this.payload(i);
      j.p.push(p ? [p.source, p.kind, p.position, p.ts, p.line, p.truncated, p.detail] : null);
    }
    return j;
  }

  /**
   * A window of exactly one entry and no cooldown is stored as ONE flat string (issue 8:
   * an internet-wide scan leaves a million such keys; as an object with its entry array
   * one costs ~3x more heap). Null when the window has more state than that.
   * Format: "ms,ns,weight,lineNo,truncated,flags|" then length-prefixed strings (source,
   * kind, window source, [position], [ts], [item], [detail JSON], dedupe) and the line.
   */
  pack(): string | null {
    if (this.size !== 1 || this.lastFireMs !== null || this.seen !== null) return null;
    const b = this.head * STRIDE;
    const e = this.e;
    const position = e[b + POS] as string;
    const m = LINE_POSITION.exec(position);
    const lineNo = m && m[1]!.length < 10 && (m[1] === '0' || m[1]![0] !== '0') ? Number(m[1]) : -1;
    const ts = e[b + TS] as string | null;
    const item = e[b + ITEM] as string | null;
    const detail = e[b + DETAIL] as EntryDetail | null;
    const src = e[b + SRC] as string;
    const kind = e[b + KIND] as string;
    const names = [intern(src), intern(kind), this.source === null ? NO_SOURCE : intern(this.source)];
    const inline = names.includes(FULL);
    const flags = (ts !== null ? 1 : 0) | (item !== null ? 2 : 0) | (detail !== null ? 4 : 0) | (inline ? 8 : 0);
    const str = (s: string): string => `${s.length}:${s}`;
    let out = `${e[b + MS] as number},${e[b + NS] as number},${e[b + WEIGHT] as number},${lineNo},${e[b + TRUNC] ? 1 : 0},${flags}`;
    out += inline ? `|${str(src)}${str(kind)}${str(this.source ?? '')}` : `,${names.join(',')}|`;
    if (lineNo < 0) out += str(position);
    if (ts !== null) out += str(ts);
    if (item !== null) out += str(item);
    if (detail !== null) out += str(JSON.stringify(detail));
    out += str(e[b + DEDUPE] as string) + (e[b + LINE] as string);
    FLATTEN.test(out); // a regex flattens the rope in place; the GC then drops its pieces
    return out;
  }

  /** The window pack() stored. */
  static unpack(s: string): KeyWindow {
    const bar = s.indexOf('|');
    const [ms, ns, weight, lineNo, trunc, flags, srcAt, kindAt, winAt] = s.slice(0, bar).split(',').map(Number) as number[] as [number, number, number, number, number, number, number, number, number];
    let at = bar + 1;
    const str = (): string => {
      const colon = s.indexOf(':', at);
      const len = Number(s.slice(at, colon));
      at = colon + 1 + len;
      return s.slice(colon + 1, at);
    };
    const inline = (flags & 8) !== 0;
    const source = inline ? str() : NAMES[srcAt]!;
    const kind = (inline ? str() : NAMES[kindAt]!) as InputKind;
    const windowSource = inline ? str() : winAt === NO_SOURCE ? '' : NAMES[winAt]!;
    const position = lineNo >= 0 ? `line ${lineNo}` : str();
    const ts = flags & 1 ? str() : null;
    const item = flags & 2 ? str() : null;
    const detail = flags & 4 ? (JSON.parse(str()) as EntryDetail) : null;
    const dedupe = str();
    const line = s.slice(at);
    const w = new KeyWindow();
    w.e = [ms, ns, dedupe, item, weight, weight, source, kind, position, ts, line, detail, trunc === 1];
    w.source = windowSource === '' ? null : windowSource;
    return w;
  }

  static fromJSON(j: KeyWindowJson): KeyWindow {
    const w = new KeyWindow();
    const n = j.ms.length;
    if (![j.ns, j.d, j.i, j.w, j.p].every((a) => Array.isArray(a) && a.length === n)) {
      throw new Error('window state: entry arrays differ in length');
    }
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const p = j.p[i] ?? null;
      sum += j.w[i]!;
      let pl: Payload | null = null;
      if (Array.isArray(p)) pl = { source: p[0], kind: p[1], position: p[2], ts: p[3], line: p[4], truncated: p[5], detail: p[6] };
      else if (p !== null) {
        // A snapshot from before issue 8: the full event; its evidence is kept, its detail is not.
        const c = capLine(p.line);
        pl = { source: p.event.source.name, kind: p.event.source.kind, position: p.event.source.position, ts: p.event.ts, line: c.line, truncated: c.truncated, detail: null };
      }
      const ts = pl && pl.ts !== formatIso(j.ms[i]!, j.ns[i]!) ? pl.ts : null;
      w.e.push(j.ms[i]!, j.ns[i]!, j.d[i]!, j.i[i] ?? null, j.w[i]!, sum, pl?.source ?? null, pl?.kind ?? null, pl?.position ?? null, ts, pl?.line ?? null, pl?.detail ?? null, pl?.truncated ?? false);
    }
    w.lastFireMs = j.f;
    w.source = j.s ?? null;
    if (n > SET_ABOVE) w.seen = new Set(j.d);
    return w;
  }
}
