// Acceptance (issue 5): delivery to a local server that answers as Slack does, through the
// REAL @slack/webhook client, on an injected clock. Slack fails (500s, then refused
// connections) while 50 alerts fire and the router is restarted midway (store closed and
// reopened): afterwards every alert is delivered exactly once, in event-time order within
// each fingerprint. Also: Retry-After honoured, 4xx dead-lettered, resets retried, 1 msg/s.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../schemas/alert.js';
import { Config } from '../../schemas/config.js';
import { Metrics } from '../../services/lib/metrics.js';
import { silentLog } from '../../services/lib/log.js';
import { Router } from '../../services/router/router.js';
import { policyFor } from '../../services/router/policies.js';
import { SlackSink } from '../../services/sinks/slack.js';
import { StateStore } from '../../services/state/store.js';
import { makeAlert } from '../helpers/alerts.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { ERROR_500, INVALID, OK, SlackServer, idsIn, rateLimited } from '../helpers/slack-server.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

function counter(m: Metrics, name: 'deliveryFailures' | 'deadLettered' | 'deliveries', labels: Record<string, string>): Promise<number> {
  return m[name].get().then((v) => v.values.filter((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val)).reduce((a, x) => a + x.value, 0));
}

interface Harness {
  clock: FakeClock;
  server: SlackServer;
  stateDir: string;
  config: Config;
  metrics: Metrics;
  store: StateStore;
  router: Router;
  settle: () => Promise<void>;
}

async function harness(config = Config.parse({})): Promise<Harness> {
  const clock = new FakeClock();
  const server = new SlackServer(clock.now);
  await server.start();
  const stateDir = mkdtempSync(join(tmpdir(), 'tripline-router-'));
  const h = { clock, server, stateDir, config, metrics: new Metrics() } as Harness;
  openRouter(h);
  await h.router.start();
  cleanup.push(() => rmSync(stateDir, { recursive: true, force: true }));
  cleanup.push(() => server.stop());
  cleanup.push(async () => {
    await h.router.stop();
    h.store.close();
  });
  h.settle = () => h.router.idle();
  return h;
}

/** (Re)opens the store and builds a router with a new real Slack client on it. */
function openRouter(h: Harness): void {
  h.store = new StateStore({ stateDir: h.stateDir, now: h.clock.now });
  h.store.open();
  const slack = new SlackSink({ url: h.server.url, timeoutMs: 5000, now: h.clock.now, format: { timezone: 'UTC' } });
  h.router = new Router({ store: h.store, sinks: [{ sink: slack, policy: policyFor('slack', h.config) }], metrics: h.metrics, log: silentLog, now: h.clock.now, setTimer: h.clock.setTimer, random: () => 0.5 });
}

function commit(h: Harness, alerts: Alert[]): void {
  h.store.commit({ positions: {}, alerts });
  h.router.wake();
}

