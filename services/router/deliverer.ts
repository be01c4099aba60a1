// Delivery from the durable outbox to the sinks: the lead's original entry point, kept as
// a thin facade over the router (issue 5) for callers that only need delivery (the Kafka
// route role). It routes and delivers exactly as `tripline run` does (router.ts, lane.ts:
// per-sink policies, dedup, grouping, silences, order, rate, backoff, Retry-After, dead
// letters). For the digest, Alertmanager re-sends and source health as well, use
// RoutingStack (stack.ts).
//
// Invariants (unchanged): an alert is in the outbox before any attempt; at-least-once per
// sink with the alert id as idempotency key; the delivered-id log prevents a second post
// across restarts; within a sink, messages leave in outbox order.
import { Config } from '../../schemas/config.js';
import type { StateStore } from '../state/store.js';
import type { Sink } from '../sinks/types.js';
import type { Log } from '../lib/log.js';
import type { Metrics } from '../lib/metrics.js';
import { Router } from './router.js';
import { policyFor } from './policies.js';
import { SilenceWatcher } from './silence-file.js';

export interface DelivererOptions {
  store: StateStore;
  sinks: Sink[];
  metrics: Metrics;
  log: Log;
  now: () => number;
  /** Injected timer so tests control time. */
  setTimer: (fn: () => void, ms: number) => { cancel(): void };
  random?: () => number;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** Routing config (route.*, sinks.*.minSeverity); default: the embedded defaults. */
  config?: Config;
  /** Where silences.json lives; without it no silences apply. */
  stateDir?: string;
}

export class Deliverer {
  private readonly router: Router;

  constructor(o: DelivererOptions) {
    const config = o.config ?? Config.parse({});
    const watcher = o.stateDir === undefined ? undefined : new SilenceWatcher(o.stateDir, o.log);
    this.router = new Router({
      store: o.store,
      sinks: o.sinks.map((sink) => ({ sink, policy: policyFor(sink.name, config) })),
      metrics: o.metrics,
      log: o.log,
      now: o.now,
      setTimer: o.setTimer,
      silences: watcher ? () => watcher.current() : undefined,
      random: o.random,
      baseBackoffMs: o.baseBackoffMs,
      maxBackoffMs: o.maxBackoffMs,
    });
  }

  /** Marks what sinks already hold as delivered, then starts delivering. */
  start(): Promise<void> {
    return this.router.start();
  }

  /** New alerts are in the outbox: deliver them now. */
  wake(): void {
    this.router.wake();
  }

  /** Resolves when the current delivery round has finished. */
  idle(): Promise<void> {
    return this.router.idle();
  }

  stop(): Promise<void> {
    return this.router.stop();
  }
}
