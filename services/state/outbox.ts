// The durable outbox and the delivered-id log: what the router (issue 5) reads and marks.
//
// What it writes (tables `outbox` and `deliveries` in state.db, created by store.ts):
// - outbox: one row per alert id, inserted by StateStore.commit in the same transaction as
//   the positions that produced it (INSERT OR IGNORE: the deterministic id is the
//   idempotency key, so re-processing lines after a crash adds nothing). `seq` is the
//   enqueue order. `state` is 'open' while the alert JSON is kept, 'pruned' once prune()
//   dropped the body: the row then survives only as a tombstone of its id.
// - deliveries: one row per (alert id, sink) once the router reported on it: 'retry'
//   (transient failure, with next_attempt_ms), 'delivered', 'dead' (permanent failure) or
//   'skipped' (issue 5: the router decided not to send it to this sink: a repeat, silenced,
//   below the sink's minSeverity, or raised before the sink was configured; last_code says
//   which, TRIP_ROUTE_*), attempts, last error code. No row means "never tried" (pending now).
//   State written before 'skipped' existed is upgraded in place at open (upgradeDeliveries).
//
// Invariants:
// - An alert id is posted at most once per sink across restarts: wasDelivered/pending read
//   the deliveries row, and the id tombstone keeps a re-created alert from re-entering the
//   outbox for `idLogRetentionMs` (default 14 days) after it was enqueued.
// - 'delivered' is final: a late markFailed never downgrades it.
// - All times are epoch ms from the injected clock or the caller; nothing reads Date.now.
//
// Retention (prune): bodies of alerts settled (delivered, dead or skipped) for *every* configured
// sink are dropped after `olderThanMs`; an unsettled alert keeps its body however old (the
// router's retry policy ends it with 'dead'). Tombstones and their deliveries rows go after
// max(olderThanMs, idLogRetentionMs). Why 14 days: a re-created alert id needs a tombstone
// for as long as its source lines can be read again: normally only the lines since the
// last engine checkpoint (minutes), but lost positions with `startAt: beginning` re-read
// whole files, and rotated logs are commonly kept for 7 days; 14 covers that twice.
//
// Cost: pending() walks open rows in seq order through a partial index; open rows are the
// alerts of the last `olderThanMs` (tripline raises a few alerts, not thousands, per hour).
import { statSync } from 'node:fs';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Alert } from '../../schemas/alert.js';
import { SQLITE, sqliteCode, writeError } from './recover.js';

export const OUTBOX_SCHEMA = `
CREATE TABLE IF NOT EXISTS outbox (
  id TEXT PRIMARY KEY,
  rule TEXT NOT NULL,
  severity TEXT NOT NULL,
  ts TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  alert_json TEXT,
  seq INTEGER NOT NULL UNIQUE,
  enqueued_ms INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('open', 'pruned'))
);
CREATE INDEX IF NOT EXISTS outbox_open ON outbox(seq) WHERE state = 'open';
CREATE INDEX IF NOT EXISTS outbox_fingerprint ON outbox(fingerprint, seq);
CREATE TABLE IF NOT EXISTS deliveries (
  alert_id TEXT NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
  sink TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('retry', 'delivered', 'dead', 'skipped')),
  attempts INTEGER NOT NULL,
  next_attempt_ms INTEGER,
  last_code TEXT,
  updated_ms INTEGER NOT NULL,
  PRIMARY KEY (alert_id, sink)
) WITHOUT ROWID;
`;

export const DEFAULT_ID_LOG_RETENTION_MS = 14 * 24 * 3600 * 1000;

