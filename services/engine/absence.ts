// Source silence for one absence rule (H1): the last event time per source, checked
// against each source's maxSilence whenever the watermark advances.
//
// Invariants:
// - Event time only: a source is silent when watermark − lastSeen > maxSilence, so a
//   replay of last month raises exactly the H1 alerts the live run would have.
// - A source that never spoke counts from the first event time the engine saw.
// - One alert per silence: the silence is identified by its start (lastSeen), which only
//   changes when the source speaks again (that re-arms the rule).
// - Tracked sources: the configured ones when a list is given (replay: the inputs),
//   else every source seen; bounded by maxKeys either way.
// - The source's last line is kept (capped) as the alert's evidence. issue 8: a
//   prefiltered line hands it over as a thunk, built only if the silence fires or the
//   state is saved (most lines are superseded by the next one first).
import type { Evidence } from '../../schemas/alert.js';
import type { InputKind } from '../../schemas/event.js';
import { capLine, MAX_EVIDENCE_CHARS } from './alert-build.js';
import { CappedMap } from './capped-map.js';
import type { QuietLine } from './quiet-line.js';

export interface SourceSilenceState {
  kind: InputKind;
  lastSeenMs: number | null;
  /** Start (ms) of the silence that already fired, so it fires once. */
  firedFor: number | null;
  lastLine: Evidence | null;
}

/** The evidence of a line, or a prefiltered line to build it from (issue 8). */
export type LazyEvidence = Evidence | QuietLine;

/** Internally the last line may still be a quiet line; its evidence is built on the way out. */
interface LiveSilenceState extends Omit<SourceSilenceState, 'lastLine'> {
  lastLine: LazyEvidence | null;
}

function built(name: string, s: LiveSilenceState): Evidence | null {
  const l = s.lastLine;
  if (l !== null && 'evidence' in l) {
    const q = l.evidence();
    const capped = q.line.length <= MAX_EVIDENCE_CHARS ? null : capLine(q.line);
    s.lastLine = { source: name, kind: s.kind, position: q.position, ts: q.ts, line: capped ? capped.line : q.line, truncated: capped !== null };
  }
  return s.lastLine as Evidence | null;
}

export interface DueSilence {
  source: string;
  kind: InputKind;
  lastSeenMs: number | null;
  silentSinceMs: number;
  maxSilenceMs: number;
  atMs: number;
  lastLine: Evidence | null;
}

export type AbsenceJson = Array<[string, SourceSilenceState]>;

export class AbsenceTracker {
  readonly sources: CappedMap<LiveSilenceState>;
  private readonly fixed: boolean;
  /**
   * issue 8: no unfired silence can be due at or before this watermark (a lower bound
   * over the unfired sources of since + limit, for `boundFirstMs`), so due() is O(1) per
   * event. Reset to -Infinity by whatever could lower it: a new source, a source that
   * speaks again after its silence fired, a restore.
   */
  private nextDueMs = Number.NEGATIVE_INFINITY;
  private boundFirstMs: number | null = null;

  constructor(configured: ReadonlyArray<{ name: string; kind: InputKind }> | undefined, maxKeys: number) {
    this.sources = new CappedMap<LiveSilenceState>(maxKeys);
    this.fixed = configured !== undefined;
    for (const s of configured ?? []) this.sources.set(s.name, { kind: s.kind, lastSeenMs: null, firedFor: null, lastLine: null });
  }

  /** The source spoke at `ms`. */
  observe(name: string, kind: InputKind, ms: number, evidence: LazyEvidence): void {
    const s = this.sources.get(name);
    if (!s) {
      if (this.fixed) return;
      this.sources.set(name, { kind, lastSeenMs: ms, firedFor: null, lastLine: evidence });
      this.nextDueMs = Number.NEGATIVE_INFINITY;
      return;
    }
    if (s.lastSeenMs === null || ms >= s.lastSeenMs) {
      if (s.firedFor !== null) {
        this.nextDueMs = Number.NEGATIVE_INFINITY; // may re-arm
        // The silence start never comes back once the source spoke after it (its last time
        // only rises), so it need not be remembered: later lines then keep the bound (issue 8).
        if (ms > s.firedFor) s.firedFor = null;
      }
      s.lastSeenMs = ms;
      s.lastLine = evidence;
    }
  }

  /** False when due() would certainly return nothing (issue 8: the per-line check, without building its arguments). */
  mayBeDue(watermarkMs: number, firstEventMs: number): boolean {
    return !(firstEventMs === this.boundFirstMs && watermarkMs <= this.nextDueMs);
  }

  /**
   * True when `name` speaking at non-decreasing times while the watermark rises to at most
   * `watermarkMs` would make no silence due and leave the bound valid (issue 8: the engine
   * then takes a run of quiet lines in one step, observing only its last line).
   */
  quietRun(name: string, watermarkMs: number, firstEventMs: number): boolean {
    if (this.mayBeDue(watermarkMs, firstEventMs)) return false;
    const s = this.sources.get(name);
    return s === undefined ? this.fixed : s.firedFor === null; // a new source or a re-armed one lowers the bound
  }

  /** Silences that passed their limit by `watermarkMs` and have not fired yet; marks them fired. */
  due(watermarkMs: number, firstEventMs: number, maxSilence: (name: string, kind: InputKind) => number): DueSilence[] {
    if (firstEventMs === this.boundFirstMs && watermarkMs <= this.nextDueMs) return [];
    const out: DueSilence[] = [];
    let next = Number.POSITIVE_INFINITY;
    for (const [name, s] of this.sources.entries()) {
      const since = s.lastSeenMs ?? firstEventMs;
      if (s.firedFor === since) continue;
      const limit = maxSilence(name, s.kind);
      if (watermarkMs - since <= limit) {
        next = Math.min(next, since + limit);
        continue;
      }
      s.firedFor = since;
      out.push({
        source: name,
        kind: s.kind,
        lastSeenMs: s.lastSeenMs,
        silentSinceMs: since,
        maxSilenceMs: limit,
        atMs: since + limit,
        lastLine: built(name, s),
      });
    }
    this.nextDueMs = next;
    this.boundFirstMs = firstEventMs;
    return out;
  }

  toJSON(): AbsenceJson {
    return [...this.sources.entries()].map(([k, s]) => [k, { ...s, lastLine: built(k, s) }]);
  }

  restore(entries: AbsenceJson): void {
    this.nextDueMs = Number.NEGATIVE_INFINITY;
    for (const [name, s] of entries) {
      const configured = this.sources.get(name);
      if (this.fixed && !configured) continue; // no longer an input: forget it
      this.sources.set(name, { ...s, kind: configured?.kind ?? s.kind });
    }
  }
}
