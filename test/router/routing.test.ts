// Routing on an injected clock (issue 5): dedup by fingerprint with the repeat interval in
// event time, grouping by rule within groupWait, per-sink minSeverity, silences, record
// sinks keeping everything, and decisions surviving a restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../schemas/alert.js';
import { Config, type ConfigInput } from '../../schemas/config.js';
import { Metrics } from '../../services/lib/metrics.js';
import { silentLog } from '../../services/lib/log.js';
import { Router } from '../../services/router/router.js';
import { policyFor } from '../../services/router/policies.js';
import { SilenceWatcher, addSilence, expireSilence } from '../../services/router/silence-file.js';
import type { SendResult, Sink } from '../../services/sinks/types.js';
import { StateStore } from '../../services/state/store.js';
import { makeAlert } from '../helpers/alerts.js';
import { FakeClock } from '../helpers/fake-clock.js';

class RecordingSink implements Sink {
  readonly sent: Array<{ atMs: number; ids: string[] }> = [];
  constructor(
    readonly name: string,
    private readonly now: () => number,
  ) {}
  async send(alerts: Alert[]): Promise<SendResult> {
    this.sent.push({ atMs: this.now(), ids: alerts.map((a) => a.id) });
    return { ok: true };
  }
  ids(): string[] {
    return this.sent.flatMap((s) => s.ids);
  }
}

const dirs: string[] = [];
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(cfg: ConfigInput = {}, stateDir = mkdtempSync(join(tmpdir(), 'tripline-routing-')), clock = new FakeClock()) {
  dirs.push(stateDir);
  const config = Config.parse(cfg);
  const store = new StateStore({ stateDir, now: clock.now });
  store.open();
  const slack = new RecordingSink('slack', clock.now);
  const file = new RecordingSink('file', clock.now);
  const watcher = new SilenceWatcher(stateDir, silentLog);
  const metrics = new Metrics();
  const router = new Router({
    store,
    sinks: [slack, file].map((sink) => ({ sink, policy: policyFor(sink.name, config) })),
    metrics,
    log: silentLog,
    now: clock.now,
    setTimer: clock.setTimer,
    silences: () => watcher.current(),
    random: () => 0.5,
  });
  const settle = () => router.idle();
  const commit = async (alerts: Alert[]) => {
    store.commit({ positions: {}, alerts });
    router.wake();
    await settle();
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await router.stop();
    store.close();
  };
  stops.push(stop);
  return { config, store, slack, file, router, clock, settle, commit, stop, stateDir, metrics };
}

const decisions = (store: StateStore, sink = 'slack') =>
  store.read((db) => db.prepare('SELECT alert_id AS id, disposition AS d, group_key AS g, silence_id AS s FROM route_decisions WHERE sink = ? ORDER BY decided_ms, alert_id').all(sink)) as Array<{ id: string; d: string; g: string | null; s: string | null }>;