// issue 9 (hardening): flood bounds. A flood (100,000 alerts in a minute) must neither
// queue hours of Slack messages nor grow state.db without end, and must lose nothing.
// - shed(): a notification sink (Slack: 1 message a second, 10 alerts a message) keeps
//   at most `maxPending` unsettled alerts, the most severe and then the oldest; the rest
//   are settled for THAT sink as 'skipped' with OVERFLOW_CODE. They stay in the outbox,
//   record sinks (file, stdout, Loki, Alertmanager) still get every one, and the digest
//   lists them as not posted (TRIP_ROUTE_OVERFLOW ×n).
// - relieve(): when more than `maxOpenRows` rows hold a body, the bodies of the oldest
//   alerts settled on every sink are dropped early; an unsettled alert is never touched.
//   The digest no longer sees the dropped bodies. A body-less row (id, rule, seq, its
//   deliveries and routing decisions) still costs ~0.7 KB, and SQLite frees a page only
//   when it empties, so when more than `maxRows` rows remain, the oldest tombstones are
//   forgotten early too (as prune() does after idLogRetentionMs), freeing whole pages
//   that later inserts reuse: a sustained flood stops growing the file. The price, only
//   under such pressure: an alert whose tombstone was forgotten would be accepted again
//   if its lines were re-read (lost positions with startAt: beginning), as after 14 days.
// Both are counted (tripline_outbox_shed_total, tripline_outbox_pressure_pruned_total) and
// the size is exposed (tripline_outbox_open_rows, tripline_outbox_depth, tripline_state_bytes).
export const OVERFLOW_CODE = 'TRIP_ROUTE_OVERFLOW';
/** Unsettled alerts a notification sink may hold (Slack: ~100 messages, under two minutes). */
export const DEFAULT_MAX_PENDING = 1000;
/** Rows holding an alert body before settled bodies are dropped early. */
export const DEFAULT_MAX_OPEN_ROWS = 100_000;
/** Rows of any kind (bodies and tombstones) before the oldest tombstones are forgotten early. */
export const DEFAULT_MAX_ROWS = 500_000;

const SHED_SQL = `
SELECT o.id AS id FROM outbox o LEFT JOIN deliveries d ON d.alert_id = o.id AND d.sink = ?1
WHERE o.state = 'open' AND (d.status IS NULL OR d.status = 'retry')
ORDER BY CASE o.severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, o.seq
LIMIT -1 OFFSET ?2`;

/**
 * issue 5: widens the deliveries CHECK of a database created before 'skipped' existed.
 * SQLite cannot alter a CHECK, so the table is rebuilt (copy, drop, rename) in one
 * transaction. The change only widens what is accepted, so the schema version stays 1:
 * an older tripline still reads this table correctly ('skipped' is simply settled to it).
 */
export function upgradeDeliveries(db: DatabaseSync): boolean {
  const row = db.prepare(`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'deliveries'`).get() as { sql: string } | undefined;
  if (!row || row.sql.includes("'skipped'")) return false;
  const create = OUTBOX_SCHEMA.slice(OUTBOX_SCHEMA.indexOf('CREATE TABLE IF NOT EXISTS deliveries')).replace('IF NOT EXISTS deliveries', 'deliveries_v2');
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec(create);
    db.exec('INSERT INTO deliveries_v2 SELECT alert_id, sink, status, attempts, next_attempt_ms, last_code, updated_ms FROM deliveries');
    db.exec('DROP TABLE deliveries');
    db.exec('ALTER TABLE deliveries_v2 RENAME TO deliveries');
    db.exec('COMMIT');
  } catch (e) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw e;
  }
  return true;
}

/** The router's dedup key of an alert: rule and key, separated by a character neither contains. */
export function fingerprintOf(alert: Pick<Alert, 'rule' | 'key'>): string {
  return `${alert.rule}\u001f${alert.key}`;
}

export interface PendingDelivery {
  seq: number;
  alert: Alert;
  /** Attempts already made for this sink (0 = never tried). */
  attempts: number;
  lastCode: string | null;
}

export interface FailureInfo {
  /** true: never retry this alert on this sink ('dead'). */
  permanent: boolean;
  /** Epoch ms of the next attempt (transient failures); omitted means "as soon as possible". */
  nextAttemptMs?: number;
  /** Stable error code, e.g. TRIP_SINK_SLACK_429. */
  code: string;
}

export interface OutboxStats {
  /** All outbox rows, tombstones included. */
  outboxRows: number;
  /** Rows that still hold the alert JSON. */
  openRows: number;
  /** Alerts not yet delivered or dead, per sink. */
  pending: Record<string, number>;
  /** state.db plus its WAL on disk, in bytes. */
  dbBytes: number;
}

