// issue 5: the 'skipped' delivery status (the router decided not to send an alert to a
// sink) and the in-place upgrade of state written before it existed.
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import type { StateStore } from '../../services/state/store.js';
import { alert, fakeClock, openStore, tempDirs } from '../fixtures/state/helpers.js';

const dirs = tempDirs();
const open: StateStore[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
  dirs.cleanup();
});
const DAY = 86_400_000;

describe("outbox 'skipped'", () => {
  it('settles the alert for that sink (not pending, not in depth, not delivered) and is prunable', () => {
    const clock = fakeClock(10 * DAY);
    const store = openStore({ stateDir: dirs.make(), now: clock.now });
    open.push(store);
    store.commit({ positions: {}, alerts: [alert('a'), alert('b')] });
    store.outbox.markSkipped('a', 'slack', 'TRIP_ROUTE_REPEAT');
    expect(store.outbox.pending('slack', 10, Number.MAX_SAFE_INTEGER).map((p) => p.alert.id)).toEqual(['b']);
    expect(store.outbox.depth('slack')).toBe(1);
    expect(store.outbox.wasDelivered('a', 'slack')).toBe(false);
    store.outbox.markDelivered('b', 'slack');
    store.outbox.markSkipped('b', 'slack', 'TRIP_ROUTE_REPEAT'); // never downgrades 'delivered'
    expect(store.outbox.wasDelivered('b', 'slack')).toBe(true);
    clock.ms += 2 * DAY;
    expect(store.outbox.prune(DAY, ['slack'])).toEqual({ bodiesDropped: 2, idsForgotten: 0 });
  });

  it("upgrades a deliveries table created without 'skipped', keeping its rows", () => {
    const dir = dirs.make();
    const clock = fakeClock(10 * DAY);
    let store = openStore({ stateDir: dir, now: clock.now });
    store.commit({ positions: {}, alerts: [alert('a'), alert('b')] });
    store.outbox.markDelivered('a', 'slack');
    store.close();
    // Rewrite the table as the pre-router schema had it.
    const db = new DatabaseSync(join(dir, 'state.db'));
    db.exec(`CREATE TABLE d0 AS SELECT * FROM deliveries; DROP TABLE deliveries;
      CREATE TABLE deliveries (alert_id TEXT NOT NULL REFERENCES outbox(id) ON DELETE CASCADE, sink TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('retry', 'delivered', 'dead')), attempts INTEGER NOT NULL, next_attempt_ms INTEGER,
        last_code TEXT, updated_ms INTEGER NOT NULL, PRIMARY KEY (alert_id, sink)) WITHOUT ROWID;
      INSERT INTO deliveries SELECT * FROM d0; DROP TABLE d0;`);
    db.close();
    store = openStore({ stateDir: dir, now: clock.now });
    open.push(store);
    expect(store.outbox.wasDelivered('a', 'slack')).toBe(true);
    store.outbox.markSkipped('b', 'slack', 'TRIP_ROUTE_SILENCED');
    expect(store.outbox.depth('slack')).toBe(0);
    const sql = store.read((d) => (d.prepare(`SELECT sql FROM sqlite_master WHERE name = 'deliveries'`).get() as { sql: string }).sql);
    expect(sql).toContain("'skipped'");
  });
});
