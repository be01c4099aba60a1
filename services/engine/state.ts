// The engine snapshot (issue 4): everything the engine remembers, as plain JSON, so a
// restart restores windows, cooldowns, first-seen sets, correlation indexes and last
// seen per source, and re-processing the same lines yields the same alert ids.
//
// Invariants:
// - Versioned: a snapshot of another version is refused (the caller then starts fresh
//   and says so) rather than half-read.
// - Per-rule state is keyed by rule id; state of rules that are unknown or disabled at
//   restore time is dropped, and caps (engine.maxKeys) are applied again on restore.
// - Holds no functions, Maps, class instances or non-finite numbers: JSON.stringify /
//   JSON.parse round-trips it exactly.
import type { AbsenceJson } from './absence.js';
import type { ClocksJson } from './clocks.js';
import type { CorrelationsJson } from './correlations.js';
import type { ErrorRateJson } from './error-rate.js';
import type { FirstSeenJson } from './first-seen.js';
import type { KeyWindowJson } from './key-window.js';

export const ENGINE_SNAPSHOT_VERSION = 1;

export interface EngineSnapshot {
  version: typeof ENGINE_SNAPSHOT_VERSION;
  /** Newest event time overall and per source, and the first event time ever seen (clocks.ts). */
  clock: ClocksJson;
  counters: {
    events: number;
    late: number;
    evictions: Record<string, number>;
    ruleErrors: Record<string, number>;
  };
  threshold: Record<string, Array<[string, KeyWindowJson]>>;
  firstSeen: Record<string, FirstSeenJson>;
  absence: Record<string, AbsenceJson>;
  errorRate: Record<string, ErrorRateJson>;
  correlations: CorrelationsJson;
  /** Match-rule alert ids already emitted for multi-line API requests (request-dedupe.ts). */
  matchRequests: Array<[string, number]>;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Checks the outline of a parsed snapshot; throws an Error saying what is wrong. */
export function checkSnapshot(value: unknown): EngineSnapshot {
  if (!isObj(value)) throw new Error('engine snapshot: not an object');
  if (value.version !== ENGINE_SNAPSHOT_VERSION) {
    throw new Error(`engine snapshot: version ${String(value.version)} is not ${ENGINE_SNAPSHOT_VERSION}`);
  }
  for (const k of ['clock', 'counters', 'threshold', 'firstSeen', 'absence', 'errorRate', 'correlations']) {
    if (!isObj(value[k])) throw new Error(`engine snapshot: ${k} is missing or not an object`);
  }
  const corr = value.correlations as Record<string, unknown>;
  if (!Array.isArray(corr.ssh) || !isObj(corr.boots)) throw new Error('engine snapshot: correlations are malformed');
  return value as unknown as EngineSnapshot;
}
