// The daily digest of `tripline run` on an injected clock (issue 5): posted once at
// route.digest.at in route.digest.timezone through the real Slack client, never twice
// across a restart, a missed one caught up, failures retried, Retry-After honoured.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Config, type ConfigInput } from '../../schemas/config.js';
import { Metrics } from '../../services/lib/metrics.js';
import { silentLog } from '../../services/lib/log.js';
import { Router } from '../../services/router/router.js';
import { policyFor } from '../../services/router/policies.js';
import { DigestScheduler, digestSlots } from '../../services/router/digest/scheduler.js';
import { SlackSink } from '../../services/sinks/slack.js';
import { StateStore } from '../../services/state/store.js';
import { makeAlert } from '../helpers/alerts.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { ERROR_500, OK, SlackServer, rateLimited, type Received } from '../helpers/slack-server.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

describe('digestSlots (luxon, DST-aware)', () => {
  it('09:00 Europe/Sofia is 06:00Z in summer and 07:00Z in winter; the slot before and after now', () => {
    expect(digestSlots(Date.parse('2026-06-10T12:00:00Z'), '09:00', 'Europe/Sofia')).toEqual({ prev: Date.parse('2026-06-10T06:00:00Z'), next: Date.parse('2026-06-11T06:00:00Z') });
    expect(digestSlots(Date.parse('2026-01-10T05:00:00Z'), '09:00', 'Europe/Sofia')).toEqual({ prev: Date.parse('2026-01-09T07:00:00Z'), next: Date.parse('2026-01-10T07:00:00Z') });
    expect(digestSlots(Date.parse('2026-06-10T09:00:00Z'), '09:00', 'UTC').prev).toBe(Date.parse('2026-06-10T09:00:00Z'));
  });
});

async function setup(opts: { start: string; cfg?: ConfigInput; stateDir?: string; server?: SlackServer; clock?: FakeClock }) {
  const clock = opts.clock ?? new FakeClock(Date.parse(opts.start));
  const server = opts.server ?? new SlackServer(clock.now);
  if (!opts.server) {
    await server.start();
    cleanup.push(() => server.stop());
  }
  const stateDir = opts.stateDir ?? mkdtempSync(join(tmpdir(), 'tripline-digest-'));
  if (!opts.stateDir) cleanup.push(() => rmSync(stateDir, { recursive: true, force: true }));
  const config = Config.parse({ route: { groupWait: 0 }, ...opts.cfg });
  const store = new StateStore({ stateDir, now: clock.now });
  const created = store.open().created;
  const slack = new SlackSink({ url: server.url, timeoutMs: 5000, now: clock.now, format: { timezone: 'UTC' } });
  const metrics = new Metrics();
  const router = new Router({ store, sinks: [{ sink: slack, policy: policyFor('slack', config) }], metrics, log: silentLog, now: clock.now, setTimer: clock.setTimer, random: () => 0.5 });
  const digest = new DigestScheduler({ store, router, slack, config: () => config, silences: () => [], configuredSources: [{ name: 'auth', kind: 'syslog' }], stateExisted: !created, now: clock.now, setTimer: clock.setTimer, log: silentLog, metrics });
  await router.start();
  digest.start();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    digest.stop();
    await router.stop();
    await digest.settled();
    store.close();
  };
  cleanup.push(stop);
  // The digest's own promise chain runs around the lane's: settle both.
  const settle = () => router.idle().then(() => new Promise<void>((r) => setImmediate(r))).then(() => router.idle());
  return { clock, server, stateDir, store, router, digest, stop, settle, metrics };
}

const isDigest = (r: Received) => JSON.stringify(r.body).includes('tripline daily digest');

describe('DigestScheduler', () => {
  it('posts one digest at 09:00 about the 24 h before it, and not again after a restart', async () => {
    const t = await setup({ start: '2026-06-10T08:59:00Z' });
    t.store.commit({ positions: {}, alerts: [makeAlert({ ts: '2026-06-10T08:00:00Z' }), makeAlert({ ts: '2026-06-09T08:00:00Z', key: 'old 198.51.100.1' })] });
    t.router.wake();
    await t.clock.advance(59_000, t.settle);
    expect(t.server.received.filter(isDigest)).toEqual([]); // not before 09:00
    await t.clock.advance(2000, t.settle);
    const digests = t.server.received.filter(isDigest);
    expect(digests.map((d) => new Date(d.atMs).toISOString())).toEqual(['2026-06-10T09:00:00.000Z']);
    const text = JSON.stringify(digests[0]!.body);
    expect(text).toContain('24 h from 2026-06-09 09:00 UTC to 2026-06-10 09:00 UTC · 1 alert: 1 critical, 0 warning, 0 info');
    expect(text).toContain('*SILENT* `auth` (syslog): 0 events, 0 parse errors, last event never');
    expect(t.store.health.digestPosted(Date.parse('2026-06-10T09:00:00Z'))).toBe(true);
    // Restart at 09:30: the 09:00 digest was posted; nothing until tomorrow 09:00.
    await t.clock.advance(29 * 60_000, t.settle);
    await t.stop();
    const t2 = await setup({ start: '', clock: t.clock, server: t.server, stateDir: t.stateDir });
    await t2.clock.advance(23 * 3_600_000, t2.settle);
    expect(t2.server.received.filter(isDigest).length).toBe(1);
    await t2.clock.advance(31 * 60_000, t2.settle);
    expect(t2.server.received.filter(isDigest).map((d) => new Date(d.atMs).toISOString())).toEqual(['2026-06-10T09:00:00.000Z', '2026-06-11T09:00:00.000Z']);
  });

  it('a digest missed while tripline was down is caught up at start (existing state only)', async () => {
    const first = await setup({ start: '2026-06-10T07:00:00Z' });
    await first.stop();
    const t = await setup({ start: '', clock: Object.assign(first.clock, { ms: Date.parse('2026-06-10T10:30:00Z') }), server: first.server, stateDir: first.stateDir });
    await t.settle();
    await t.clock.advance(1000, t.settle);
    expect(t.server.received.filter(isDigest).map((d) => new Date(d.atMs).toISOString())).toEqual(['2026-06-10T10:30:00.000Z']);
    // A brand-new state started at 10:30 posts nothing until the next 09:00.
    const fresh = await setup({ start: '2026-06-10T10:30:00Z' });
    await fresh.clock.advance(60_000, fresh.settle);
    expect(fresh.server.received.filter(isDigest)).toEqual([]);
  });

  it('a failed digest is retried with backoff (500), and a 429 Retry-After holds it', async () => {
    const t = await setup({ start: '2026-06-10T08:59:59Z' });
    t.server.answer = (n) => (n === 0 ? ERROR_500 : n === 1 ? rateLimited(10) : OK);
    await t.clock.advance(120_000, t.settle);
    const at = t.server.received.map((r) => (r.atMs - Date.parse('2026-06-10T09:00:00Z')) / 1000);
    // 09:00:00 → 500; retry 30 s later → 429 (Retry-After 10); retry after 60 s backoff, not before 10 s
    expect(at).toEqual([0, 30, 90]);
    expect(t.server.received.every(isDigest)).toBe(true);
    expect(t.store.health.digestPosted(Date.parse('2026-06-10T09:00:00Z'))).toBe(true);
    const m = await t.metrics.digests.get();
    expect(Object.fromEntries(m.values.map((v) => [v.labels['status'], v.value]))).toEqual({ failed: 2, posted: 1 });
  });
});
