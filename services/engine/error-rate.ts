// Parse-error rate per source for one error-rate rule (H2): tumbling event-time windows
// (health.parseErrors.window, aligned to the epoch) of lines and failed lines, judged
// when the watermark closes them.
//
// Invariants:
// - lines = parsed events + parse errors; a window fires when lines ≥ minLines and
//   errors / lines > ratio. One alert per source per window: with tumbling windows the
//   "cooldown of one window" is the window itself.
// - TRIP_PARSE_EMPTY and TRIP_PARSE_COMMENT are neither errors nor lines: blank lines
//   and `#` comments (or `last`'s footer) say nothing about a format change.
// - A parse error has no event time of its own: it is placed at its source's last event
//   time or the watermark, whichever is later (an all-failing source has only the
//   watermark). Errors before any event time is known wait in `pending` and join the
//   source's first placed line.
// - Windows judged by the watermark are gone; a late line for one of them is dropped.
import type { InputKind } from '../../schemas/event.js';
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
  lastSeenMs: number | null;
  pending: Tally | null;
  buckets: Bucket[];
}

export interface ErrorRateJson {
  closedThroughMs: number | null;
  sources: Array<[string, SourceRateState]>;
}

export interface JudgedWindow {
  source: string;
  kind: InputKind;
  lines: number;
  errors: number;
  codes: Array<{ value: string; count: number }>;
  windowStartMs: number;
  windowEndMs: number;
  firstMs: number;
  lastMs: number;
}

export class ErrorRateTracker {
  readonly sources: CappedMap<SourceRateState>;
  private closedThroughMs: number | null = null;
  private readonly windowMs: number;

  constructor(private readonly params: ErrorRateParams) {
    this.sources = new CappedMap<SourceRateState>(params.maxKeys);
    this.windowMs = Math.max(1, params.windowMs);
  }

  private source(name: string, kind: InputKind): SourceRateState {
    let s = this.sources.get(name);
    if (!s) {
      s = { kind, lastSeenMs: null, pending: null, buckets: [] };
      this.sources.set(name, s);
    }
    return s;
  }

  private add(s: SourceRateState, ms: number, t: Tally): void {
    const startMs = Math.floor(ms / this.windowMs) * this.windowMs;
    if (this.closedThroughMs !== null && startMs + this.windowMs <= this.closedThroughMs) return; // judged already
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
    s.lastSeenMs = s.lastSeenMs === null ? ms : Math.max(s.lastSeenMs, ms);
    const t: Tally = s.pending ?? { lines: 0, errors: 0, codes: {} };
    s.pending = null;
    t.lines += 1;
    this.add(s, ms, t);
  }

  /** A line that failed to parse; `watermarkMs` is the engine's current watermark (null: none yet). */
  error(name: string, kind: InputKind, code: string, watermarkMs: number | null): void {
    if (NOT_ERRORS.has(code)) return;
    const s = this.source(name, kind);
    const t: Tally = s.pending ?? { lines: 0, errors: 0, codes: {} };
    t.lines += 1;
    t.errors += 1;
    t.codes[code] = (t.codes[code] ?? 0) + 1;
    const candidates = [s.lastSeenMs, watermarkMs].filter((x): x is number => x !== null);
    if (candidates.length === 0) {
      s.pending = t;
      return;
    }
    s.pending = null;
    this.add(s, Math.max(...candidates), t);
  }

  /** Judges and drops every window that ends at or before `watermarkMs`; returns the ones over the limit. */
  close(watermarkMs: number): JudgedWindow[] {
    this.closedThroughMs = this.closedThroughMs === null ? watermarkMs : Math.max(this.closedThroughMs, watermarkMs);
    return this.judge((b) => b.startMs + this.windowMs <= watermarkMs);
  }

  /** End of input: judges every open window, complete or not. */
  closeAll(): JudgedWindow[] {
    return this.judge(() => true);
  }

  private judge(closes: (b: Bucket) => boolean): JudgedWindow[] {
    const out: JudgedWindow[] = [];
    for (const [name, s] of this.sources.entries()) {
      if (s.buckets.length === 0 || !closes(s.buckets[0]!)) continue;
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
    return out;
  }

  toJSON(): ErrorRateJson {
    return {
      closedThroughMs: this.closedThroughMs,
      sources: [...this.sources.entries()].map(([k, s]) => [k, structuredClone(s)]),
    };
  }

  restore(j: ErrorRateJson): void {
    this.closedThroughMs = j.closedThroughMs;
    for (const [k, s] of j.sources) this.sources.set(k, structuredClone(s));
  }
}