describe('dedup and the repeat interval (event time)', () => {
  it('posts the first alert of a fingerprint, counts repeats within 4 h, posts again from 4 h on', async () => {
    const t = setup({ route: { groupWait: 0 } });
    await t.router.start();
    const at = ['2026-06-10T09:12:00Z', '2026-06-10T10:12:00Z', '2026-06-10T13:11:59Z', '2026-06-10T13:12:00Z', '2026-06-10T13:30:00Z', '2026-06-10T22:00:00Z'];
    const alerts = at.map((ts) => makeAlert({ ts }));
    for (const a of alerts) {
      await t.commit([a]);
      await t.clock.advance(1000, t.settle);
    }
    const [a0, a1, a2, a3, a4, a5] = alerts.map((a) => a.id);
    expect(t.slack.ids()).toEqual([a0, a3, a5]);
    const d = new Map(decisions(t.store).map((r) => [r.id, r]));
    expect([a1, a2].map((id) => [d.get(id!)!.d, d.get(id!)!.g])).toEqual([
      ['repeat', a0],
      ['repeat', a0],
    ]);
    expect([d.get(a4!)!.d, d.get(a4!)!.g]).toEqual(['repeat', a3]);
    // Repeats are settled for Slack (skipped, nothing pending) but reach the record sink.
    expect(t.store.outbox.depth('slack')).toBe(0);
    expect(t.file.ids()).toEqual(alerts.map((a) => a.id));
  });

  it('different keys are different fingerprints; an older out-of-order alert does not move the window back', async () => {
    const t = setup({ route: { groupWait: 0 } });
    await t.router.start();
    const x = makeAlert({ ts: '2026-06-10T12:00:00Z' });
    const y = makeAlert({ ts: '2026-06-10T12:00:00Z', key: 'me@example.org 198.51.100.9' });
    const late = makeAlert({ ts: '2026-06-10T07:00:00Z' }); // 5 h before x: outside the window, posts
    const afterX = makeAlert({ ts: '2026-06-10T15:00:00Z' }); // 3 h after x: still x's window
    for (const a of [x, y, late, afterX]) {
      await t.commit([a]);
      await t.clock.advance(1000, t.settle);
    }
    expect(t.slack.ids()).toEqual([x.id, y.id, late.id]);
    expect(decisions(t.store).find((r) => r.id === afterX.id)).toMatchObject({ d: 'repeat', g: x.id });
  });

  it('repeatInterval 0 turns dedup off', async () => {
    const t = setup({ route: { groupWait: 0, repeatInterval: 0 } });
    await t.router.start();
    const alerts = ['2026-06-10T09:00:00Z', '2026-06-10T09:00:01Z'].map((ts) => makeAlert({ ts }));
    await t.commit(alerts);
    await t.clock.advance(5000, t.settle);
    expect(t.slack.ids()).toEqual(alerts.map((a) => a.id));
  });
});

describe('grouping within groupWait', () => {
  it('alerts of one rule arriving within 30 s post as one message when the wait ends; later ones start a new one', async () => {
    const t = setup();
    await t.router.start();
    const t0 = t.clock.ms;
    const k4 = (n: number, ts: string) => makeAlert({ rule: 'K4', key: `user${n} vault/vault-0`, ts, severity: 'warning' });
    const g1 = [k4(1, '2026-06-10T09:00:00Z'), k4(2, '2026-06-10T09:00:05Z'), k4(3, '2026-06-10T09:00:20Z')];
    const other = makeAlert({ rule: 'S1', key: 'pve viktor 203.0.113.50', ts: '2026-06-10T09:00:06Z' });
    await t.commit([g1[0]!]); // t0: opens the K4 message, ready at t0 + 30 s
    await t.clock.advance(10_000, t.settle);
    await t.commit([g1[1]!, other]); // t0 + 10 s: K4 joins; S1 opens its own, ready at t0 + 40 s
    await t.clock.advance(19_000, t.settle);
    await t.commit([g1[2]!]); // t0 + 29 s: still joins
    expect(t.slack.sent).toEqual([]); // nothing before the wait ends
    await t.clock.advance(2000, t.settle); // t0 + 31 s
    const late = k4(4, '2026-06-10T09:00:31Z');
    await t.commit([late]); // the first K4 message has gone: a new one, ready at t0 + 61 s
    await t.clock.advance(60_000, t.settle);
    expect(t.slack.sent.map((x) => [x.atMs - t0, x.ids])).toEqual([
      [30_000, g1.map((a) => a.id)],
      [40_000, [other.id]],
      [61_000, [late.id]],
    ]);
  });

  it('a group holds at most route.maxGroupSize alerts; the rest go in the next message, one second later', async () => {
    const t = setup({ route: { maxGroupSize: 10 } });
    await t.router.start();
    const t0 = t.clock.ms;
    const burst = Array.from({ length: 12 }, (_, i) => makeAlert({ rule: 'K5', key: `user${i}`, ts: `2026-06-10T09:00:${String(i).padStart(2, '0')}Z` }));
    await t.commit(burst);
    await t.clock.advance(60_000, t.settle);
    expect(t.slack.sent.map((x) => [x.atMs - t0, x.ids.length])).toEqual([
      [30_000, 10],
      [31_000, 2],
    ]);
    expect(t.slack.ids()).toEqual(burst.map((a) => a.id));
  });

  it('the record sink gets everything at once, in batches, unaffected by the Slack wait', async () => {
    const t = setup();
    await t.router.start();
    const t0 = t.clock.ms;
    const alerts = Array.from({ length: 3 }, (_, i) => makeAlert({ rule: 'K5', key: `u${i}`, ts: '2026-06-10T09:00:00Z' }));
    await t.commit(alerts);
    expect(t.file.sent.map((x) => [x.atMs - t0, x.ids])).toEqual([[0, alerts.map((a) => a.id)]]);
  });
});

