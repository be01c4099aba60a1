// Issue 9, floods.
//
// 1. One million distinct addresses, each failing sshd auth once, through the real
//    syslog parser and engine: memory stays bounded by engine.maxKeys (LRU evictions,
//    counted), the rate and the process's RSS/heap are reported.
// 2. 100,000 alerts in one minute, twice, through the real router stack (routing, the
//    Slack lane with the real @slack/webhook client against a local Slack, the digest
//    scheduler) on an injected clock: Slack gets at most one message a second, each a
//    group of at most route.maxGroupSize alerts; the Slack backlog is held at the outbox's
//    bound (tripline_outbox_depth{sink="slack"} ≤ DEFAULT_MAX_PENDING, the rest counted
//    in tripline_outbox_shed_total and listed in the digest); the bodies held stay under
//    the bound (tripline_outbox_open_rows) and the second flood barely grows state.db
//    (tripline_state_bytes); the daily digest still goes out at 09:00, mid-flood; no
//    alert is lost (every one is in the outbox, posted or accounted for).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../schemas/alert.js';
import { Config } from '../../schemas/config.js';
import { rules } from '../../rules/index.js';
import { Engine } from '../../services/engine/engine.js';
import { parseSyslog } from '../../services/parsers/syslog.js';
import type { ParseContext } from '../../services/parsers/types.js';
import { Metrics } from '../../services/lib/metrics.js';
import { silentLog } from '../../services/lib/log.js';
import { RoutingStack } from '../../services/router/stack.js';
import { SlackSink } from '../../services/sinks/slack.js';
import { FileSink } from '../../services/sinks/file.js';
import { jsonlIds } from '../helpers/cli-process.js';
import { DEFAULT_MAX_PENDING, OVERFLOW_CODE } from '../../services/state/outbox.js';
import { StateStore } from '../../services/state/store.js';
import { makeAlert } from '../helpers/alerts.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { SlackServer } from '../helpers/slack-server.js';
import { report } from './support/report.js';

const MB = 1024 * 1024;
const gc = (globalThis as { gc?: () => void }).gc;
function heapMb(): number {
  gc?.();
  return Math.round(process.memoryUsage().heapUsed / MB);
}
const rssMb = () => Math.round(process.memoryUsage().rss / MB);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tripline-flood-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('flood: 1,000,000 distinct addresses each failing sshd auth once', () => {
  it('engine keys stay at engine.maxKeys, evictions are counted, memory stays flat', () => {
    const TOTAL = 1_000_000;
    const maxKeys = 100_000; // the default
    const config = Config.parse({ health: { wallClock: false }, engine: { maxKeys } });
    const engine = new Engine({ rules, config, sources: [{ name: 'auth', kind: 'syslog' }] });
    const ctx: ParseContext = { kind: 'syslog', sourceName: 'auth', position: '', year: 2026, carry: {} };
    const start = Date.UTC(2026, 5, 10, 0, 0, 0);
    const pad = (n: number) => String(n).padStart(2, '0');
    let alerts = 0;
    let failures = 0;
    const heapBefore = heapMb();
    const rssBefore = rssMb();
    let heapAtFifth = 0;
    const t0 = performance.now();
    for (let i = 0; i < TOTAL; i++) {
      // All one million within ten minutes of event time: two S2 windows' worth at once.
      const s = Math.floor((i * 600) / TOTAL);
      const line = `Jun 10 00:${pad(Math.floor(s / 60))}:${pad(s % 60)} pve sshd[${1000 + (i % 30_000)}]: Failed password for invalid user admin from 11.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255} port ${1024 + (i % 60_000)} ssh2`;
      ctx.position = `line ${i + 1}`;
      const r = parseSyslog(line, ctx);
      if (!r.ok) {
        failures++;
        continue;
      }
      alerts += engine.push({ event: r.event, line }).length;
      if (i === TOTAL / 5) heapAtFifth = heapMb();
    }
    const ms = performance.now() - t0;
    const stats = engine.stats();
    const heapAfter = heapMb();
    const snapshotT0 = performance.now();
    const snapshotBytes = JSON.stringify(engine.snapshot()).length;
    const snapshotMs = performance.now() - snapshotT0;
    void start;
    report('flood: 1M distinct sshd failures', {
      lines: TOTAL,
      linesPerSec: Math.round(TOTAL / (ms / 1000)),
      seconds: Math.round(ms / 100) / 10,
      s2Keys: stats.keys['S2'],
      s2Evictions: stats.evictions['S2'],
      maxKeysAnyStructure: Math.max(...Object.values(stats.keys)),
      alerts,
      heapMbBefore: heapBefore,
      heapMbAt200k: heapAtFifth,
      heapMbAfter: heapAfter,
      rssMbBefore: rssBefore,
      rssMbAfter: rssMb(),
      snapshotMb: Math.round((snapshotBytes / MB) * 10) / 10,
      snapshotMs: Math.round(snapshotMs),
      gcExposed: gc !== undefined,
    });
    expect(failures).toBe(0);
    expect(alerts).toBe(0); // one failure per address: no brute force anywhere
    for (const [name, n] of Object.entries(stats.keys)) expect(n, name).toBeLessThanOrEqual(maxKeys);
    expect(stats.keys['S2']).toBe(maxKeys);
    expect(stats.evictions['S2']).toBeGreaterThanOrEqual(TOTAL - 2 * maxKeys);
    // Bounded: the last 800,000 addresses add (next to) nothing to the heap.
    if (gc) expect(heapAfter - heapAtFifth).toBeLessThan(Math.max(64, heapAtFifth * 0.25));
    expect(heapAfter - heapBefore).toBeLessThan(512);
  });
});

