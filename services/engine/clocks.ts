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

/** sourceTime() from a source's own clock (undefined: none yet) and the newest event time overall. */
export function sourceTimeOf(own: number | undefined, maxMs: number, skewMs: number): number {
  return own === undefined ? maxMs : Math.max(own, maxMs - skewMs);
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

  /**
   * Whether `e` is behind its source's watermark (call before advance(e)). `stream` is
   * the clock it is judged by: its source, or on the Kafka path its source+host stream
   * (EngineOptions.clockOf).
   */
  isLate(e: SecurityEvent, stream = e.source.name): boolean {
    return this.isLateAt(stream, e.tsMs);
  }

  /** isLate() of an event at `ms` on the clock of `stream` (issue 8: prefiltered lines have no event). */
  isLateAt(stream: string, ms: number): boolean {
    const wm = this.sourceWatermark(stream);
    return wm !== null && ms < wm;
  }

  /** Takes `e`'s time into account (on the clock of `stream`, default its source). */
  advance(e: SecurityEvent, stream = e.source.name): void {
    this.advanceAt(stream, e.tsMs);
  }

  /** advance() for an event at `ms` on the clock of `stream`. */
  advanceAt(stream: string, ms: number): void {
    this.firstMs ??= ms;
    if (this.maxMs === null || ms > this.maxMs) this.maxMs = ms;
    const prev = this.bySource.get(stream);
    if (prev === undefined || ms > prev) this.bySource.set(stream, ms);
  }

  /**
   * isLateAt() then advanceAt() with one lookup of the stream's clock (issue 8: once per
   * prefiltered line); returns whether `ms` was late.
   */
  lateThenAdvance(stream: string, ms: number): boolean {
    const prev = this.bySource.get(stream);
    this.firstMs ??= ms;
    if (this.maxMs === null || ms > this.maxMs) this.maxMs = ms;
    if (prev === undefined || ms > prev) {
      this.bySource.set(stream, ms);
      return false;
    }
    return ms < prev - this.latenessMs;
  }

  /** The oldest clock of any stream (issue 7: a low watermark for stream clocks), or null. */
  minMs(): number | null {
    let min: number | null = null;
    for (const [, ms] of this.bySource.entries()) if (min === null || ms < min) min = ms;
    return min;
  }

  /**
   * The source's clock, never more than `skewMs` behind the newest event overall; the
   * newest event overall for a source with no event yet; null before any event at all.
   */
  sourceTime(source: string, skewMs: number): number | null {
    if (this.maxMs === null) return null;
    return sourceTimeOf(this.bySource.get(source), this.maxMs, skewMs);
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