describe('per-sink minSeverity', () => {
  it('default: Slack gets critical and warning; info only reaches the record sink (and the digest)', async () => {
    const t = setup({ route: { groupWait: 0 } });
    await t.router.start();
    const crit = makeAlert({ rule: 'K9', ts: '2026-06-10T09:00:00Z', severity: 'critical' });
    const warn = makeAlert({ rule: 'K4', key: 'x vault/vault-0', ts: '2026-06-10T09:00:00Z', severity: 'warning' });
    const info = makeAlert({ rule: 'I2', key: '1:402', ts: '2026-06-10T09:00:00Z', severity: 'info' });
    await t.commit([crit, warn, info]);
    await t.clock.advance(5000, t.settle);
    expect(t.slack.ids()).toEqual([crit.id, warn.id]);
    expect(decisions(t.store).find((r) => r.id === info.id)!.d).toBe('below');
    expect(t.file.ids()).toEqual([crit.id, warn.id, info.id]);
  });

  it('sinks.slack.minSeverity: critical leaves warnings to the digest', async () => {
    const t = setup({ route: { groupWait: 0 }, sinks: { slack: { minSeverity: 'critical' } } });
    await t.router.start();
    const crit = makeAlert({ rule: 'K9', ts: '2026-06-10T09:00:00Z' });
    const warn = makeAlert({ rule: 'K4', key: 'x vault/vault-0', ts: '2026-06-10T09:00:00Z', severity: 'warning' });
    await t.commit([crit, warn]);
    await t.clock.advance(5000, t.settle);
    expect(t.slack.ids()).toEqual([crit.id]);
  });
});

describe('silences', () => {
  it('a matching active silence keeps alerts off Slack (counted with its id); it ends on time and can be expired early', async () => {
    const t = setup({ route: { groupWait: 0, repeatInterval: 0 } });
    await t.router.start();
    const day = 24 * 3_600_000;
    const s = addSilence(t.stateDir, { rule: 'K4', matchers: [{ field: 'actor', value: 'kubernetes-admin' }], durationMs: 7 * day, reason: 'cluster upgrade', createdBy: 'test' }, t.clock.ms, 's-0000aaaa');
    const k4 = (actor: string, ts: string) => makeAlert({ rule: 'K4', key: `${actor} vault/vault-0`, actor, ts, severity: 'warning' });
    const silenced = k4('kubernetes-admin', '2026-06-10T09:00:00Z');
    const other = k4('mallory', '2026-06-10T09:00:01Z');
    await t.commit([silenced, other]);
    await t.clock.advance(5000, t.settle);
    expect(t.slack.ids()).toEqual([other.id]);
    expect(decisions(t.store).find((r) => r.id === silenced.id)).toMatchObject({ d: 'silenced', s: s.id });
    expect(t.file.ids()).toEqual([silenced.id, other.id]); // the record keeps it

    // Six days later: still silenced. Seven days after creation: it has ended.
    await t.clock.advance(6 * day, t.settle);
    const during = k4('kubernetes-admin', '2026-06-16T09:00:00Z');
    await t.commit([during]);
    await t.clock.advance(day, t.settle);
    const after = k4('kubernetes-admin', '2026-06-17T09:00:00Z');
    await t.commit([after]);
    await t.clock.advance(5000, t.settle);
    expect(t.slack.ids()).toEqual([other.id, after.id]);

    // A new silence, expired early with `silence expire`: the running router sees the file change.
    addSilence(t.stateDir, { rule: '*', matchers: [{ field: 'address', value: '203.0.113.*' }], durationMs: day, reason: 'pen test', createdBy: 'test' }, t.clock.ms, 's-0000bbbb');
    const pen = makeAlert({ rule: 'K9', ts: '2026-06-17T10:00:00Z' });
    await t.commit([pen]);
    expect(decisions(t.store).find((r) => r.id === pen.id)).toMatchObject({ d: 'silenced', s: 's-0000bbbb' });
    await t.clock.advance(1000, t.settle);
    expireSilence(t.stateDir, 's-0000bbbb', t.clock.ms);
    const pen2 = makeAlert({ rule: 'K9', ts: '2026-06-17T10:00:05Z', n: 2 });
    await t.commit([pen2]);
    await t.clock.advance(5000, t.settle);
    expect(t.slack.ids()).toEqual([other.id, after.id, pen2.id]);
  });

  it('a silenced alert does not open a repeat window: the first posted one does', async () => {
    const t = setup({ route: { groupWait: 0 } });
    await t.router.start();
    addSilence(t.stateDir, { rule: 'K9', matchers: [{ field: 'actor', value: 'me@example.org' }], durationMs: 60_000, reason: 'test', createdBy: 'test' }, t.clock.ms, 's-0000cccc');
    const first = makeAlert({ ts: '2026-06-10T09:00:00Z' });
    await t.commit([first]);
    await t.clock.advance(120_000, t.settle); // the silence is over
    const second = makeAlert({ ts: '2026-06-10T09:02:00Z' });
    await t.commit([second]);
    await t.clock.advance(5000, t.settle);
    expect(t.slack.ids()).toEqual([second.id]);
  });
});