export interface PruneResult {
  bodiesDropped: number;
  idsForgotten: number;
}

const PENDING_SQL = `
SELECT o.seq AS seq, o.id AS id, o.alert_json AS json, coalesce(d.attempts, 0) AS attempts, d.last_code AS lastCode
FROM outbox o LEFT JOIN deliveries d ON d.alert_id = o.id AND d.sink = ?
WHERE o.state = 'open' AND (d.status IS NULL OR (d.status = 'retry' AND d.next_attempt_ms <= ?))
ORDER BY o.seq LIMIT ?`;

const DEPTH_SQL = `
SELECT count(*) AS n FROM outbox o LEFT JOIN deliveries d ON d.alert_id = o.id AND d.sink = ?
WHERE o.state = 'open' AND (d.status IS NULL OR d.status = 'retry')`;

export class Outbox {
  private readonly insertStmt: StatementSync;
  private readonly pendingStmt: StatementSync;
  private readonly deliveredStmt: StatementSync;
  private readonly failedStmt: StatementSync;
  private readonly skippedStmt: StatementSync;
  private readonly depthStmt: StatementSync;
  private readonly wasDeliveredStmt: StatementSync;
  private readonly dropBodiesStmt: StatementSync;
  private readonly forgetStmt: StatementSync;
  private readonly shedStmt: StatementSync;
  private readonly openRowsStmt: StatementSync;
  private readonly relieveStmt: StatementSync;
  private readonly rowsStmt: StatementSync;
  private readonly forgetOldestStmt: StatementSync;

  constructor(
    private readonly db: DatabaseSync,
    private readonly dbPath: string,
    private readonly now: () => number,
    private readonly idLogRetentionMs: number = DEFAULT_ID_LOG_RETENTION_MS,
  ) {
    this.insertStmt = db.prepare(
      `INSERT OR IGNORE INTO outbox (id, rule, severity, ts, fingerprint, alert_json, seq, enqueued_ms, state)
       VALUES (?, ?, ?, ?, ?, ?, (SELECT coalesce(max(seq), 0) + 1 FROM outbox), ?, 'open')`,
    );
    this.pendingStmt = db.prepare(PENDING_SQL);
    this.deliveredStmt = db.prepare(
      `INSERT INTO deliveries (alert_id, sink, status, attempts, next_attempt_ms, last_code, updated_ms)
       VALUES (?, ?, 'delivered', 1, NULL, NULL, ?)
       ON CONFLICT (alert_id, sink) DO UPDATE SET status = 'delivered', attempts = attempts + 1,
         next_attempt_ms = NULL, updated_ms = excluded.updated_ms
       WHERE status <> 'delivered'`,
    );
    this.failedStmt = db.prepare(
      `INSERT INTO deliveries (alert_id, sink, status, attempts, next_attempt_ms, last_code, updated_ms)
       VALUES (?1, ?2, ?3, 1, ?4, ?5, ?6)
       ON CONFLICT (alert_id, sink) DO UPDATE SET status = ?3, attempts = attempts + 1,
         next_attempt_ms = ?4, last_code = ?5, updated_ms = ?6
       WHERE status <> 'delivered'`,
    );
    this.skippedStmt = db.prepare(
      `INSERT INTO deliveries (alert_id, sink, status, attempts, next_attempt_ms, last_code, updated_ms)
       VALUES (?1, ?2, 'skipped', 0, NULL, ?3, ?4)
       ON CONFLICT (alert_id, sink) DO UPDATE SET status = 'skipped', next_attempt_ms = NULL, last_code = ?3, updated_ms = ?4
       WHERE status <> 'delivered'`,
    );
    this.depthStmt = db.prepare(DEPTH_SQL);
    this.wasDeliveredStmt = db.prepare(`SELECT 1 AS y FROM deliveries WHERE alert_id = ? AND sink = ? AND status = 'delivered'`);
    this.dropBodiesStmt = db.prepare(
      `UPDATE outbox SET alert_json = NULL, state = 'pruned'
       WHERE state = 'open' AND enqueued_ms < ?1
         AND (SELECT count(*) FROM deliveries d
              WHERE d.alert_id = outbox.id AND d.status IN ('delivered', 'dead', 'skipped')
                AND d.sink IN (SELECT value FROM json_each(?2))) = json_array_length(?2)`,
    );
    this.forgetStmt = db.prepare(`DELETE FROM outbox WHERE state = 'pruned' AND enqueued_ms < ?`);
    // issue 9: flood bounds (see OVERFLOW_CODE).
    this.shedStmt = db.prepare(SHED_SQL);
    this.openRowsStmt = db.prepare(`SELECT count(*) AS n FROM outbox WHERE state = 'open'`);
    this.relieveStmt = db.prepare(
      `UPDATE outbox SET alert_json = NULL, state = 'pruned'
       WHERE id IN (
         SELECT o.id FROM outbox o
         WHERE o.state = 'open'
           AND (SELECT count(*) FROM deliveries d
                WHERE d.alert_id = o.id AND d.status IN ('delivered', 'dead', 'skipped')
                  AND d.sink IN (SELECT value FROM json_each(?2))) = json_array_length(?2)
         ORDER BY o.seq LIMIT ?1)`,
    );
    this.rowsStmt = db.prepare('SELECT count(*) AS n FROM outbox');
    this.forgetOldestStmt = db.prepare(`DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE state = 'pruned' ORDER BY seq LIMIT ?)`);
  }

