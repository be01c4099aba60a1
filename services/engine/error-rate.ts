// Parse-error rate per source for one error-rate rule (H2): tumbling event-time windows
// (health.parseErrors.window, aligned to the epoch) of lines and failed lines, judged
// when the source's clock closes them.
//
// Invariants:
// - lines = parsed events + parse errors; a window fires when lines ≥ minLines and
//   errors / lines > ratio. One alert per source per window: with tumbling windows the
//   "cooldown of one window" is the window itself.
// - TRIP_PARSE_EMPTY and TRIP_PARSE_COMMENT are neither errors nor lines: blank lines
//   and `#` comments (or `last`'s footer) say nothing about a format change.
// - Each source runs on its own clock (clocks.ts sourceTime: its newest event, pulled
//   forward to at most one window behind the newest event overall). A parse error has
//   no event time: it is placed at its source's clock, so an all-failing or stalled
//   source still fills and closes windows. Errors seen before any event time exists
//   wait in `pending` and are placed as soon as there is one.
// - A source's window closes when its clock minus the allowed lateness passes the
//   window's end; a late line for a closed window is dropped.
import type { InputKind } from '../../schemas/event.js';
import type { ErrorRateInfo } from '../../rules/define.js';
import { ParseErrorCode } from '../lib/errors.js';
import { CappedMap } from './capped-map.js';

/** Codes that are not failures of the format: not counted at all. */
export const NOT_ERRORS: ReadonlySet<string> = new Set([ParseErrorCode.EMPTY, ParseErrorCode.COMMENT]);

export interface ErrorRateParams {
  windowMs: number;
  ratio: number;
  minLines: number;
  maxKeys: number;
}

interface Tally {
  lines: number;
  errors: number;
  codes: Record<string, number>;
}

interface Bucket extends Tally {
  startMs: number;
  firstMs: number;
  lastMs: number;
}

export interface SourceRateState {
  kind: InputKind;
  /** Windows ending at or before this were judged. */
  closedThroughMs: number | null;
  pending: Tally | null;
  buckets: Bucket[];
}

export interface ErrorRateJson {
  sources: Array<[string, SourceRateState]>;
}

/** A source's clock (clocks.ts sourceTime), or null while no event time exists. */
export type SourceTime = (source: string) => number | null;

/** A judged window: what the rule describes (ErrorRateInfo) and the times of its first and last line. */
export interface JudgedWindow extends ErrorRateInfo {
  firstMs: number;
  lastMs: number;
}

/** The shared empty answer of close() (never mutated: a close that judges makes its own array). */
const NONE_JUDGED: JudgedWindow[] = [];

export class ErrorRateTracker {
  readonly sources: CappedMap<SourceRateState>;
  private readonly windowMs: number;

  constructor(private readonly params: ErrorRateParams) {
    this.sources = new CappedMap<SourceRateState>(params.maxKeys);
    this.windowMs = Math.max(1, params.windowMs);
  }

  private source(name: string, kind: InputKind): SourceRateState {
    let s = this.sources.get(name);
    if (!s) {
      s = { kind, closedThroughMs: null, pending: null, buckets: [] };
      this.sources.set(name, s);
    }
    return s;
  }

  private add(s: SourceRateState, ms: number, t: Tally): void {
    const startMs = Math.floor(ms / this.windowMs) * this.windowMs;
    if (s.closedThroughMs !== null && startMs + this.windowMs <= s.closedThroughMs) return; // judged already
    let b = s.buckets.find((x) => x.startMs === startMs);
    if (!b) {
      b = { startMs, lines: 0, errors: 0, codes: {}, firstMs: ms, lastMs: ms };
      s.buckets.push(b);
      s.buckets.sort((x, y) => x.startMs - y.startMs);
    }
    b.lines += t.lines;
    b.errors += t.errors;
    for (const [c, n] of Object.entries(t.codes)) b.codes[c] = (b.codes[c] ?? 0) + n;
    b.firstMs = Math.min(b.firstMs, ms);
    b.lastMs = Math.max(b.lastMs, ms);
  }

  /** A line that parsed, at its event time. */
  line(name: string, kind: InputKind, ms: number): void {
    const s = this.source(name, kind);
    // Fast path (issue 8: once per event): the line falls in the newest open window.
    const last = s.buckets[s.buckets.length - 1];
    const startMs = Math.floor(ms / this.windowMs) * this.windowMs;
    if (last !== undefined && last.startMs === startMs && (s.closedThroughMs === null || startMs + this.windowMs > s.closedThroughMs)) {
      last.lines += 1;
      if (ms < last.firstMs) last.firstMs = ms;
      if (ms > last.lastMs) last.lastMs = ms;
      return;
    }
    this.add(s, ms, { lines: 1, errors: 0, codes: {} });
  }

  /** A line that failed to parse; `atMs` is its source's clock (null: no event time yet). */
  error(name: string, kind: InputKind, code: string, atMs: number | null): void {
    if (NOT_ERRORS.has(code)) return;
    const s = this.source(name, kind);
    const t: Tally = s.pending ?? { lines: 0, errors: 0, codes: {} };
    t.lines += 1;
    t.errors += 1;
    t.codes[code] = (t.codes[code] ?? 0) + 1;
    s.pending = null;
    if (atMs === null) s.pending = t;
    else this.add(s, atMs, t);
  }

