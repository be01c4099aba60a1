// Routing policy (issue 5): what happens to one alert on one sink. Pure, so the live router
// and the digest's replay simulation decide identically.
//
// Order of the checks, and why:
//   1. below minSeverity → 'below'. Info (I2) never pages; it exists for the digest.
//   2. an active silence matches → 'silenced' (counted in the digest with the silence id).
//   3. dedup sinks: the fingerprint (rule + key) was posted less than repeatInterval ago in
//      EVENT time → 'repeat', carried in the digest. Event time, not the wall clock, so a
//      backlog read after an outage posts what a live run would have posted, and a replay
//      decides the same way (architecture convention 4).
//   4. otherwise 'post'.
// A silenced or below-severity alert does not open a repeat window: the first alert that
// is actually posted does.
import type { Alert, Severity } from '../../schemas/alert.js';
import type { Silence } from '../../schemas/routing.js';
import { findSilence } from './silences.js';

export const SEVERITY_RANK: Record<Severity, number> = { critical: 3, warning: 2, info: 1 };

export function atLeast(severity: Severity, min: Severity): boolean {
  return SEVERITY_RANK[severity] >= SEVERITY_RANK[min];
}

/** How a sink wants its alerts routed. */
export interface SinkPolicy {
  minSeverity: Severity;
  /** Apply silences (notification sinks). Record sinks (stdout, file) keep everything. */
  silences: boolean;
  /** Suppress repeats of a fingerprint within repeatIntervalMs (event time). */
  dedup: boolean;
  repeatIntervalMs: number;
  /** Alerts of one rule arriving within this long of the first share a message; 0 = none. */
  groupWaitMs: number;
  /** Alerts per message (a record sink batches up to this many per write). */
  maxGroupSize: number;
  /** Minimum time between two messages on this sink (Slack webhooks: 1 per second). */
  minIntervalMs: number;
  /** Group by rule (notification sinks), or batch whatever is ready (record sinks). */
  groupBy: 'rule' | 'batch';
  /** issue 9: most unsettled alerts the sink may hold before the rest are shed (outbox.ts OVERFLOW_CODE); absent: no bound. */
  maxPending?: number;
}

export type Classified =
  | { disposition: 'below' }
  | { disposition: 'silenced'; silenceId: string }
  | { disposition: 'repeat'; repeatOf: string }
  | { disposition: 'post' };

export interface LastPost {
  /** Event time of the post that opened the current repeat window. */
  tsMs: number;
  id: string;
}

export function classify(alert: Alert, tsMs: number, policy: SinkPolicy, silences: readonly Silence[], lastPost: LastPost | undefined, nowMs: number): Classified {
  if (!atLeast(alert.severity, policy.minSeverity)) return { disposition: 'below' };
  if (policy.silences) {
    const s = findSilence(silences, alert, nowMs);
    if (s) return { disposition: 'silenced', silenceId: s.id };
  }
  if (policy.dedup && lastPost && Math.abs(tsMs - lastPost.tsMs) < policy.repeatIntervalMs) {
    return { disposition: 'repeat', repeatOf: lastPost.id };
  }
  return { disposition: 'post' };
}
