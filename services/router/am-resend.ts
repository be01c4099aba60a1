// Alertmanager re-sends (issue 5; formats.md §7): Alertmanager resolves an alert whose
// endsAt has passed, and forgets it on restart unless told again. Every `resendIntervalMs`
// (injected timer) this re-posts the newest delivered alert of each fingerprint that
// fired within `firingForMs`, with endsAt = now + resolveTimeout, through the sink's lane
// (so its rate limit and Retry-After hold). A fingerprint that stops firing is simply no
// longer re-sent and resolves after resolveTimeout. A failed re-send is logged and counted
// (TRIP_SINK_ALERTMANAGER_*), never queued: the next interval sends the current state.
import type { StateStore } from '../state/store.js';
import type { AlertmanagerSink } from '../sinks/alertmanager.js';
import { formatAlertmanager } from '../sinks/alertmanager.js';
import type { Log } from '../lib/log.js';
import type { Metrics } from '../lib/metrics.js';
import type { SetTimer } from './lane.js';
import type { Router } from './router.js';

export interface ResenderOptions {
  store: StateStore;
  router: Router;
  sink: AlertmanagerSink;
  resendIntervalMs: number;
  resolveTimeoutMs: number;
  firingForMs: number;
  now: () => number;
  setTimer: SetTimer;
  log: Log;
  metrics: Metrics;
}

export class AlertmanagerResender {
  private timer: { cancel(): void } | undefined;
  private running = false;
  private inflight: Promise<void> = Promise.resolve();

  constructor(private readonly o: ResenderOptions) {}

  start(): void {
    this.running = true;
    this.arm();
  }

  /** Stops the timer; a re-send in flight finishes or fails (see settled). */
  stop(): void {
    this.running = false;
    this.timer?.cancel();
  }

  /** Resolves when a re-send in flight has finished (await after the router stopped). */
  settled(): Promise<void> {
    return this.inflight;
  }

  /** One re-send round; returns how many alerts were re-sent (0 when none fire). */
  async resendNow(): Promise<number> {
    const o = this.o;
    const now = o.now();
    const firing = o.store.routes.recentlyDelivered(o.sink.name, now - o.firingForMs);
    if (firing.length === 0) return 0;
    const body = formatAlertmanager(firing, { nowMs: now, resolveTimeoutMs: o.resolveTimeoutMs });
    const r = await o.router.sendExtra(o.sink.name, () => o.sink.post(body));
    if (r.ok) {
      o.metrics.resends.inc({ sink: o.sink.name, status: 'ok' }, firing.length);
      return firing.length;
    }
    o.metrics.resends.inc({ sink: o.sink.name, status: 'failed' }, firing.length);
    o.log.warn({ code: r.failure.code, sink: o.sink.name, alerts: firing.length }, `${r.failure.message}: re-send of firing alerts failed; the next interval tries again`);
    return 0;
  }

  private arm(): void {
    if (!this.running) return;
    this.timer = this.o.setTimer(() => {
      this.inflight = this.resendNow()
        .catch((e: Error) => void this.o.log.error({ code: 'TRIP_ROUTER_RESEND', err: e.message }, 're-send round failed'))
        .then(() => this.arm());
    }, this.o.resendIntervalMs);
  }
}
