// The entries of one (threshold rule, key) sliding window, kept lean: parallel arrays
// of numbers and strings, not one object per entry (issue 8 budgets ~300 bytes a key).
//
// Invariants:
// - Entries are in canonical order (ms, ns, dedupe): the order an in-order run would
//   have added them, whatever order they arrived in. Ties in time are broken by the
//   dedupe id so the order never depends on arrival.
// - One entry per dedupe id: the first arrival wins, later copies are ignored.
// - cum[i] is the sum of weights up to i (inclusive), so any range's weighted count is
//   O(1) after an O(log n) search; pruning the front leaves differences valid.
// - Live entries are [head, end): pruning advances `head` and compacts the arrays only
//   when the dead prefix is large, so a hot key with thousands of entries pays O(1)
//   amortized per event instead of shifting every array on every event.
// - Only the newest MAX_PAYLOADS entries keep their event and line (alert evidence);
//   older entries keep just their numbers and ids.
import type { SecurityEvent } from '../../schemas/event.js';

export const MAX_PAYLOADS = 20;
/** Above this many entries a Set answers "is this dedupe id already here" (else a scan). */
const SET_ABOVE = 16;
/** Compact the arrays once this many dead entries lead them (and they are half the arrays). */
const COMPACT_AT = 64;

export interface Payload {
  event: SecurityEvent;
  line: string;
}

export interface KeyWindowJson {
  ms: number[];
  ns: number[];
  d: string[];
  i: Array<string | null>;
  w: number[];
  p: Array<Payload | null>;
  /** Event time (ms) of the last firing, for the cooldown. */
  f: number | null;
  /** Source of the latest entry: whose clock says when the key is idle. */
  s?: string | null;
}

/** Canonical order of (ms, ns, dedupe) against (ms2, ns2, dedupe2). */
function cmp(ms: number, ns: number, d: string, ms2: number, ns2: number, d2: string): number {
  if (ms !== ms2) return ms < ms2 ? -1 : 1;
  if (ns !== ns2) return ns < ns2 ? -1 : 1;
  return d < d2 ? -1 : d > d2 ? 1 : 0;
}

export class KeyWindow {
  ms: number[] = [];
  ns: number[] = [];
  dedupe: string[] = [];
  item: Array<string | null> = [];
  weight: number[] = [];
  cum: number[] = [];
  payload: Array<Payload | null> = [];
  lastFireMs: number | null = null;
  /** Source of the latest added entry (see windows.ts sweep). */
  source: string | null = null;
  /** Index of the first live entry; entries before it are pruned but not yet compacted away. */
  head = 0;
  private seen: Set<string> | null = null;

  /** One past the last entry index. */
  get end(): number {
    return this.ms.length;
  }

  /** Number of live entries. */
  get size(): number {
    return this.ms.length - this.head;
  }

  has(dedupe: string): boolean {
    return this.seen ? this.seen.has(dedupe) : this.dedupe.indexOf(dedupe, this.head) >= 0;
  }

  /** Where an entry goes in canonical order (usually the end: input is mostly in order). */
  position(ms: number, ns: number, dedupe: string): number {
    const n = this.ms.length;
    if (n === this.head || cmp(ms, ns, dedupe, this.ms[n - 1]!, this.ns[n - 1]!, this.dedupe[n - 1]!) > 0) return n;
    let lo = this.head;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cmp(this.ms[mid]!, this.ns[mid]!, this.dedupe[mid]!, ms, ns, dedupe) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Inserts at canonical position `p` (from position()); returns p. */
  insert(p: number, ms: number, ns: number, dedupe: string, item: string | null, weight: number, payload: Payload): number {
    const n = this.ms.length;
    const base = p > 0 ? this.cum[p - 1]! : n > 0 ? this.cum[0]! - this.weight[0]! : 0;
    this.ms.splice(p, 0, ms);
    this.ns.splice(p, 0, ns);
    this.dedupe.splice(p, 0, dedupe);
    this.item.splice(p, 0, item);
    this.weight.splice(p, 0, weight);
    this.cum.splice(p, 0, base + weight);
    for (let i = p + 1; i <= n; i++) this.cum[i]! += weight;
    // Keep payloads for the newest MAX_PAYLOADS entries only.
    const len = n + 1;
    if (p < len - MAX_PAYLOADS) this.payload.splice(p, 0, null);
    else {
      this.payload.splice(p, 0, payload);
      if (len > MAX_PAYLOADS) this.payload[len - MAX_PAYLOADS - 1] = null;
    }
    if (this.seen) this.seen.add(dedupe);
    else if (len - this.head > SET_ABOVE) this.seen = new Set(this.dedupe.slice(this.head));
    return p;
  }

  /**
   * The window ending at entry j: entries i ≤ j (canonical order) whose time is at or
   * after time(j) − windowMs. Returns its first index and weighted count.
   */
  windowAt(j: number, windowMs: number): { lo: number; count: number } {
    const startMs = this.ms[j]! - windowMs;
    const startNs = this.ns[j]!;
    let lo = this.head;
    let hi = j;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = this.ms[mid]!;
      if (m < startMs || (m === startMs && this.ns[mid]! < startNs)) lo = mid + 1;
      else hi = mid;
    }
    return { lo, count: this.cum[j]! - this.cum[lo]! + this.weight[lo]! };
  }

  /** Drops entries older than `horizonMs`: no window that can still be evaluated reaches them. */
  prune(horizonMs: number): void {
    const n = this.ms.length;
    let h = this.head;
    while (h < n && this.ms[h]! < horizonMs) {
      this.seen?.delete(this.dedupe[h]!);
      this.payload[h] = null; // let the event go now, not at compaction
      h++;
    }
    this.head = h;
    if (h === n) {
      this.clear();
      return;
    }
    if (h >= COMPACT_AT && 2 * h >= n) {
      for (const a of [this.ms, this.ns, this.dedupe, this.item, this.weight, this.cum, this.payload] as unknown[][]) a.splice(0, h);
      this.head = 0;
    }
  }

  private clear(): void {
    this.ms = [];
    this.ns = [];
    this.dedupe = [];
    this.item = [];
    this.weight = [];
    this.cum = [];
    this.payload = [];
    this.head = 0;
    this.seen = null;
  }

  /** Live entries only. */
  toJSON(): KeyWindowJson {
    const h = this.head;
    return {
      ms: this.ms.slice(h),
      ns: this.ns.slice(h),
      d: this.dedupe.slice(h),
      i: this.item.slice(h),
      w: this.weight.slice(h),
      p: this.payload.slice(h),
      f: this.lastFireMs,
      s: this.source,
    };
  }

  static fromJSON(j: KeyWindowJson): KeyWindow {
    const w = new KeyWindow();
    const n = j.ms.length;
    if (![j.ns, j.d, j.i, j.w, j.p].every((a) => Array.isArray(a) && a.length === n)) {
      throw new Error('window state: entry arrays differ in length');
    }
    w.ms = [...j.ms];
    w.ns = [...j.ns];
    w.dedupe = [...j.d];
    w.item = [...j.i];
    w.weight = [...j.w];
    w.payload = [...j.p];
    let sum = 0;
    w.cum = w.weight.map((x) => (sum += x));
    w.lastFireMs = j.f;
    w.source = j.s ?? null;
    if (n > SET_ABOVE) w.seen = new Set(w.dedupe);
    return w;
  }
}
