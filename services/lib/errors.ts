// Stable error codes (architecture convention 8). A code never changes meaning once
// shipped: dashboards, dead-letter files and metrics labels key on it.

export const ParseErrorCode = {
  EMPTY: 'TRIP_PARSE_EMPTY',
  TOO_LONG: 'TRIP_PARSE_TOO_LONG',
  BINARY: 'TRIP_PARSE_BINARY',
  BAD_UTF8: 'TRIP_PARSE_UTF8',
  JSON: 'TRIP_PARSE_JSON',
  SHAPE: 'TRIP_PARSE_SHAPE',
  TIMESTAMP: 'TRIP_PARSE_TIMESTAMP',
  UNKNOWN_FORMAT: 'TRIP_PARSE_UNKNOWN_FORMAT',
  COMMENT: 'TRIP_PARSE_COMMENT',
  UNSUPPORTED: 'TRIP_PARSE_UNSUPPORTED',
} as const;
export type ParseErrorCode = (typeof ParseErrorCode)[keyof typeof ParseErrorCode];

/** An error a user can act on: it says what went wrong, where, and how to fix it. */
export class TriplineError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: number = 1,
  ) {
    super(message);
    this.name = 'TriplineError';
  }
}

/** Bad command line or bad config: exit 2, as the CLI contract says. */
export class UsageError extends TriplineError {
  constructor(message: string, code = 'TRIP_USAGE') {
    super(code, message, 2);
    this.name = 'UsageError';
  }
}
