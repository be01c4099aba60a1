// Source health for the daily digest, and the digest's own run log (issue 5).
//
// What it writes (state.db):
//   source_health  (source, hour bucket) → kind, events, parse errors, newest event time.
//                  Live: the router's health recorder adds the deltas of the pipeline's
//                  counters every minute (bucket = wall hour). `tripline replay --state-dir`
//                  adds its counts per event-time hour. Counts only ever add up.
//   digest_runs    one row per digest slot (the scheduled time, epoch ms) once it was posted,
//                  so a restart neither posts a digest twice nor forgets a missed one.
//
// Retention: rows older than `olderThanMs` are deleted by prune() (the router calls it with
// 30 days). Reads (readHealth) take a plain connection, so `tripline digest` can use a
// read-only one while `tripline run` holds the store.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { writeError } from './recover.js';

export const HEALTH_SCHEMA = `
CREATE TABLE IF NOT EXISTS source_health (
  source TEXT NOT NULL,
  bucket_ms INTEGER NOT NULL,
  kind TEXT NOT NULL,
  events INTEGER NOT NULL,
  parse_errors INTEGER NOT NULL,
  last_event_ms INTEGER,
  PRIMARY KEY (source, bucket_ms)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS digest_runs (slot_ms INTEGER PRIMARY KEY, posted_ms INTEGER NOT NULL, sink TEXT NOT NULL);
`;

export const HOUR_MS = 3_600_000;

export interface HealthDelta {
  source: string;
  kind: string;
  /** Start of the hour the counts belong to (epoch ms). */
  bucketMs: number;
  events: number;
  parseErrors: number;
  lastEventMs: number | null;
}

export interface SourceHealthRow {
  source: string;
  kind: string;
  events: number;
  parseErrors: number;
  /** Newest event time ever recorded for the source (not only in the window). */
  lastEventMs: number | null;
}

export class HealthLog {
  private readonly add: StatementSync;
  private readonly posted: StatementSync;
  private readonly markPosted: StatementSync;

  constructor(
    private readonly db: DatabaseSync,
    private readonly dbPath: string,
  ) {
    this.add = db.prepare(
      `INSERT INTO source_health (source, bucket_ms, kind, events, parse_errors, last_event_ms) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (source, bucket_ms) DO UPDATE SET kind = excluded.kind, events = events + excluded.events,
         parse_errors = parse_errors + excluded.parse_errors,
         last_event_ms = CASE WHEN last_event_ms IS NULL THEN excluded.last_event_ms
                              WHEN excluded.last_event_ms IS NULL THEN last_event_ms
                              ELSE max(last_event_ms, excluded.last_event_ms) END`,
    );
    this.posted = db.prepare('SELECT posted_ms AS postedMs FROM digest_runs WHERE slot_ms = ?');
    this.markPosted = db.prepare('INSERT OR IGNORE INTO digest_runs (slot_ms, posted_ms, sink) VALUES (?, ?, ?)');
  }

  /** Adds counter deltas, one transaction. */
  record(deltas: readonly HealthDelta[]): void {
    if (deltas.length === 0) return;
    this.tx('recording source health', () => {
      for (const d of deltas) this.add.run(d.source, bucketOf(d.bucketMs), d.kind, d.events, d.parseErrors, d.lastEventMs);
    });
  }

  digestPosted(slotMs: number): boolean {
    return this.posted.get(slotMs) !== undefined;
  }

  markDigestPosted(slotMs: number, nowMs: number, sink: string): void {
    this.tx('recording a posted digest', () => this.markPosted.run(slotMs, nowMs, sink));
  }

  prune(olderThanMs: number, nowMs: number): void {
    const cutoff = nowMs - olderThanMs;
    this.tx('pruning source health', () => {
      this.db.prepare('DELETE FROM source_health WHERE bucket_ms < ?').run(cutoff);
      this.db.prepare('DELETE FROM digest_runs WHERE slot_ms < ?').run(cutoff);
    });
  }

  private tx(what: string, fn: () => unknown): void {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      fn();
      this.db.exec('COMMIT');
    } catch (e) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw writeError(e, this.dbPath, what);
    }
  }
}

export function bucketOf(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

/**
 * Per source: events and parse errors in hour buckets overlapping [fromMs, toMs), and the
 * newest event time ever recorded. Every source that ever reported is listed (a source
 * with no events in the window is exactly what the digest must show).
 */
export function readHealth(db: DatabaseSync, fromMs: number, toMs: number): SourceHealthRow[] {
  const rows = db
    .prepare(
      `SELECT source, max(kind) AS kind,
              coalesce(sum(CASE WHEN bucket_ms >= ?1 AND bucket_ms < ?2 THEN events END), 0) AS events,
              coalesce(sum(CASE WHEN bucket_ms >= ?1 AND bucket_ms < ?2 THEN parse_errors END), 0) AS parseErrors,
              max(CASE WHEN bucket_ms < ?2 THEN last_event_ms END) AS lastEventMs
       FROM source_health GROUP BY source ORDER BY source`,
    )
    .all(bucketOf(fromMs), toMs) as Array<{ source: string; kind: string; events: number; parseErrors: number; lastEventMs: number | null }>;
  return rows.map((r) => ({
    source: r.source,
    kind: r.kind,
    events: Number(r.events),
    parseErrors: Number(r.parseErrors),
    lastEventMs: r.lastEventMs === null ? null : Number(r.lastEventMs),
  }));
}
