// `tripline replay --state-dir DIR` (issue 5): puts a replay's outcome into a state
// directory so `tripline digest --state-dir DIR --until latest` can summarise it.
//
// What it writes: the alerts into the outbox (one commit per 500, INSERT OR IGNORE by id,
// so replaying the same logs twice adds nothing), and each input's health: its event and
// parse-error totals and its last event time (from the engine's H1 state), recorded in the
// hour of that last event. A replay has no per-hour counts, so a digest window that covers
// only part of a long replay shows the inputs' whole totals: documented in the README.
//
// Safety: no sink is involved, and a `tripline run` later started on this directory does
// not post these alerts: a sink seen for the first time starts after the alerts already in
// the outbox (routes.ts initSink). Use a separate directory from the live one anyway: the
// live run's H1 and first-seen state would not match the replay's.
import type { Alert } from '../../schemas/alert.js';
import type { EngineSnapshot } from '../engine/engine.js';
import { StateStore } from '../state/store.js';
import type { HealthDelta } from '../state/health.js';

export interface ReplayOutcome {
  alerts: readonly Alert[];
  events: Record<string, number>;
  errors: Record<string, Record<string, number>>;
  /** Prefiltered lines (still events, not parsed), per source, when the replay reports them. */
  quiet?: Record<string, number>;
  snapshot?: EngineSnapshot;
}

/** The newest event time per source, from the engine's absence (H1) state. */
function lastEvents(snapshot: EngineSnapshot | undefined): Map<string, { kind: string; ms: number | null }> {
  const out = new Map<string, { kind: string; ms: number | null }>();
  const absence = (snapshot as { absence?: Record<string, Array<[string, { kind: string; lastSeenMs: number | null }]>> } | undefined)?.absence ?? {};
  for (const entries of Object.values(absence)) {
    for (const [name, s] of entries) {
      const prev = out.get(name);
      if (!prev || (s.lastSeenMs ?? -Infinity) > (prev.ms ?? -Infinity)) out.set(name, { kind: s.kind, ms: s.lastSeenMs });
    }
  }
  return out;
}

export function recordReplayState(
  stateDir: string,
  outcome: ReplayOutcome,
  sources: ReadonlyArray<{ name: string; kind: string }>,
  nowMs: number,
): { inserted: number; duplicates: number } {
  const store = new StateStore({ stateDir, now: () => nowMs });
  store.open();
  try {
    let inserted = 0;
    let duplicates = 0;
    for (let i = 0; i < outcome.alerts.length; i += 500) {
      const r = store.commit({ positions: {}, alerts: outcome.alerts.slice(i, i + 500) });
      inserted += r.inserted;
      duplicates += r.duplicates;
    }
    const last = lastEvents(outcome.snapshot);
    const deltas: HealthDelta[] = sources.map((s) => {
      const errs = Object.values(outcome.errors[s.name] ?? {}).reduce((a, b) => a + b, 0);
      const lastMs = last.get(s.name)?.ms ?? null;
      return {
        source: s.name,
        kind: s.kind,
        bucketMs: lastMs ?? nowMs,
        events: (outcome.events[s.name] ?? 0) + (outcome.quiet?.[s.name] ?? 0),
        parseErrors: errs,
        lastEventMs: lastMs,
      };
    });
    // Replaying the same logs again must not double the counts: only new alerts mean new input.
    if (inserted > 0 || outcome.alerts.length === 0) store.health.record(deltas);
    return { inserted, duplicates };
  } finally {
    store.close();
  }
}