  /**
   * Places waiting errors, then judges and drops every window whose end the source's
   * clock minus `latenessMs` has passed; returns the windows over the limit.
   */
  close(timeOf: SourceTime, latenessMs: number): JudgedWindow[] {
    // Once per event (issue 8): the visit is a bound method and its inputs are fields, so
    // the common call (nothing to judge) allocates nothing.
    this.closeTimeOf = timeOf;
    this.closeLatenessMs = latenessMs;
    this.closeOut = NONE_JUDGED;
    this.sources.forEach(this.closeSource);
    const out = this.closeOut;
    this.closeOut = NONE_JUDGED;
    return out;
  }

  private closeTimeOf: SourceTime = () => null;
  private closeLatenessMs = 0;
  private closeOut: JudgedWindow[] = NONE_JUDGED;

  private readonly closeSource = (s: SourceRateState, name: string): void => {
    const now = this.closeTimeOf(name);
    if (now === null) return;
    if (s.pending) {
      this.add(s, now, s.pending);
      s.pending = null;
    }
    const through = now - this.closeLatenessMs;
    s.closedThroughMs = s.closedThroughMs === null ? through : Math.max(s.closedThroughMs, through);
    // Nothing to judge until the oldest window ends (the common case, once per event).
    const first = s.buckets[0];
    if (first === undefined || first.startMs + this.windowMs > through) return;
    if (this.closeOut === NONE_JUDGED) this.closeOut = [];
    this.judge(name, s, (b) => b.startMs + this.windowMs <= through, this.closeOut);
  };

  /**
   * issue 8, a run of lines of `name` at times from tMin to tMax, with the clocks as they
   * will be after it (`timeOf`): true when closing after each line would judge no window
   * and place no waiting error, and every line lands in one window still open. Then
   * takeRun() has the effect of close() and line() for each line of the run.
   */
  quietRun(name: string, tMin: number, tMax: number, timeOf: SourceTime, latenessMs: number): boolean {
    const s = this.sources.get(name);
    const startMs = Math.floor(tMin / this.windowMs) * this.windowMs;
    if (s === undefined || Math.floor(tMax / this.windowMs) * this.windowMs !== startMs) return false;
    let quiet = true;
    this.sources.forEach((x, xName) => {
      const now = timeOf(xName);
      if (x.pending !== null || now === null) {
        quiet = false;
        return;
      }
      // Closes only ever raise closedThroughMs, so judging nothing at the end judges nothing on the way.
      const through = Math.max(x.closedThroughMs ?? Number.NEGATIVE_INFINITY, now - latenessMs);
      const first = x.buckets[0];
      if ((first !== undefined && first.startMs + this.windowMs <= through) || (xName === name && startMs + this.windowMs <= through)) quiet = false;
    });
    return quiet;
  }

  /** The run quietRun() approved: `lines` lines of `name`, the first at `tFirst`. */
  takeRun(name: string, kind: InputKind, tFirst: number, tMin: number, tMax: number, lines: number, timeOf: SourceTime, latenessMs: number): void {
    this.sources.forEach((x, xName) => {
      const through = timeOf(xName)! - latenessMs;
      x.closedThroughMs = x.closedThroughMs === null ? through : Math.max(x.closedThroughMs, through);
    });
    this.line(name, kind, tFirst);
    if (lines === 1) return;
    const startMs = Math.floor(tMin / this.windowMs) * this.windowMs;
    const b = this.sources.get(name)!.buckets.find((x) => x.startMs === startMs)!;
    b.lines += lines - 1;
    if (tMin < b.firstMs) b.firstMs = tMin;
    if (tMax > b.lastMs) b.lastMs = tMax;
  }

  /** End of input: places waiting errors and judges every open window, complete or not. */
  closeAll(timeOf: SourceTime): JudgedWindow[] {
    const out: JudgedWindow[] = [];
    for (const [name, s] of this.sources.entries()) {
      const now = timeOf(name);
      if (s.pending && now !== null) {
        this.add(s, now, s.pending);
        s.pending = null;
      }
      this.judge(name, s, () => true, out);
    }
    return out;
  }

  private judge(name: string, s: SourceRateState, closes: (b: Bucket) => boolean, out: JudgedWindow[]): void {
    if (s.buckets.length === 0 || !closes(s.buckets[0]!)) return;
    const keep: Bucket[] = [];
    for (const b of s.buckets) {
      if (!closes(b)) {
        keep.push(b);
        continue;
      }
      if (b.lines >= this.params.minLines && b.errors / b.lines > this.params.ratio) {
        const codes = Object.entries(b.codes)
          .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))
          .map(([value, count]) => ({ value, count }));
        out.push({
          source: name,
          kind: s.kind,
          lines: b.lines,
          errors: b.errors,
          codes,
          windowStartMs: b.startMs,
          windowEndMs: b.startMs + this.windowMs,
          firstMs: b.firstMs,
          lastMs: b.lastMs,
        });
      }
    }
    s.buckets = keep;
  }

  toJSON(): ErrorRateJson {
    return { sources: [...this.sources.entries()].map(([k, s]) => [k, structuredClone(s)]) };
  }

  restore(j: ErrorRateJson): void {
    for (const [k, s] of j.sources) this.sources.set(k, structuredClone(s));
  }
}
