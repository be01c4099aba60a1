// Issue 9: the outbox's flood bounds (services/state/outbox.ts, OVERFLOW_CODE): shed()
// caps a notification sink's backlog, relieve() caps the rows holding a body; neither
// ever loses an alert (shed alerts stay for the record sinks and the digest; relieve only
// drops bodies of alerts settled on every sink, and their tombstones still block a re-post).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../schemas/alert.js';
import { Config } from '../../schemas/config.js';
import { OVERFLOW_CODE } from '../../services/state/outbox.js';
import { StateStore } from '../../services/state/store.js';
import { composeDigest } from '../../services/router/digest/compose.js';
import { formatDigestText } from '../../services/router/digest/text.js';
import { makeAlert } from '../helpers/alerts.js';

const dirs: string[] = [];
const stores: StateStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

let now = Date.parse('2026-06-10T08:00:00Z');
function open(): StateStore {
  const dir = mkdtempSync(join(tmpdir(), 'tripline-bound-'));
  dirs.push(dir);
  const s = new StateStore({ stateDir: dir, now: () => now });
  s.open();
  stores.push(s);
  return s;
}

const alert = (i: number, severity: Alert['severity'] = 'warning') => makeAlert({ rule: 'S2', severity, key: `pve 11.0.${i >> 8}.${i & 255}`, ts: new Date(now - 60_000 + i).toISOString(), n: i });
const status = (s: StateStore, id: string, sink: string) =>
  s.read((db) => db.prepare('SELECT status, last_code AS code FROM deliveries WHERE alert_id = ? AND sink = ?').get(id, sink) as { status: string; code: string } | undefined);

describe('outbox flood bounds', () => {
  it('shed keeps the most severe, then the oldest, and settles the rest as overflow on that sink only', () => {
    const s = open();
    const alerts = Array.from({ length: 50 }, (_, i) => alert(i, i === 45 ? 'critical' : i % 10 === 0 ? 'info' : 'warning'));
    s.commit({ positions: {}, alerts });
    expect(s.outbox.shed('slack', 10)).toBe(40);
    expect(s.outbox.depth('slack')).toBe(10);
    expect(s.outbox.depth('file')).toBe(50); // record sinks keep everything
    const kept = alerts.filter((a) => status(s, a.id, 'slack') === undefined).map((a) => alerts.indexOf(a));
    expect(kept).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 45].sort((x, y) => x - y)); // the critical one, then the oldest warnings
    expect(status(s, alerts[49]!.id, 'slack')).toEqual({ status: 'skipped', code: OVERFLOW_CODE });
    expect(s.outbox.shed('slack', 10)).toBe(0); // idempotent
  });

  it('shed never touches a delivered alert, and a shed alert is never posted to that sink', () => {
    const s = open();
    const alerts = Array.from({ length: 5 }, (_, i) => alert(i));
    s.commit({ positions: {}, alerts });
    s.outbox.markDelivered(alerts[4]!.id, 'slack');
    expect(s.outbox.shed('slack', 1)).toBe(3);
    expect(status(s, alerts[4]!.id, 'slack')?.status).toBe('delivered');
    expect(s.outbox.pending('slack', 100, now).map((p) => p.alert.id)).toEqual([alerts[0]!.id]);
  });

  it('relieve drops bodies of alerts settled everywhere, oldest first, never an unsettled one; tombstones still block re-entry', () => {
    const s = open();
    const alerts = Array.from({ length: 30 }, (_, i) => alert(i));
    s.commit({ positions: {}, alerts });
    for (const a of alerts.slice(0, 20)) s.outbox.markDelivered(a.id, 'file');
    // 30 open, bound 5: only the 20 settled ones may go, and only down to the bound.
    expect(s.outbox.relieve(5, ['file'])).toEqual({ bodiesDropped: 20, idsForgotten: 0 });
    expect(s.outbox.openRows()).toBe(10);
    expect(s.outbox.pending('file', 100, now).map((p) => p.alert.id)).toEqual(alerts.slice(20).map((a) => a.id));
    expect(s.outbox.relieve(5, ['file'])).toEqual({ bodiesDropped: 0, idsForgotten: 0 }); // nothing settled is left to drop
    // A re-processed alert (same id) does not come back.
    expect(s.commit({ positions: {}, alerts: [alerts[0]!] })).toEqual({ inserted: 0, duplicates: 1 });
  });

  it('relieve forgets the oldest tombstones above maxRows, and the freed pages keep a sustained flood from growing the file', () => {
    const s = open();
    let i = 0;
    const sizes: number[] = [];
    for (let round = 0; round < 4; round++) {
      for (let b = 0; b < 10; b++) s.commit({ positions: {}, alerts: Array.from({ length: 500 }, () => alert(i++)) });
      for (const p of s.outbox.pending('file', 10_000, now)) s.outbox.markDelivered(p.alert.id, 'file');
      const r = s.outbox.relieve(1000, ['file'], 6000);
      expect(r.idsForgotten).toBe([0, 4000, 5000, 5000][round]);
      expect(s.outbox.stats(['file']).outboxRows).toBeLessThanOrEqual(6000);
      s.read((db) => db.exec('PRAGMA wal_checkpoint(TRUNCATE)'));
      sizes.push(s.outbox.stats(['file']).dbBytes);
    }
    // Rounds 3 and 4 fit in the pages rounds 1 and 2 freed.
    expect(sizes[3]!).toBeLessThanOrEqual(sizes[1]! * 1.1);
    // Unsettled alerts are never forgotten: a fresh one is still pending after all that.
    s.commit({ positions: {}, alerts: [alert(i)] });
    s.outbox.relieve(0, ['file'], 0);
    expect(s.outbox.pending('file', 10, now).map((p) => p.alert.id)).toEqual([alert(i).id]);
  });

  it('the digest lists shed alerts as not posted (TRIP_ROUTE_OVERFLOW ×n)', () => {
    const s = open();
    s.commit({ positions: {}, alerts: Array.from({ length: 25 }, (_, i) => alert(i)) });
    s.outbox.shed('slack', 5);
    const config = Config.parse({ sinks: { slack: { webhookUrl: 'https://webhook.example.invalid/services/T/B/X' } } });
    const { layout } = s.read((db) => composeDigest(db, { fromMs: now - 24 * 3_600_000, toMs: now + 1, config, silences: [] }));
    expect(formatDigestText(layout)).toMatch(/TRIP_ROUTE_OVERFLOW ×20/);
  });
});
