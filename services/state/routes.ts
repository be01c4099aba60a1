// The router's durable decisions (issue 5), in state.db next to the outbox they refer to.
//
// What it writes:
//   route_cursor        sink → the highest outbox seq the router has decided on for it.
//   route_decisions     one row per (alert id, sink): what the router decided:
//                         post      send it; `group_key` names the message it goes out in and
//                                   `ready_ms` when that message may be sent (groupWait)
//                         repeat    its fingerprint was posted less than repeatInterval before
//                                   (event time); `group_key` holds the id of that post
//                         silenced  a silence matched (`silence_id`)
//                         below     under the sink's minSeverity
//   route_fingerprints  (sink, fingerprint) → event time and id of its latest post: the
//                       repeat-interval lookup.
//
// Invariants:
// - One transaction per routed batch: decisions, fingerprint updates, the 'skipped' marks of
//   the outbox (outbox.ts) and the cursor move together, so a crash never leaves an alert
//   half-decided, and a restart neither re-decides nor loses one.
// - A group's members are fixed once its ready time passes (no alert joins a group whose
//   ready_ms <= now), so a message's content is the same after a restart.
// - Delivery order is (ready_ms, first seq): within one rule, and so within one fingerprint,
//   messages leave in the order their alerts were enqueued (event order as the engine emitted it).
// - All times come from the caller (injected clock); nothing here reads Date.now.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Alert } from '../../schemas/alert.js';
import type { Outbox } from './outbox.js';
import { writeError } from './recover.js';

export const ROUTES_SCHEMA = `
CREATE TABLE IF NOT EXISTS route_cursor (sink TEXT PRIMARY KEY, seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS route_decisions (
  alert_id TEXT NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
  sink TEXT NOT NULL,
  disposition TEXT NOT NULL CHECK (disposition IN ('post', 'repeat', 'silenced', 'below')),
  rule TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  group_key TEXT,
  ready_ms INTEGER,
  silence_id TEXT,
  decided_ms INTEGER NOT NULL,
  PRIMARY KEY (alert_id, sink)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS route_decisions_group ON route_decisions(sink, group_key);
CREATE INDEX IF NOT EXISTS route_decisions_rule ON route_decisions(sink, rule, ready_ms);
CREATE TABLE IF NOT EXISTS route_fingerprints (
  sink TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  posted_ts_ms INTEGER NOT NULL,
  posted_alert TEXT NOT NULL,
  updated_ms INTEGER NOT NULL,
  PRIMARY KEY (sink, fingerprint)
) WITHOUT ROWID;
`;

export type Disposition = 'post' | 'repeat' | 'silenced' | 'below';

/** Outbox code written with 'skipped' for each non-post disposition. */
export const SKIP_CODES: Record<Exclude<Disposition, 'post'>, string> = {
  repeat: 'TRIP_ROUTE_REPEAT',
  silenced: 'TRIP_ROUTE_SILENCED',
  below: 'TRIP_ROUTE_BELOW_SEVERITY',
};

export interface Decision {
  alert: Alert;
  fingerprint: string;
  disposition: Disposition;
  /** post: the message; repeat: the id of the post it repeats. */
  groupKey?: string;
  readyMs?: number;
  silenceId?: string;
  /** post with dedup on: the post (event time, id) holding the fingerprint's repeat window. */
  postedTsMs?: number;
  postedId?: string;
}

export interface Unrouted {
  seq: number;
  alert: Alert;
}

export interface HeadGroup {
  groupKey: string;
  readyMs: number;
  /** Earliest next attempt of a failed member (retry), or null when never tried. */
  nextAttemptMs: number | null;
  attempts: number;
}

export interface OpenGroup {
  groupKey: string;
  readyMs: number;
  size: number;
}

export class RouteStore {
  private readonly s: Record<string, StatementSync>;
  /** issue 9: per sink, a seq below which every post is settled (only ever rises). */
  private readonly lowWater = new Map<string, number>();

