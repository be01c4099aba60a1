// Event-time clocks: the newest event time per source and overall.
//
// Why per source: live sources are read independently (a collector batch, a backlog
// after a restart), so one source can run minutes behind another. Judging lateness
// against the newest event of ANY source would call a lagging source's every line late
// and drop it from windows, and the live run would miss alerts the replay (merged by
// time) raises. So:
// - an event is LATE when it is older than its own source's newest event minus the
//   allowed lateness (the per-source watermark);
// - the global watermark (newest event of any source minus the lateness) drives what
//   is inherently cross-source: silence (H1);
// - sourceTime() is a source's clock pulled forward to at most `skew` behind the newest
//   event overall, so a source that stalled still moves on (H2); a source with no event
//   yet (every line fails) runs on the newest event overall.
// Bounded: one number per source, capped by maxKeys.
import type { SecurityEvent } from '../../schemas/event.js';
import { CappedMap } from './capped-map.js';

export interface ClocksJson {
  maxEventMs: number | null;
  firstEventMs: number | null;
  sources: Array<[string, number]>;
}

export class SourceClocks {
  readonly bySource: CappedMap<number>;
  /** Newest event time of any source. */
  maxMs: number | null = null;
  /** The first event time the engine ever saw (never-heard sources count silence from it). */
  firstMs: number | null = null;

  constructor(
    private readonly latenessMs: number,
    maxKeys: number,
  ) {
    this.bySource = new CappedMap<number>(maxKeys);
  }

  /** Global watermark: newest event time of any source − allowed lateness. */
  watermark(): number | null {
    return this.maxMs === null ? null : this.maxMs - this.latenessMs;
  }

  /** The watermark of one source, or null before it produced an event. */
  sourceWatermark(source: string): number | null {
    const m = this.bySource.get(source);
    return m === undefined ? null : m - this.latenessMs;
  }

  /** Whether `e` is behind its source's watermark (call before advance(e)). */
  isLate(e: SecurityEvent): boolean {
    const wm = this.sourceWatermark(e.source.name);
    return wm !== null && e.tsMs < wm;
  }

  /** Takes `e`'s time into account. */
  advance(e: SecurityEvent): void {
    this.firstMs ??= e.tsMs;
    if (this.maxMs === null || e.tsMs > this.maxMs) this.maxMs = e.tsMs;
    const prev = this.bySource.get(e.source.name);
    if (prev === undefined || e.tsMs > prev) this.bySource.set(e.source.name, e.tsMs);
  }

  /**
   * The source's clock, never more than `skewMs` behind the newest event overall; the
   * newest event overall for a source with no event yet; null before any event at all.
   */
  sourceTime(source: string, skewMs: number): number | null {
    if (this.maxMs === null) return null;
    const own = this.bySource.get(source);
    if (own === undefined) return this.maxMs;
    return Math.max(own, this.maxMs - skewMs);
  }

  toJSON(): ClocksJson {
    return { maxEventMs: this.maxMs, firstEventMs: this.firstMs, sources: [...this.bySource.entries()] };
  }

  restore(j: ClocksJson): void {
    this.maxMs = j.maxEventMs;
    this.firstMs = j.firstEventMs;
    for (const [s, ms] of j.sources ?? []) this.bySource.set(s, ms);
  }
}
