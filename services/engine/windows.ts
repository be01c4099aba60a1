// Keyed sliding windows for one threshold rule: distinct dedupe, weights, items,
// cooldown, LRU cap. Fires at the crossing (issue 4: alerts within a second of the
// line), not when the window closes.
//
// Invariants:
// - The window ending at entry E holds the entries up to E in canonical order whose
//   time is within [time(E) − window, time(E)]; its count is the sum of their weights.
// - An entry fires when its window count exceeds the threshold and no firing of the
//   same key lies within `cooldown` of it (either side, in event time). The alert is
//   anchored on that entry's event TIME, not its dedupe id: when many entries share one
//   timestamp (2,600 failed logins in one second), which of them crosses depends on
//   arrival order, and Loki or Kafka need not keep the file's order within an instant;
//   the instant of the crossing does not depend on it. The cooldown keeps two firings
//   of one key from sharing an instant.
// - An out-of-order entry (within the allowed lateness) is inserted at its canonical
//   place, evaluated as an in-order run would have evaluated it, and the later entries
//   whose windows it pushes over the threshold are re-checked; entries that were
//   already over are not fired twice. So input shuffled within the lateness gives the
//   same alerts and ids as in-order input, except where a later entry (or one of the
//   same instant) had already crossed on its own before the earlier one arrived: eager
//   firing cannot retract, and the cooldown then suppresses the in-order trigger.
// - Entries older than the source's watermark − window can never be counted again and
//   are pruned; keys with no entries and no cooldown left are swept, judged by the clock
//   of the source that last fed them (a lagging source keeps its keys); the key count is
//   capped. A key fed by several sources that lag each other by more than the allowed
//   lateness may lose old entries early (undercount, never a false alert).
import type { SecurityEvent } from '../../schemas/event.js';
import type { Selection } from '../../rules/define.js';
import { CappedMap } from './capped-map.js';
import { KeyWindow, type KeyWindowJson, type Payload } from './key-window.js';

export interface WindowParams {
  threshold: number;
  windowMs: number;
  cooldownMs: number;
  maxKeys: number;
}

/** One crossing: everything the engine needs to build the alert. */
export interface WindowFiring {
  key: string;
  /** Event time of the triggering entry ("t:<ms>.<ns>"): the alert id's anchor. */
  anchor: string;
  count: number;
  triggerMs: number;
  triggerNs: number;
  firstMs: number;
  firstNs: number;
  items: Array<{ value: string; count: number }>;
  /** Evidence of the window (earliest first, at most 20). */
  payloads: Payload[];
}

const MAX_ITEMS = 10;
/** Cap on one entry's weight, so a forged "PAM 999999 more failures" stays a number. */
const MAX_WEIGHT = 1_000_000;

function flatKey(k: string): string {
  FLATTEN.test(k);
  return k;
}

function cleanWeight(w: number | undefined): number {
  if (w === undefined || !Number.isFinite(w) || w < 1) return 1;
  return Math.min(MAX_WEIGHT, Math.floor(w));
}

/** A stored window: the object, or a one-entry window packed into a string (KeyWindow.pack). */
type Stored = KeyWindow | string;
const open = (v: Stored): KeyWindow => (typeof v === 'string' ? KeyWindow.unpack(v) : v);
/** The smallest form of `w` to keep. */
const stored = (w: KeyWindow): Stored => w.pack() ?? w;
/** Running a regex over a key built by concatenation flattens it: a rope would keep every piece it was built from. */
const FLATTEN = /\u0000/;

export class ThresholdWindows {
  readonly keys: CappedMap<Stored>;

  constructor(readonly params: WindowParams) {
    this.keys = new CappedMap<Stored>(params.maxKeys);
  }

  private cooling(w: KeyWindow, ms: number): boolean {
    return w.lastFireMs !== null && Math.abs(ms - w.lastFireMs) < this.params.cooldownMs;
  }