describe('delivery through the real Slack client (acceptance)', () => {
  it('Slack failing (500s, then refused connections) while 50 alerts fire, restarted midway: every alert exactly once, in event order per fingerprint', async () => {
    const h = await harness();
    h.server.answer = () => ERROR_500;
    // 5 fingerprints × 10 alerts, 5 h apart in event time (longer than repeatInterval 4 h:
    // each one is a post, none a repeat), arriving interleaved in event order.
    const fps = [
      ['K9', 'me@example.org 203.0.113.50'],
      ['S1', 'pve viktor 203.0.113.50'],
      ['V7', 'oidc-me@example.org 203.0.113.50'],
      ['K2', 'system:serviceaccount:ci:deployer 198.51.100.23'],
      ['G1', '10.42.0.199'],
    ] as const;
    const base = Date.UTC(2026, 5, 1);
    const all: Alert[] = [];
    for (let i = 0; i < 10; i++) for (const [rule, key] of fps) all.push(makeAlert({ rule, key, ts: new Date(base + i * 5 * 3_600_000).toISOString() }));
    const batches = Array.from({ length: 10 }, (_, k) => all.slice(k * 5, k * 5 + 5));

    // Phase 1: first 25 alerts while Slack answers 500.
    for (const b of batches.slice(0, 5)) {
      commit(h, b);
      await h.clock.advance(1000, h.settle);
    }
    await h.clock.advance(120_000, h.settle);
    const during500 = h.server.received.length;
    // Phase 2: Slack gone: connections refused.
    await h.server.stop();
    await h.clock.advance(180_000, h.settle);
    // Restart: stop the router, close the store, reopen both (a new Slack client too).
    await h.router.stop();
    h.store.close();
    openRouter(h);
    await h.router.start();
    for (const b of batches.slice(5)) {
      commit(h, b);
      await h.clock.advance(1000, h.settle);
    }
    await h.clock.advance(120_000, h.settle);
    expect(h.server.received.length).toBe(during500); // nothing reached the stopped server
    const refused = await counter(h.metrics, 'deliveryFailures', { code: 'TRIP_SINK_SLACK_NETWORK' });
    // Phase 3: Slack is back on the same port and answers ok.
    h.server.answer = () => OK;
    await h.server.start();
    const recoveryMs = await h.clock.runUntil(() => h.store.outbox.depth('slack') === 0, h.settle, 30 * 60_000);

    const okBodies = h.server.delivered();
    const delivered = okBodies.flatMap(idsIn);
    // Every alert exactly once.
    expect(delivered.length).toBe(50);
    expect(new Set(delivered).size).toBe(50);
    expect([...delivered].sort()).toEqual(all.map((a) => a.id).sort());
    // In event-time order within each fingerprint.
    for (const [rule, key] of fps) {
      const mine = all.filter((a) => a.rule === rule && a.key === key);
      const order = delivered.filter((id) => mine.some((a) => a.id === id));
      expect(order).toEqual([...mine].sort((a, b) => Date.parse(a.ts) - Date.parse(b.ts)).map((a) => a.id));
    }
    // Grouping: alerts of one rule within groupWait (30 s) went out together: 5 rules × 2 bursts.
    expect(okBodies.length).toBe(10);
    // The failures were real and counted: 500s before the restart, refused connections around it.
    expect(during500).toBeGreaterThan(3);
    expect(await counter(h.metrics, 'deliveryFailures', { code: 'TRIP_SINK_SLACK_5XX' })).toBeGreaterThan(3);
    expect(refused).toBeGreaterThan(0);
    expect(await counter(h.metrics, 'deadLettered', {})).toBe(0);
    // Never more than one request per second.
    const times = h.server.received.map((r) => r.atMs);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(1000);
    // Recovery took at most the capped backoff (5 min) plus 10 messages at 1/s.
    expect(recoveryMs).toBeLessThanOrEqual(300_000 + 10_000 + 1000);
    if (process.env["TRIPLINE_FIGURES"]) console.log(JSON.stringify({ during500, refused, recoveryMs, okMessages: okBodies.length, delivered: delivered.length, requests: h.server.received.length, failures5xx: await counter(h.metrics, "deliveryFailures", { code: "TRIP_SINK_SLACK_5XX" }) }));
  });

  it('a 429 with Retry-After: 3 is honoured: no request before it expires, also across a restart', async () => {
    const h = await harness(Config.parse({ route: { groupWait: 0 } }));
    h.server.answer = (n) => (n === 0 ? rateLimited(3) : OK);
    const t0 = h.clock.ms;
    commit(h, [makeAlert({ ts: '2026-06-10T09:00:00Z' })]);
    await h.settle();
    expect(h.server.received.map((r) => r.atMs - t0)).toEqual([0]);
    // Restart 1 s into the wait: the wait is durable (the message's next attempt time).
    await h.clock.advance(1000, h.settle);
    await h.router.stop();
    h.store.close();
    openRouter(h);
    await h.router.start();
    commit(h, [makeAlert({ ts: '2026-06-10T09:00:01Z', key: 'other 198.51.100.1' })]);
    for (let i = 0; i < 40; i++) await h.clock.advance(100, h.settle);
    const offsets = h.server.received.map((r) => r.atMs - t0);
    expect(offsets[0]).toBe(0);
    expect(offsets[1]).toBe(3000); // the first request after the 429, exactly when Retry-After expires
    expect(offsets.slice(1).every((o) => o >= 3000)).toBe(true);
    expect(offsets[2]).toBe(4000); // then one per second
    expect(await counter(h.metrics, 'deliveryFailures', { code: 'TRIP_SINK_SLACK_429' })).toBe(1);
    expect(h.server.delivered().flatMap(idsIn).length).toBe(2);
  });

  it('429 holds the whole webhook, not only the refused message', async () => {
    const h = await harness(Config.parse({ route: { groupWait: 0 } }));
    h.server.answer = (n) => (n === 0 ? rateLimited(3) : OK);
    const t0 = h.clock.ms;
    commit(h, [makeAlert({ ts: '2026-06-10T09:00:00Z', rule: 'K9' }), makeAlert({ ts: '2026-06-10T09:00:00Z', rule: 'S1', key: 'pve root 192.0.2.1' })]);
    await h.clock.runUntil(() => h.store.outbox.depth('slack') === 0, h.settle, 60_000, 100);
    expect(h.server.received.map((r) => r.atMs - t0)).toEqual([0, 3000, 4000]);
  });

  it('400 invalid_payload is permanent: dead-lettered once, counted, never retried; the queue moves on', async () => {
    const h = await harness(Config.parse({ route: { groupWait: 0 } }));
    h.server.answer = (n) => (n === 0 ? INVALID : OK);
    const bad = makeAlert({ ts: '2026-06-10T09:00:00Z' });
    const good = makeAlert({ ts: '2026-06-10T09:00:01Z', rule: 'S1', key: 'pve viktor 203.0.113.50' });
    const t0 = h.clock.ms;
    commit(h, [bad, good]);
    await h.settle();
    await h.clock.advance(10 * 60_000, h.settle);
    expect(h.server.received.map((r) => r.atMs - t0)).toEqual([0, 1000]);
    expect(idsIn(h.server.received[0]!.body)).toEqual([bad.id]);
    expect(h.server.delivered().flatMap(idsIn)).toEqual([good.id]);
    expect(await counter(h.metrics, 'deadLettered', { sink: 'slack', code: 'TRIP_SINK_SLACK_4XX' })).toBe(1);
    expect(h.store.outbox.depth('slack')).toBe(0);
    expect(h.store.outbox.wasDelivered(bad.id, 'slack')).toBe(false);
  });

  it('a reset connection is a network failure: retried with backoff, then delivered once', async () => {
    const h = await harness(Config.parse({ route: { groupWait: 0 } }));
    h.server.answer = (n) => (n < 2 ? 'reset' : OK);
    const a = makeAlert({ ts: '2026-06-10T09:00:00Z' });
    const t0 = h.clock.ms;
    commit(h, [a]);
    await h.clock.runUntil(() => h.store.outbox.depth('slack') === 0, h.settle, 60_000, 100);
    // attempt 1 at 0; backoff(1) = 750 ms with jitter 0.5 → but the 1 s rate gate wins; backoff(2) = 1500 ms.
    expect(h.server.received.map((r) => r.atMs - t0)).toEqual([0, 1000, 2500]);
    expect(h.server.delivered().flatMap(idsIn)).toEqual([a.id]);
    expect(await counter(h.metrics, 'deliveryFailures', { code: 'TRIP_SINK_SLACK_NETWORK' })).toBe(2);
  });
});