describe('durability of decisions', () => {
  it('a group waiting at a restart goes out with the same members at its ready time', async () => {
    const clock = new FakeClock();
    const stateDir = mkdtempSync(join(tmpdir(), 'tripline-routing-'));
    let t = setup({}, stateDir, clock);
    await t.router.start();
    const t0 = clock.ms;
    const a = makeAlert({ rule: 'K5', key: 'u1', ts: '2026-06-10T09:00:00Z' });
    const b = makeAlert({ rule: 'K5', key: 'u2', ts: '2026-06-10T09:00:01Z' });
    await t.commit([a, b]);
    await clock.advance(10_000, t.settle);
    await t.stop();
    t = setup({}, stateDir, clock);
    await t.router.start();
    const c = makeAlert({ rule: 'K5', key: 'u3', ts: '2026-06-10T09:00:11Z' });
    await t.commit([c]); // joins: the group is still open until t0 + 30 s
    await clock.advance(60_000, t.settle);
    expect(t.slack.sent.map((x) => [x.atMs - t0, x.ids])).toEqual([[30_000, [a.id, b.id, c.id]]]);
    expect(decisions(t.store).length).toBe(3);
  });

  it('a sink added to a state that already holds alerts starts after them (TRIP_ROUTE_BEFORE_SINK)', async () => {
    const clock = new FakeClock();
    const stateDir = mkdtempSync(join(tmpdir(), 'tripline-routing-'));
    dirs.push(stateDir);
    const store = new StateStore({ stateDir, now: clock.now });
    store.open();
    const old = makeAlert({ ts: '2026-06-01T09:00:00Z' });
    store.commit({ positions: {}, alerts: [old] }); // e.g. filled by tripline replay --state-dir
    store.close();
    const t = setup({ route: { groupWait: 0 } }, stateDir, clock);
    await t.router.start();
    const fresh = makeAlert({ ts: '2026-06-10T09:00:00Z', key: 'new 198.51.100.7' });
    await t.commit([fresh]);
    await clock.advance(5000, t.settle);
    expect(t.slack.ids()).toEqual([fresh.id]);
    expect(t.file.ids()).toEqual([fresh.id]);
    const row = t.store.read((db) => db.prepare(`SELECT status, last_code AS code FROM deliveries WHERE alert_id = ? AND sink = 'slack'`).get(old.id));
    expect(row).toEqual({ status: 'skipped', code: 'TRIP_ROUTE_BEFORE_SINK' });
    expect(t.store.outbox.depth('slack')).toBe(0);
  });
});