  constructor(
    private readonly db: DatabaseSync,
    private readonly dbPath: string,
    private readonly outbox: Outbox,
  ) {
    this.s = {
      cursor: db.prepare('SELECT seq FROM route_cursor WHERE sink = ?'),
      setCursor: db.prepare(`INSERT INTO route_cursor (sink, seq) VALUES (?, ?) ON CONFLICT (sink) DO UPDATE SET seq = max(seq, excluded.seq)`),
      maxSeq: db.prepare('SELECT coalesce(max(seq), 0) AS n FROM outbox'),
      hasDeliveries: db.prepare('SELECT 1 AS y FROM deliveries WHERE sink = ? LIMIT 1'),
      untouched: db.prepare(
        `SELECT o.id AS id FROM outbox o WHERE o.state = 'open' AND o.seq <= ?
           AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.alert_id = o.id AND d.sink = ?)`,
      ),
      unrouted: db.prepare(
        `SELECT o.seq AS seq, o.alert_json AS json FROM outbox o
         WHERE o.state = 'open' AND o.seq > ?
           AND NOT EXISTS (SELECT 1 FROM route_decisions r WHERE r.alert_id = o.id AND r.sink = ?)
         ORDER BY o.seq LIMIT ?`,
      ),
      insert: db.prepare(
        `INSERT OR IGNORE INTO route_decisions (alert_id, sink, disposition, rule, fingerprint, group_key, ready_ms, silence_id, decided_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      lastPost: db.prepare('SELECT posted_ts_ms AS tsMs, posted_alert AS id FROM route_fingerprints WHERE sink = ? AND fingerprint = ?'),
      setPost: db.prepare(
        `INSERT INTO route_fingerprints (sink, fingerprint, posted_ts_ms, posted_alert, updated_ms) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (sink, fingerprint) DO UPDATE SET posted_ts_ms = excluded.posted_ts_ms,
           posted_alert = excluded.posted_alert, updated_ms = excluded.updated_ms`,
      ),
      openGroup: db.prepare(
        `SELECT group_key AS groupKey, max(ready_ms) AS readyMs, count(*) AS size FROM route_decisions
         WHERE sink = ? AND rule = ? AND disposition = 'post' AND ready_ms > ?
         GROUP BY group_key ORDER BY readyMs DESC LIMIT 1`,
      ),
      // issue 9: the head in two cheap steps instead of one GROUP BY over every post ever
      // decided for the sink (see head()). CROSS JOIN keeps outbox (seq order, from the
      // low-water mark) as the outer loop, so the scan stops at the first unsettled post.
      firstPending: db.prepare(
        `SELECT o.seq AS seq, r.group_key AS groupKey
         FROM outbox o CROSS JOIN route_decisions r ON r.alert_id = o.id AND r.sink = ?1
         LEFT JOIN deliveries d ON d.alert_id = o.id AND d.sink = ?1
         WHERE o.seq >= ?2 AND o.state = 'open' AND r.disposition = 'post' AND (d.status IS NULL OR d.status = 'retry')
         ORDER BY o.seq LIMIT 1`,
      ),
      headGroup: db.prepare(
        `SELECT max(r.ready_ms) AS readyMs, max(d.next_attempt_ms) AS nextAttemptMs, coalesce(max(d.attempts), 0) AS attempts
         FROM route_decisions r JOIN outbox o ON o.id = r.alert_id
         LEFT JOIN deliveries d ON d.alert_id = r.alert_id AND d.sink = r.sink
         WHERE r.sink = ? AND r.group_key = ? AND r.disposition = 'post' AND o.state = 'open' AND (d.status IS NULL OR d.status = 'retry')`,
      ),
      recent: db.prepare(
        `SELECT o.fingerprint AS fp, o.alert_json AS json FROM deliveries d JOIN outbox o ON o.id = d.alert_id
         WHERE d.sink = ? AND d.status = 'delivered' AND d.updated_ms > ? AND o.state = 'open'
         ORDER BY o.seq`,
      ),
      members: db.prepare(
        `SELECT o.alert_json AS json, o.id AS id FROM route_decisions r JOIN outbox o ON o.id = r.alert_id
         LEFT JOIN deliveries d ON d.alert_id = r.alert_id AND d.sink = r.sink
         WHERE r.sink = ? AND r.group_key = ? AND r.disposition = 'post' AND o.state = 'open'
           AND (d.status IS NULL OR d.status = 'retry')
         ORDER BY o.seq`,
      ),
    };
  }

  /**
   * Prepares `sink` for routing and returns its cursor. A sink seen for the first time on a
   * state that already holds alerts starts after them (a Slack webhook added today must not
   * receive last week's alerts): those are settled for it as skipped, TRIP_ROUTE_BEFORE_SINK.
   * A sink that has delivery rows but no cursor (state of the pre-router deliverer) routes
   * everything still open.
   */
  initSink(sink: string): number {
    const row = this.s.cursor!.get(sink) as { seq: number } | undefined;
    if (row) return Number(row.seq);
    return this.tx(`initialising routing for sink ${sink}`, () => {
      const fresh = this.s.hasDeliveries!.get(sink) === undefined;
      const start = fresh ? Number((this.s.maxSeq!.get() as { n: number }).n) : 0;
      if (fresh) {
        for (const r of this.s.untouched!.all(start, sink) as Array<{ id: string }>) this.outbox.markSkipped(r.id, sink, 'TRIP_ROUTE_BEFORE_SINK');
      }
      this.s.setCursor!.run(sink, start);
      return start;
    });
  }

  /**
   * Open alerts after the cursor with no decision for `sink`, in enqueue order, and the
   * last seq looked at (the cursor may move past an unreadable row).
   */
  unrouted(sink: string, limit: number): { alerts: Unrouted[]; lastSeq: number; cursor: number } {
    const cursor = (this.s.cursor!.get(sink) as { seq: number } | undefined)?.seq ?? 0;
    const alerts: Unrouted[] = [];
    let lastSeq = Number(cursor);
    for (const r of this.s.unrouted!.all(cursor, sink, limit) as Array<{ seq: number; json: string }>) {
      lastSeq = Number(r.seq);
      try {
        alerts.push({ seq: lastSeq, alert: JSON.parse(r.json) as Alert });
      } catch {
        // an unreadable row cannot be routed; outbox.pending/members mark it dead where read
      }
    }
    return { alerts, lastSeq, cursor: Number(cursor) };
  }

  lastPost(sink: string, fingerprint: string): { tsMs: number; id: string } | undefined {
    const r = this.s.lastPost!.get(sink, fingerprint) as { tsMs: number; id: string } | undefined;
    return r ? { tsMs: Number(r.tsMs), id: r.id } : undefined;
  }

  /** The newest group of `rule` on `sink` still accepting members (ready_ms > now). */
  openGroup(sink: string, rule: string, nowMs: number): OpenGroup | undefined {
    const r = this.s.openGroup!.get(sink, rule, nowMs) as { groupKey: string; readyMs: number; size: number } | undefined;
    return r ? { groupKey: r.groupKey, readyMs: Number(r.readyMs), size: Number(r.size) } : undefined;
  }

  /** Records decisions, skip marks and the cursor in one transaction. */
  record(sink: string, decisions: readonly Decision[], upToSeq: number, nowMs: number): void {
    this.tx(`recording ${decisions.length} routing decision(s) for ${sink}`, () => {
      for (const d of decisions) {
        const a = d.alert;
        this.s.insert!.run(a.id, sink, d.disposition, a.rule, d.fingerprint, d.groupKey ?? null, d.readyMs ?? null, d.silenceId ?? null, nowMs);
        if (d.disposition !== 'post') this.outbox.markSkipped(a.id, sink, SKIP_CODES[d.disposition]);
        if (d.postedTsMs !== undefined) this.s.setPost!.run(sink, d.fingerprint, d.postedTsMs, d.postedId ?? a.id, nowMs);
      }
      this.s.setCursor!.run(sink, upToSeq);
    });
  }

  /**
   * The next message to send on `sink`: the unsettled group first in (ready, seq) order.
   *
   * issue 9 (hardening): this was one GROUP BY over every post decision of the sink, settled
   * ones included, for each message: with a 20,000-alert backlog 186 ms, with 100,000 about
   * a second of blocked event loop per Slack message, so a flood starved the pipeline.
   * Now: the group of the oldest unsettled post (outbox seq order, scanned from a per-sink
   * low-water mark, so amortized O(1)), then that group's own members. A group's ready time
   * is fixed when it opens (now + groupWait) and groups open in enqueue order, so the group
   * holding the oldest unsettled post is the one first in (ready, seq) order: the same head
   * as before. (Only if a member was settled alone, as a flood shed can, may a younger
   * group wait behind it for up to groupWait; nothing is skipped or sent twice.)
   */
  head(sink: string): HeadGroup | undefined {
    const first = this.s.firstPending!.get(sink, this.lowWater.get(sink) ?? 0) as { seq: number; groupKey: string } | undefined;
    if (!first) return undefined;
    this.lowWater.set(sink, Number(first.seq));
    const r = this.s.headGroup!.get(sink, first.groupKey) as { readyMs: number; nextAttemptMs: number | null; attempts: number };
    return { groupKey: first.groupKey, readyMs: Number(r.readyMs), nextAttemptMs: r.nextAttemptMs === null ? null : Number(r.nextAttemptMs), attempts: Number(r.attempts) };
  }

  /** The unsettled alerts of one message, in enqueue order. */
  members(sink: string, groupKey: string): Alert[] {
    const out: Alert[] = [];
    for (const r of this.s.members!.all(sink, groupKey) as Array<{ json: string; id: string }>) {
      try {
        out.push(JSON.parse(r.json) as Alert);
      } catch {
        this.outbox.markFailed(r.id, sink, { permanent: true, code: 'TRIP_STATE_BAD_ROW' });
      }
    }
    return out;
  }

  /** The newest alert of each fingerprint delivered to `sink` after `sinceMs` (Alertmanager re-sends). */
  recentlyDelivered(sink: string, sinceMs: number): Alert[] {
    const latest = new Map<string, Alert>();
    for (const r of this.s.recent!.all(sink, sinceMs) as Array<{ fp: string; json: string }>) {
      try {
        latest.set(r.fp, JSON.parse(r.json) as Alert);
      } catch {
        // unreadable rows are dead-lettered where they are delivered
      }
    }
    return [...latest.values()];
  }

  /** Settles every member of a sent (or failed) message at once. */
  settle(ids: readonly string[], sink: string, outcome: { ok: true } | { ok: false; permanent: boolean; nextAttemptMs?: number; code: string }): void {
    this.tx(`recording the delivery of ${ids.length} alert(s) to ${sink}`, () => {
      for (const id of ids) {
        if (outcome.ok) this.outbox.markDelivered(id, sink);
        else this.outbox.markFailed(id, sink, { permanent: outcome.permanent, nextAttemptMs: outcome.nextAttemptMs, code: outcome.code });
      }
    });
  }

  private tx<T>(what: string, fn: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const out = fn();
      this.db.exec('COMMIT');
      return out;
    } catch (e) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw writeError(e, this.dbPath, what);
    }
  }
}
