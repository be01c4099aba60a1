// Alertmanager sink (issue 5; formats.md §7): POST /api/v2/alerts with a JSON array, error
// codes, and re-sends of firing alerts on an injected clock until they stop firing.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Config } from '../../schemas/config.js';
import { AlertmanagerSink, fingerprintLabel, formatAlertmanager, type AlertmanagerAlert } from '../../services/sinks/alertmanager.js';
import { AlertmanagerResender } from '../../services/router/am-resend.js';
import { Router } from '../../services/router/router.js';
import { policyFor } from '../../services/router/policies.js';
import { Metrics } from '../../services/lib/metrics.js';
import { silentLog } from '../../services/lib/log.js';
import { StateStore } from '../../services/state/store.js';
import { makeAlert } from '../helpers/alerts.js';
import { FakeClock } from '../helpers/fake-clock.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function amServer(status: (n: number) => number, now: () => number) {
  const got: Array<{ atMs: number; path: string; method: string; body: AlertmanagerAlert[] }> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ atMs: now(), path: req.url ?? '', method: req.method ?? '', body: JSON.parse(Buffer.concat(chunks).toString()) as AlertmanagerAlert[] });
      const s = status(got.length - 1);
      res.writeHead(s, s === 429 ? { 'retry-after': '5' } : {});
      res.end(s === 200 ? '' : 'bad alert');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, got };
}

describe('formatAlertmanager', () => {
  it('labels identify, annotations describe, endsAt = now + resolveTimeout', () => {
    const a = makeAlert({ ts: '2026-06-10T09:00:00Z' });
    const [out] = formatAlertmanager([a], { nowMs: Date.parse('2026-06-10T09:00:05Z'), resolveTimeoutMs: 300_000 });
    expect(out).toEqual({
      labels: { alertname: 'K9', severity: 'critical', source: 'tripline', fingerprint: fingerprintLabel(a) },
      annotations: {
        title: 'Rule K9',
        summary: a.summary,
        key: a.key,
        count: '1',
        runbook: 'docs/runbooks.md#k9',
        tripline_alert_id: a.id,
        actor: 'me@example.org',
        addresses: '203.0.113.50',
        outside_trusted: '203.0.113.50',
      },
      startsAt: '2026-06-10T09:00:00.000Z',
      endsAt: '2026-06-10T09:05:05.000Z',
    });
    expect(fingerprintLabel(a)).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('AlertmanagerSink', () => {
  it('POSTs a JSON array to /api/v2/alerts; maps 4xx, 5xx, 429 and refused connections', async () => {
    const now = () => Date.parse('2026-06-10T09:00:00Z');
    const codes = [200, 400, 500, 429];
    const { url, got } = await amServer((n) => codes[n]!, now);
    const sink = new AlertmanagerSink({ url: `${url}/`, resolveTimeoutMs: 300_000, timeoutMs: 5000, now });
    const a = makeAlert({ ts: '2026-06-10T09:00:00Z' });
    expect(await sink.send([a])).toEqual({ ok: true });
    expect(got[0]).toMatchObject({ method: 'POST', path: '/api/v2/alerts' });
    expect(Array.isArray(got[0]!.body)).toBe(true);
    expect((await sink.send([a])) as unknown).toMatchObject({ ok: false, failure: { code: 'TRIP_SINK_ALERTMANAGER_4XX', permanent: true } });
    expect((await sink.send([a])) as unknown).toMatchObject({ ok: false, failure: { code: 'TRIP_SINK_ALERTMANAGER_5XX', permanent: false } });
    expect((await sink.send([a])) as unknown).toMatchObject({ ok: false, failure: { code: 'TRIP_SINK_ALERTMANAGER_429', retryAfterMs: 5000 } });
    const down = new AlertmanagerSink({ url: 'http://127.0.0.1:9', resolveTimeoutMs: 300_000, timeoutMs: 5000, now });
    expect((await down.send([a])) as unknown).toMatchObject({ ok: false, failure: { code: 'TRIP_SINK_ALERTMANAGER_NETWORK', permanent: false } });
  });

  it('firing alerts are re-sent every resendInterval with a moving endsAt, until firingFor has passed', async () => {
    const clock = new FakeClock(Date.parse('2026-06-10T09:00:00Z'));
    const { url, got } = await amServer(() => 200, clock.now);
    const dir = mkdtempSync(join(tmpdir(), 'tripline-am-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const store = new StateStore({ stateDir: dir, now: clock.now });
    store.open();
    const config = Config.parse({ sinks: { alertmanager: { url, resendInterval: '1m', resolveTimeout: '5m', firingFor: '3m' } } });
    const am = new AlertmanagerSink({ url, resolveTimeoutMs: 300_000, timeoutMs: 5000, now: clock.now });
    const router = new Router({ store, sinks: [{ sink: am, policy: policyFor('alertmanager', config) }], metrics: new Metrics(), log: silentLog, now: clock.now, setTimer: clock.setTimer });
    const resender = new AlertmanagerResender({ store, router, sink: am, resendIntervalMs: 60_000, resolveTimeoutMs: 300_000, firingForMs: 180_000, now: clock.now, setTimer: clock.setTimer, log: silentLog, metrics: new Metrics() });
    await router.start();
    resender.start();
    cleanup.push(async () => {
      resender.stop();
      await router.stop();
      await resender.settled();
      store.close();
    });
    const settle = () => router.idle();
    const info = makeAlert({ ts: '2026-06-10T08:59:00Z', rule: 'I2', key: '1:402', severity: 'info' });
    const a = makeAlert({ ts: '2026-06-10T08:59:00Z' });
    store.commit({ positions: {}, alerts: [a, info] });
    router.wake();
    await settle();
    await clock.advance(5 * 60_000, settle);
    // The first send at 0, re-sends at 1, 2 and 3 min (firing for 3 min after delivery: the
    // one at exactly 3 min is past it), then nothing: Alertmanager resolves it by itself.
    const t0 = Date.parse('2026-06-10T09:00:00Z');
    expect(got.map((g) => [(g.atMs - t0) / 60_000, g.body.map((x) => x.annotations['tripline_alert_id'])])).toEqual([
      [0, [a.id]],
      [1, [a.id]],
      [2, [a.id]],
    ]);
    expect(got.map((g) => g.body[0]!.endsAt)).toEqual(['2026-06-10T09:05:00.000Z', '2026-06-10T09:06:00.000Z', '2026-06-10T09:07:00.000Z']);
    // Info (I2) is below the default minSeverity (warning) and never reached Alertmanager.
    expect(JSON.stringify(got)).not.toContain(info.id);
  });
});
