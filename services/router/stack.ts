// Everything `tripline run` needs from the router (issue 5), started and stopped in order:
// the router itself (routing + delivery lanes), the silences watcher, the daily digest
// scheduler (when Slack is configured with digest on), Alertmanager re-sends (when that
// sink is on) and the source-health recorder. runtime.ts builds one of these in place of
// the former minimal deliverer.
import type { Config } from '../../schemas/config.js';
import type { Sink } from '../sinks/types.js';
import { SlackSink } from '../sinks/slack.js';
import { AlertmanagerSink } from '../sinks/alertmanager.js';
import type { StateStore } from '../state/store.js';
import type { Log } from '../lib/log.js';
import type { Metrics } from '../lib/metrics.js';
import type { SetTimer } from './lane.js';
import { Router } from './router.js';
import { policyFor } from './policies.js';
import { SilenceWatcher } from './silence-file.js';
import { DigestScheduler } from './digest/scheduler.js';
import { AlertmanagerResender } from './am-resend.js';
import { HealthRecorder } from './health-recorder.js';

export interface RoutingStackOptions {
  store: StateStore;
  sinks: Sink[];
  /** The current config (SIGHUP may replace it; routing policies are fixed at start). */
  config: () => Config;
  sources: ReadonlyArray<{ name: string; kind: string }>;
  stateDir: string;
  stateExisted: boolean;
  newestEvent: () => ReadonlyMap<string, number>;
  metrics: Metrics;
  log: Log;
  now: () => number;
  setTimer: SetTimer;
  random?: () => number;
}

export class RoutingStack {
  readonly router: Router;
  readonly digest: DigestScheduler | undefined;
  private readonly resender: AlertmanagerResender | undefined;
  private readonly health: HealthRecorder;

  constructor(o: RoutingStackOptions) {
    const config = o.config();
    const watcher = new SilenceWatcher(o.stateDir, o.log);
    const silences = () => watcher.current();
    this.router = new Router({
      store: o.store,
      sinks: o.sinks.map((sink) => ({ sink, policy: policyFor(sink.name, config) })),
      metrics: o.metrics,
      log: o.log,
      now: o.now,
      setTimer: o.setTimer,
      silences,
      random: o.random,
    });
    const slack = o.sinks.find((s): s is SlackSink => s instanceof SlackSink);
    if (slack && config.sinks?.slack?.digest !== false) {
      this.digest = new DigestScheduler({
        store: o.store,
        router: this.router,
        slack,
        config: o.config,
        silences,
        configuredSources: o.sources,
        stateExisted: o.stateExisted,
        now: o.now,
        setTimer: o.setTimer,
        log: o.log,
        metrics: o.metrics,
      });
    }
    const am = o.sinks.find((s): s is AlertmanagerSink => s instanceof AlertmanagerSink);
    const amConfig = config.sinks?.alertmanager;
    if (am && amConfig) {
      this.resender = new AlertmanagerResender({
        store: o.store,
        router: this.router,
        sink: am,
        resendIntervalMs: amConfig.resendInterval,
        resolveTimeoutMs: amConfig.resolveTimeout,
        firingForMs: amConfig.firingFor,
        now: o.now,
        setTimer: o.setTimer,
        log: o.log,
        metrics: o.metrics,
      });
    }
    this.health = new HealthRecorder({ store: o.store, metrics: o.metrics, sources: o.sources, newestEvent: o.newestEvent, now: o.now, setTimer: o.setTimer, log: o.log });
  }

  async start(): Promise<void> {
    await this.router.start();
    this.health.start();
    this.resender?.start();
    this.digest?.start();
  }

  /** New alerts are in the outbox. */
  wake(): void {
    this.router.wake();
  }

  idle(): Promise<void> {
    return this.router.idle();
  }

  /**
   * Stops timers, lets a running delivery round finish, then records the last health
   * sample. The router stops before the digest and re-sends are awaited: a message of
   * theirs still queued behind a rate limit is failed at once rather than holding the stop.
   */
  async stop(): Promise<void> {
    this.digest?.stop();
    this.resender?.stop();
    await this.router.stop();
    await this.digest?.settled();
    await this.resender?.settled();
    await this.health.stop();
  }
}
