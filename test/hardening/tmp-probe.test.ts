import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'vitest';
import { Config } from '../../schemas/config.js';
import { Metrics } from '../../services/lib/metrics.js';
import { silentLog } from '../../services/lib/log.js';
import { RoutingStack } from '../../services/router/stack.js';
import { SlackSink } from '../../services/sinks/slack.js';
import { StateStore } from '../../services/state/store.js';
import { RouteStore } from '../../services/state/routes.js';
import { Outbox } from '../../services/state/outbox.js';
import * as rn from '../../services/router/route-new.js';
import { makeAlert } from '../helpers/alerts.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { SlackServer } from '../helpers/slack-server.js';
const T: Record<string, number> = {};
function wrap(proto: any, name: string) { const f = proto[name]; proto[name] = function (...a: any[]) { const t = performance.now(); try { return f.apply(this, a); } finally { T[name] = (T[name] ?? 0) + performance.now() - t; } }; }
for (const n of ['head', 'members', 'unrouted', 'record', 'openGroup', 'lastPost', 'settle']) wrap(RouteStore.prototype, n);
for (const n of ['shed', 'relieve', 'stats', 'depth', 'insert']) wrap(Outbox.prototype, n);
it('probe', async () => {
  const N = Number(process.env.N ?? 20000);
  const clock = new FakeClock(Date.UTC(2026, 5, 10, 8, 59, 0));
  const server = new SlackServer(clock.now); await server.start();
  const dir = mkdtempSync(join(tmpdir(), 'probe-'));
  const store = new StateStore({ stateDir: dir, now: clock.now }); store.open();
  const config = Config.parse({ sinks: { slack: { webhookUrl: server.url } } });
  const slack = new SlackSink({ url: server.url, timeoutMs: 5000, now: clock.now, format: { timezone: 'UTC' } });
  const metrics = new Metrics();
  const stack = new RoutingStack({ store, sinks: [slack], config: () => config, sources: [{ name: 'auth', kind: 'syslog' }], stateDir: dir, stateExisted: false, newestEvent: () => new Map(), metrics, log: silentLog, now: clock.now, setTimer: clock.setTimer, random: () => 0.5 });
  await stack.start();
  const t0 = performance.now();
  let seq = 0;
  for (let b = 0; b < N / 1000; b++) {
    const alerts = Array.from({ length: 1000 }, () => { seq++; return makeAlert({ rule: 'S2', severity: 'warning', key: `pve 11.${seq >> 16}.${(seq >> 8) & 255}.${seq & 255}`, ts: new Date(clock.ms).toISOString(), n: seq }); });
    const tc = performance.now(); store.commit({ positions: {}, alerts }); T.commit = (T.commit ?? 0) + performance.now() - tc;
    stack.wake();
    await clock.advance(600, () => stack.idle());
  }
  process.stdout.write(`flood ${N}: ${(performance.now() - t0).toFixed(0)} ms slack=${server.received.length}\n`);
  await clock.advance(120_000, () => stack.idle());
  process.stdout.write(`+120s: ${(performance.now() - t0).toFixed(0)} ms slack=${server.received.length}\n${JSON.stringify(Object.fromEntries(Object.entries(T).map(([k, v]) => [k, Math.round(v)])))}\n`);
  await stack.stop(); store.close(); await server.stop(); rmSync(dir, { recursive: true, force: true });
});
