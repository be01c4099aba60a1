import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { fingerprintOf } from '../../services/state/outbox.js';
import type { StateStore } from '../../services/state/store.js';
import { alert, fakeClock, openStore, tempDirs } from '../fixtures/state/helpers.js';

const dirs = tempDirs();
const open: StateStore[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
  dirs.cleanup();
});
const DAY = 24 * 3600 * 1000;

function setup(ids: string[], opts: { idLogRetentionMs?: number } = {}) {
  const clock = fakeClock(10 * DAY);
  const dir = dirs.make();
  const store = openStore({ stateDir: dir, now: clock.now, ...opts });
  open.push(store);
  store.commit({ positions: { a: { offset: 1 } }, alerts: ids.map((id) => alert(id)) });
  return { store, box: store.outbox, clock, dir };
}
const ids = (list: { alert: { id: string } }[]) => list.map((p) => p.alert.id);

describe('outbox pending and marks', () => {
  it('returns never-tried alerts in enqueue order across commits, up to the limit', () => {
    const { store, box } = setup(['c', 'a']);
    store.commit({ positions: {}, alerts: [alert('b')] });
    expect(ids(box.pending('slack', 10, 0))).toEqual(['c', 'a', 'b']);
    expect(box.pending('slack', 2, 0).map((p) => [p.seq, p.alert.id, p.attempts, p.lastCode])).toEqual([
      [1, 'c', 0, null],
      [2, 'a', 0, null],
    ]);
    expect(box.depth('slack')).toBe(3);
  });

  it('markDelivered removes the alert for that sink only and is idempotent', () => {
    const { box } = setup(['a', 'b']);
    box.markDelivered('a', 'slack');
    box.markDelivered('a', 'slack');
    expect(ids(box.pending('slack', 10, 0))).toEqual(['b']);
    expect(ids(box.pending('loki', 10, 0))).toEqual(['a', 'b']);
    expect(box.wasDelivered('a', 'slack')).toBe(true);
    expect(box.wasDelivered('a', 'loki')).toBe(false);
    expect(box.wasDelivered('b', 'slack')).toBe(false);
    expect([box.depth('slack'), box.depth('loki')]).toEqual([1, 2]);
  });

  it('a transient failure waits until its next attempt time and counts attempts', () => {
    const { box, clock } = setup(['a', 'b']);
    const t = clock.ms;
    box.markFailed('a', 'slack', { permanent: false, nextAttemptMs: t + 30_000, code: 'TRIP_SINK_SLACK_429' });
    expect(ids(box.pending('slack', 10, t))).toEqual(['b']);
    expect(ids(box.pending('slack', 10, t + 29_999))).toEqual(['b']);
    expect(box.pending('slack', 10, t + 30_000).map((p) => [p.alert.id, p.attempts, p.lastCode])).toEqual([
      ['a', 1, 'TRIP_SINK_SLACK_429'],
      ['b', 0, null],
    ]);
    expect(box.depth('slack')).toBe(2); // waiting alerts still count as depth
    box.markFailed('a', 'slack', { permanent: false, nextAttemptMs: t + 90_000, code: 'TRIP_SINK_SLACK_5XX' });
    expect(box.pending('slack', 10, t + 90_000)[0]).toMatchObject({ attempts: 2, lastCode: 'TRIP_SINK_SLACK_5XX' });
  });

  it('a transient failure without a next attempt time is retried at the store clock', () => {
    const { box, clock } = setup(['a']);
    box.markFailed('a', 'slack', { permanent: false, code: 'E' });
    expect(ids(box.pending('slack', 10, clock.ms - 1))).toEqual([]);
    expect(ids(box.pending('slack', 10, clock.ms))).toEqual(['a']);
  });

  it('a permanent failure is dead: never pending, not delivered, not in depth', () => {
    const { box } = setup(['a', 'b']);
    box.markFailed('a', 'slack', { permanent: true, code: 'TRIP_SINK_SLACK_400' });
    expect(ids(box.pending('slack', 10, Number.MAX_SAFE_INTEGER))).toEqual(['b']);
    expect(box.wasDelivered('a', 'slack')).toBe(false);
    expect(box.depth('slack')).toBe(1);
  });

  it('delivered is final: a late failure report does not downgrade it', () => {
    const { box } = setup(['a']);
    box.markDelivered('a', 'slack');
    box.markFailed('a', 'slack', { permanent: false, nextAttemptMs: 0, code: 'LATE' });
    box.markFailed('a', 'slack', { permanent: true, code: 'LATE' });
    expect(box.wasDelivered('a', 'slack')).toBe(true);
    expect(box.pending('slack', 10, Number.MAX_SAFE_INTEGER)).toEqual([]);
  });

  it('a marked delivery survives a restart', () => {
    const { store, box, dir } = setup(['a', 'b']);
    box.markDelivered('a', 'slack');
    box.markFailed('b', 'slack', { permanent: false, nextAttemptMs: 500, code: 'E' });
    store.close();
    open.splice(0);
    const again = openStore({ stateDir: dir });
    open.push(again);
    expect(again.outbox.wasDelivered('a', 'slack')).toBe(true);
    expect(again.outbox.pending('slack', 10, 499)).toEqual([]);
    expect(again.outbox.pending('slack', 10, 500).map((p) => [p.alert.id, p.attempts])).toEqual([['b', 1]]);
  });

  it('rejects marks for an unknown alert id', () => {
    const { box } = setup([]);
    expect(() => box.markDelivered('nope', 'slack')).toThrow(/no alert with id "nope"/);
    expect(() => box.markFailed('nope', 'slack', { permanent: true, code: 'E' })).toThrow(/no alert with id/);
  });

  it('marks a row whose JSON no longer parses dead for the sink and skips it', () => {
    const { store, dir } = setup(['a', 'b']);
    store.close();
    open.splice(0);
    const db = new DatabaseSync(join(dir, 'state.db'));
    db.exec(`UPDATE outbox SET alert_json = '{broken' WHERE id = 'a'`);
    db.close();
    const again = openStore({ stateDir: dir });
    open.push(again);
    expect(ids(again.outbox.pending('slack', 10, 0))).toEqual(['b']);
    expect(ids(again.outbox.pending('slack', 10, 0))).toEqual(['b']);
    expect(again.outbox.depth('slack')).toBe(1);
    expect(ids(again.outbox.pending('loki', 10, 0))).toEqual(['b']);
    again.close();
    const check = new DatabaseSync(join(dir, 'state.db'));
    const rows = check.prepare('SELECT alert_id, sink, status, last_code FROM deliveries ORDER BY sink').all();
    expect(rows.map((r) => ({ ...r }))).toEqual([
      { alert_id: 'a', sink: 'loki', status: 'dead', last_code: 'TRIP_STATE_BAD_ROW' },
      { alert_id: 'a', sink: 'slack', status: 'dead', last_code: 'TRIP_STATE_BAD_ROW' },
    ]);
    check.close();
  });

  it('computes the fingerprint from rule and key', () => {
    expect(fingerprintOf({ rule: 'S2', key: '10.0.0.1' })).toBe('S2\u001f10.0.0.1');
  });
});

