// A prefiltered line as the engine sees it (issue 8): its time, and what H1 would keep
// of it, built only if asked. Most quiet lines are superseded by the next line before H1
// looks, so the text, position and time text are not built for them at all.
import type { EventTime } from '../lib/time.js';

/** What H1 keeps of a prefiltered line as its evidence. */
export interface QuietEvidence {
  ts: string;
  position: string;
  line: string;
}

export interface QuietLine {
  readonly ms: number;
  readonly subNs: number;
  /** The event time as the parser would print it (`ts`). */
  iso(): string;
  evidence(): QuietEvidence;
}

/** A quiet line whose text and time text already exist (the per-line prefilter, the Kafka health lane). */
export function quietLineOf(time: Pick<EventTime, 'ms' | 'subNs' | 'iso'>, position: string, line: string): QuietLine {
  return {
    ms: time.ms,
    subNs: time.subNs,
    iso: () => time.iso,
    evidence: () => ({ ts: time.iso, position, line }),
  };
}

/**
 * Consecutive prefiltered lines of one source, in file order (issue 8: the replay's
 * scanner hands them over a run at a time). Valid only during the call it is passed to:
 * the engine keeps what it needs through line(k), a QuietLine of its own.
 */
export interface QuietRun {
  readonly length: number;
  /** Event time of line k (ms, and nanoseconds past it). */
  ms(k: number): number;
  subNs(k: number): number;
  line(k: number): QuietLine;
}