  /**
   * issue 9: keeps at most `maxPending` unsettled alerts on `sink` (most severe first, then
   * oldest) and settles the rest there as 'skipped' with OVERFLOW_CODE. Returns how many.
   */
  shed(sink: string, maxPending: number): number {
    if (this.depth(sink) <= maxPending) return 0;
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const rows = this.shedStmt.all(sink, maxPending) as Array<{ id: string }>;
      const now = this.now();
      for (const r of rows) this.skippedStmt.run(r.id, sink, OVERFLOW_CODE, now);
      this.db.exec('COMMIT');
      return rows.length;
    } catch (e) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw writeError(e, this.dbPath, `shedding the overflow of sink ${sink}`);
    }
  }

  /** issue 9: rows that still hold an alert body. */
  openRows(): number {
    return Number((this.openRowsStmt.get() as { n: number }).n);
  }

  /**
   * issue 9: above `maxOpenRows` bodies, drops the bodies of the oldest alerts settled on
   * every sink in `sinks` (never an unsettled one), down to the bound; then, above
   * `maxRows` rows, forgets the oldest tombstones down to it (see the header).
   */
  relieve(maxOpenRows: number, sinks: readonly string[], maxRows: number = DEFAULT_MAX_ROWS): PruneResult {
    const excess = this.openRows() - maxOpenRows;
    const rows = Number((this.rowsStmt.get() as { n: number }).n);
    if (excess <= 0 && rows <= maxRows) return { bodiesDropped: 0, idsForgotten: 0 };
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const bodiesDropped = excess > 0 ? Number(this.relieveStmt.run(excess, JSON.stringify(sinks)).changes) : 0;
      const idsForgotten = rows > maxRows ? Number(this.forgetOldestStmt.run(rows - maxRows).changes) : 0;
      this.db.exec('COMMIT');
      return { bodiesDropped, idsForgotten };
    } catch (e) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw writeError(e, this.dbPath, 'relieving the outbox');
    }
  }

  /** Inserts one alert unless its id is known (open or tombstone); true if it was new. Call inside a transaction. */
  insert(alert: Alert, alertJson: string, enqueuedMs: number): boolean {
    const r = this.insertStmt.run(alert.id, alert.rule, alert.severity, alert.ts, fingerprintOf(alert), alertJson, enqueuedMs);
    return Number(r.changes) === 1;
  }

  /**
   * Up to `limit` alerts to attempt on `sink` now: never tried, or failed transiently with
   * next attempt time <= nowMs; in enqueue order. A row whose JSON no longer parses is marked
   * dead for this sink with code TRIP_STATE_BAD_ROW and skipped.
   */
  pending(sink: string, limit: number, nowMs: number): PendingDelivery[] {
    const out: PendingDelivery[] = [];
    const rows = this.pendingStmt.all(sink, nowMs, limit) as Array<{ seq: number; id: string; json: string; attempts: number; lastCode: string | null }>;
    for (const row of rows) {
      try {
        out.push({ seq: row.seq, alert: JSON.parse(row.json) as Alert, attempts: row.attempts, lastCode: row.lastCode });
      } catch {
        this.markFailed(row.id, sink, { permanent: true, code: 'TRIP_STATE_BAD_ROW' });
      }
    }
    return out;
  }

  /** Records a successful post. Idempotent. */
  markDelivered(id: string, sink: string): void {
    this.write(id, () => this.deliveredStmt.run(id, sink, this.now()));
  }

  /** Records a failed post: 'dead' if permanent, else 'retry' at `nextAttemptMs`. Never downgrades 'delivered'. */
  markFailed(id: string, sink: string, failure: FailureInfo): void {
    const status = failure.permanent ? 'dead' : 'retry';
    const next = failure.permanent ? null : (failure.nextAttemptMs ?? this.now());
    this.write(id, () => this.failedStmt.run(id, sink, status, next, failure.code, this.now()));
  }

  /**
   * issue 5: the router decided not to send this alert to `sink` (code TRIP_ROUTE_*): it
   * is settled there (never pending, prunable) without counting as a post. Never
   * downgrades 'delivered'.
   */
  markSkipped(id: string, sink: string, code: string): void {
    this.write(id, () => this.skippedStmt.run(id, sink, code, this.now()));
  }

  /** Alerts not yet delivered or dead on `sink`, whatever their next attempt time. */
  depth(sink: string): number {
    return Number((this.depthStmt.get(sink) as { n: number }).n);
  }

  wasDelivered(id: string, sink: string): boolean {
    return this.wasDeliveredStmt.get(id, sink) !== undefined;
  }

  /**
   * Drops the JSON of alerts enqueued more than `olderThanMs` ago and settled on every sink
   * in `sinks`; forgets ids (tombstones and delivery rows) older than
   * max(olderThanMs, idLogRetentionMs). See the header for why.
   */
  prune(olderThanMs: number, sinks: readonly string[]): PruneResult {
    const now = this.now();
    const bodyCutoff = now - olderThanMs;
    const idCutoff = now - Math.max(olderThanMs, this.idLogRetentionMs);
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const dropped = this.dropBodiesStmt.run(bodyCutoff, JSON.stringify(sinks));
      const forgotten = this.forgetStmt.run(idCutoff);
      this.db.exec('COMMIT');
      return { bodiesDropped: Number(dropped.changes), idsForgotten: Number(forgotten.changes) };
    } catch (e) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw writeError(e, this.dbPath, 'pruning the outbox');
    }
  }

  stats(sinks: readonly string[]): OutboxStats {
    const counts = this.db
      .prepare(`SELECT count(*) AS total, coalesce(sum(state = 'open'), 0) AS open FROM outbox`)
      .get() as { total: number; open: number };
    const pending: Record<string, number> = {};
    for (const sink of sinks) pending[sink] = this.depth(sink);
    let dbBytes = 0;
    for (const file of [this.dbPath, `${this.dbPath}-wal`]) {
      try {
        dbBytes += statSync(file).size;
      } catch {
        // no WAL file right now
      }
    }
    return { outboxRows: Number(counts.total), openRows: Number(counts.open), pending, dbBytes };
  }

  private write(id: string, run: () => unknown): void {
    try {
      run();
    } catch (e) {
      if (sqliteCode(e) === SQLITE.CONSTRAINT) {
        throw new Error(`outbox: no alert with id ${JSON.stringify(id)} (never enqueued, or forgotten by prune)`, { cause: e });
      }
      throw writeError(e, this.dbPath, `recording a delivery of alert ${id}`);
    }
  }
}