describe('outbox prune and retention', () => {
  it('drops bodies only of alerts settled on every sink and older than the cutoff', () => {
    const { store, box, clock } = setup(['old-done', 'old-half', 'old-dead']);
    box.markDelivered('old-done', 'slack');
    box.markDelivered('old-done', 'loki');
    box.markDelivered('old-half', 'slack');
    box.markFailed('old-dead', 'slack', { permanent: true, code: 'E' });
    box.markDelivered('old-dead', 'loki');
    clock.ms += 2 * DAY;
    store.commit({ positions: {}, alerts: [alert('new')] });
    box.markDelivered('new', 'slack');
    box.markDelivered('new', 'loki');
    expect(box.prune(DAY, ['slack', 'loki'])).toEqual({ bodiesDropped: 2, idsForgotten: 0 });
    expect(box.stats(['slack', 'loki'])).toMatchObject({ outboxRows: 4, openRows: 2, pending: { slack: 0, loki: 1 } });
    expect(ids(box.pending('loki', 10, 0))).toEqual(['old-half']);
    // A pruned id is still known: re-processing the same input adds nothing and posts nothing.
    expect(store.commit({ positions: {}, alerts: [alert('old-done'), alert('old-dead')] })).toEqual({ inserted: 0, duplicates: 2 });
    expect(box.wasDelivered('old-done', 'slack')).toBe(true);
    // A sink added later never sees pruned alerts.
    expect(ids(box.pending('kafka', 10, 0))).toEqual(['old-half', 'new']);
  });

  it('forgets ids after the id-log retention, not before', () => {
    const { store, box, clock } = setup(['a'], { idLogRetentionMs: 7 * DAY });
    box.markDelivered('a', 'slack');
    clock.ms += 2 * DAY;
    expect(box.prune(DAY, ['slack'])).toEqual({ bodiesDropped: 1, idsForgotten: 0 });
    clock.ms += 5 * DAY - 1; // 7 days minus 1 ms after enqueue
    expect(box.prune(DAY, ['slack'])).toEqual({ bodiesDropped: 0, idsForgotten: 0 });
    expect(store.commit({ positions: {}, alerts: [alert('a')] }).inserted).toBe(0);
    clock.ms += 2;
    expect(box.prune(DAY, ['slack'])).toEqual({ bodiesDropped: 0, idsForgotten: 1 });
    expect(box.wasDelivered('a', 'slack')).toBe(false);
    expect(box.stats(['slack']).outboxRows).toBe(0);
  });

  it('keeps an unsettled alert whatever its age', () => {
    const { box, clock } = setup(['stuck']);
    box.markFailed('stuck', 'slack', { permanent: false, nextAttemptMs: 0, code: 'E' });
    clock.ms += 30 * DAY;
    expect(box.prune(DAY, ['slack'])).toEqual({ bodiesDropped: 0, idsForgotten: 0 });
    expect(ids(box.pending('slack', 10, clock.ms))).toEqual(['stuck']);
  });

  it('reports sizes', () => {
    const { box } = setup(['a', 'b', 'c']);
    box.markDelivered('a', 'slack');
    const st = box.stats(['slack', 'stdout']);
    expect(st).toMatchObject({ outboxRows: 3, openRows: 3, pending: { slack: 2, stdout: 3 } });
    expect(st.dbBytes).toBeGreaterThan(4096);
  });
});
