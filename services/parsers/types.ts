// The parser contract (architecture convention 2): a pure function from one line and
// its context to an event or a ParseError value. No I/O, no throwing, no wall clock.
import type { InputKind, SecurityEvent } from '../../schemas/event.js';
import type { ParseErrorCode } from '../lib/errors.js';

export interface ParseContext {
  /** The input format (also the registry key). */
  kind: InputKind;
  /** The configured source name or the input path. */
  sourceName: string;
  /** Where the line was: e.g. "line 12" or "offset 4096". Carried into events and errors. */
  position: string;
  /** The year for timestamps printed without one (RFC 3164, alert_fast), from --year. */
  year?: number;
  /** Reference time for year inference when `year` is unset: the file's mtime (epoch ms). */
  refMs?: number;
  /** Date (YYYY-MM-DD) for time-only swarm lines before any full timestamp, from --date. */
  date?: string;
  /** Host to use when the line names none (e.g. Loki stream labels). */
  defaultHost?: string;
  /** The reader saw bytes that are not valid UTF-8 in this line. */
  invalidUtf8?: boolean;
  /** The reader cut this line at the line-length cap. */
  truncated?: boolean;
  /**
   * issue 8: the k8s-audit scanner (k8s-audit-scan.ts) accepted this very line, so it is an
   * audit Event in the API server's canonical form, one K8sAuditEvent always accepts as
   * it is (test/perf/k8s-scan-builds.test.ts holds the two to that): the k8s-audit parser
   * skips the schema check. Set only by the replay, for lines its in-place prefilter read.
   */
  scannedCanonical?: boolean;
  /**
   * Per-input state the format itself requires (the year of the previous line, the
   * date of the last full orchestrator timestamp). One object per input, owned by the
   * reader; parsers may read and update it. Nothing else is kept between lines.
   */
  carry: Record<string, unknown>;
}

export interface ParseError {
  code: ParseErrorCode;
  message: string;
  kind: InputKind;
  sourceName: string;
  position: string;
  /** The offending line, capped (see MAX_ERROR_SAMPLE). */
  sample: string;
}

export type ParseResult = { ok: true; event: SecurityEvent } | { ok: false; error: ParseError };

export type Parser = (line: string, ctx: ParseContext) => ParseResult;

/** Lines longer than this are capped by the reader and rejected as TRIP_PARSE_TOO_LONG. */
export const MAX_LINE_BYTES = 1024 * 1024;
/** How much of a bad line a ParseError keeps. */
export const MAX_ERROR_SAMPLE = 4096;