  /**
   * Adds one counted event (never a late one) and returns the firings it causes.
   * `watermarkMs` is the event's source watermark after this event advanced it; `stream`
   * names that clock (the source, or its source+host stream on the Kafka path).
   */
  add(sel: Selection, event: SecurityEvent, line: string, watermarkMs: number | null, stream = event.source.name): WindowFiring[] {
    const found = this.keys.get(sel.key);
    const key = found === undefined ? flatKey(sel.key) : sel.key;
    const w = found === undefined ? new KeyWindow() : open(found);
    this.keys.set(key, w); // most recently updated
    const fired = this.addTo(w, sel, event, line, watermarkMs, stream);
    // Keep the smallest form: a window of one entry and no cooldown goes (back) into a string.
    this.keys.set(key, stored(w));
    return fired;
  }

  private addTo(w: KeyWindow, sel: Selection, event: SecurityEvent, line: string, watermarkMs: number | null, stream: string): WindowFiring[] {
    const { threshold, windowMs } = this.params;
    w.source = stream;
    if (watermarkMs !== null) w.prune(watermarkMs - windowMs);
    if (w.has(sel.dedupe)) return [];

    const ms = event.tsMs;
    const ns = event.tsSubNs;
    const p = w.position(ms, ns, sel.dedupe);
    // Counts of the later entries this one will join, before it joins them.
    const before: number[] = [];
    for (let j = p; j < w.end && w.ms(j) - windowMs <= ms; j++) before.push(w.windowAt(j, windowMs).count);

    const src = event.source;
    const payload = { source: src.name, kind: src.kind, position: src.position, ts: event.ts, line, truncated: false, detail: sel.detail ?? null };
    w.insert(p, ms, ns, sel.dedupe, sel.item ?? null, cleanWeight(sel.weight), payload);

    const fired: WindowFiring[] = [];
    const at = w.windowAt(p, windowMs);
    if (at.count > threshold && !this.cooling(w, ms)) fired.push(this.fire(sel.key, w, p, at.lo, at.count));
    for (let k = 0; k < before.length; k++) {
      const j = p + 1 + k;
      const after = w.windowAt(j, windowMs);
      if (before[k]! <= threshold && after.count > threshold && !this.cooling(w, w.ms(j))) {
        fired.push(this.fire(sel.key, w, j, after.lo, after.count));
      }
    }
    return fired;
  }

  private fire(key: string, w: KeyWindow, j: number, lo: number, count: number): WindowFiring {
    w.lastFireMs = w.ms(j);
    const tally = new Map<string, number>();
    const payloads: Payload[] = [];
    for (let i = lo; i <= j; i++) {
      const item = w.item(i);
      if (item !== null && item !== undefined) tally.set(item, (tally.get(item) ?? 0) + w.weight(i));
      const pl = w.payload(i);
      if (pl) payloads.push(pl);
    }
    const items = [...tally]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, MAX_ITEMS)
      .map(([value, n]) => ({ value, count: n }));
    return {
      key,
      anchor: `t:${w.ms(j)}.${w.ns(j)}`,
      count,
      triggerMs: w.ms(j),
      triggerNs: w.ns(j),
      firstMs: w.ms(lo),
      firstNs: w.ns(lo),
      items,
      payloads: payloads.slice(-20),
    };
  }

  /** Removes idle keys from the least recently updated end; `watermarkOf` gives a source's watermark. */
  sweep(watermarkOf: (source: string) => number | null): void {
    const { windowMs, cooldownMs } = this.params;
    this.keys.sweep((v) => {
      const w = open(v);
      const wm = w.source === null ? null : watermarkOf(w.source);
      if (wm === null) return false;
      w.prune(wm - windowMs);
      return w.size === 0 && (w.lastFireMs === null || w.lastFireMs + cooldownMs <= wm);
    });
  }

  toJSON(): Array<[string, KeyWindowJson]> {
    return [...this.keys.entries()].map(([k, w]) => [k, open(w).toJSON()]);
  }

  restore(entries: ReadonlyArray<[string, KeyWindowJson]>): void {
    for (const [k, j] of entries) this.keys.set(flatKey(k), stored(KeyWindow.fromJSON(j)));
  }
}