describe('flood: 100,000 alerts in one minute, twice', () => {
  it('Slack rate-limited and grouped, backlog and outbox bounded with metrics, digest goes out, nothing lost', async () => {
    const FLOOD = 100_000;
    const BATCH = 1000;
    const MAX_OPEN_ROWS = 20_000;
    const MAX_ROWS = 60_000;
    const clock = new FakeClock(Date.UTC(2026, 5, 10, 8, 59, 0));
    const server = new SlackServer(clock.now);
    await server.start();
    const stateDir = join(dir, 'alerts');
    const store = new StateStore({ stateDir, now: clock.now });
    store.open();
    const recordPath = join(dir, 'record.jsonl');
    const config = Config.parse({ sinks: { slack: { webhookUrl: server.url }, file: { path: recordPath } }, health: { wallClock: false } });
    const slack = new SlackSink({ url: server.url, timeoutMs: 5000, now: clock.now, format: { timezone: 'UTC', groupWaitMs: config.route.groupWait } });
    const metrics = new Metrics();
    const stack = new RoutingStack({
      store,
      sinks: [new FileSink(recordPath), slack],
      config: () => config,
      sources: [{ name: 'auth', kind: 'syslog' }],
      stateDir,
      stateExisted: false,
      newestEvent: () => new Map(),
      metrics,
      log: silentLog,
      now: clock.now,
      setTimer: clock.setTimer,
      random: () => 0.5,
    });
    // The bounds under test, lowered from their defaults (100,000 bodies, 500,000 rows) so two floods cross them.
    Object.assign((stack.router as unknown as { o: object }).o, { maxOpenRows: MAX_OPEN_ROWS, maxRows: MAX_ROWS });
    await stack.start();
    const settle = () => stack.idle();
    const gauge = async (name: string, labels: Record<string, string> = {}) =>
      (await (metrics as unknown as Record<string, { get(): Promise<{ values: Array<{ value: number; labels: Record<string, string> }> }> }>)[name]!.get()).values
        .filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))
        .reduce((a, v) => a + v.value, 0);

    const wall = performance.now();
    let seq = 0;
    const flood = async (label: string) => {
      const t0 = clock.ms;
      for (let b = 0; b < FLOOD / BATCH; b++) {
        const alerts: Alert[] = [];
        for (let i = 0; i < BATCH; i++, seq++) {
          // Mostly S2 (warning) from distinct addresses; one in a thousand a critical S1.
          const critical = seq % 1000 === 999;
          alerts.push(makeAlert({ rule: critical ? 'S1' : 'S2', severity: critical ? 'critical' : 'warning', key: `pve ${label} 11.${(seq >> 16) & 255}.${(seq >> 8) & 255}.${seq & 255}`, ts: new Date(clock.ms).toISOString(), n: seq }));
        }
        store.commit({ positions: { auth: { offset: seq } }, alerts });
        stack.wake();
        await clock.advance(600, settle); // 100 batches over one minute
      }
      return clock.ms - t0;
    };

    const floodMs1 = await flood('a');
    await clock.advance(120_000, settle); // two more minutes: the digest slot (09:00) passed mid-flood
    const depthAfter1 = await gauge('outboxDepth', { sink: 'slack' });
    const bytesAfter1 = await gauge('stateBytes');
    const openAfter1 = await gauge('outboxOpenRows');
    const floodMs2 = await flood('b');
    await clock.advance(180_000, settle);
    const bytesAfter2 = await gauge('stateBytes');
    const openAfter2 = await gauge('outboxOpenRows');
    const depthAfter2 = await gauge('outboxDepth', { sink: 'slack' });
    const shed = await gauge('outboxShed', { sink: 'slack' });
    const pruned = await gauge('outboxPressurePruned', { what: 'bodies' });
    const forgotten = await gauge('outboxPressurePruned', { what: 'ids' });
    const wallS = (performance.now() - wall) / 1000;

    // Rate: never two Slack messages within a second; every alert message a group of ≤ maxGroupSize.
    const times = server.received.map((r) => r.atMs);
    const minGap = Math.min(...times.slice(1).map((t, i) => t - times[i]!));
    const bodies = server.received.map((r) => JSON.stringify(r.body));
    const digests = bodies.filter((b) => b.includes('tripline daily digest'));
    const groupSizes = server.received
      .filter((r) => !JSON.stringify(r.body).includes('tripline daily digest'))
      .map((r) => [...JSON.stringify(r.body).matchAll(/Alert `([0-9a-f]{24})`/g)].length);
    const posted = groupSizes.reduce((a, n) => a + n, 0);

    // Accounting on Slack: each alert still in the outbox is delivered, shed, or queued; the
    // record sink below shows none was lost (rows beyond the bound were forgotten, once delivered).
    const counts = store.read((db) => ({
      rows: Number((db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n),
      delivered: Number((db.prepare(`SELECT count(*) AS n FROM deliveries WHERE sink = 'slack' AND status = 'delivered'`).get() as { n: number }).n),
      overflow: Number((db.prepare(`SELECT count(*) AS n FROM deliveries WHERE sink = 'slack' AND status = 'skipped' AND last_code = ?`).get(OVERFLOW_CODE) as { n: number }).n),
      criticalShedStillKnown: Number((db.prepare(`SELECT count(*) AS n FROM deliveries d JOIN outbox o ON o.id = d.alert_id WHERE d.sink = 'slack' AND d.status = 'skipped' AND o.severity = 'critical'`).get() as { n: number }).n),
    }));
    const queued = store.outbox.depth('slack');
    const recorded = jsonlIds(recordPath);

    report('flood: 100k alerts/minute through the router, twice', {
      alertsPerFlood: FLOOD,
      floodFakeSeconds: [floodMs1 / 1000, floodMs2 / 1000],
      wallSeconds: Math.round(wallS),
      slackMessages: server.received.length,
      slackMinGapMs: minGap,
      maxAlertsPerMessage: Math.max(...groupSizes),
      alertsPosted: posted,
      digestsPosted: digests.length,
      slackBacklogAfter: [depthAfter1, depthAfter2],
      shedTotal: shed,
      outboxRows: counts.rows,
      recordSinkAlerts: recorded.length,
      openRowsAfter: [openAfter1, openAfter2],
      bodiesDroppedUnderPressure: pruned,
      tombstonesForgottenUnderPressure: forgotten,
      stateMbAfter: [Math.round((bytesAfter1 / MB) * 10) / 10, Math.round((bytesAfter2 / MB) * 10) / 10],
    });

    expect(minGap).toBeGreaterThanOrEqual(1000);
    expect(Math.max(...groupSizes)).toBeLessThanOrEqual(config.route.maxGroupSize);
    expect(digests).toHaveLength(1);
    expect(digests[0]).toMatch(/TRIP_ROUTE_OVERFLOW/); // the digest says alerts were not posted
    expect(depthAfter1).toBeLessThanOrEqual(DEFAULT_MAX_PENDING);
    expect(depthAfter2).toBeLessThanOrEqual(DEFAULT_MAX_PENDING);
    expect(counts.rows).toBeLessThanOrEqual(MAX_ROWS);
    // The record sink (file) holds every alert exactly once: shedding never cost an alert.
    expect(recorded).toHaveLength(2 * FLOOD);
    expect(new Set(recorded).size).toBe(2 * FLOOD);
    expect(counts.delivered + counts.overflow + queued).toBe(counts.rows);
    expect(counts.criticalShedStillKnown).toBe(0);
    expect(shed).toBeGreaterThanOrEqual(counts.overflow); // some shed rows were forgotten since
    // Every one of the 200 critical alerts (one in a thousand) reached Slack: a flood of
    // warnings cannot push a critical alert out.
    const criticalPosted = server.received
      .filter((r) => JSON.stringify(r.body).includes('CRITICAL S1'))
      .reduce((n, r) => n + [...JSON.stringify(r.body).matchAll(/Alert `([0-9a-f]{24})`/g)].length, 0);
    expect(criticalPosted).toBe((2 * FLOOD) / 1000);
    expect(openAfter1).toBeLessThanOrEqual(MAX_OPEN_ROWS);
    expect(openAfter2).toBeLessThanOrEqual(MAX_OPEN_ROWS);
    expect(bytesAfter2).toBeLessThan(bytesAfter1 * 1.25); // the second flood reuses the first one's pages

    await stack.stop();
    store.close();
    await server.stop();
  });
});
