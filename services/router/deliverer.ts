// Delivery from the durable outbox to the sinks. Invariants:
// - An alert is in the outbox (committed with its position) before any attempt.
// - At-least-once per sink, with the alert id as idempotency key: the store's
//   delivered-id log keeps a delivered alert from being sent again, across restarts.
// - Failures back off exponentially with jitter; a sink's Retry-After is honoured;
//   permanent failures are dead-lettered (marked, logged, counted), not retried forever.
// - Within a sink, alerts go out in outbox (enqueue) order, i.e. event-time order per
//   fingerprint as the engine emitted them.
import type { StateStore } from '../state/store.js';
import type { Sink } from '../sinks/types.js';
import type { Log } from '../lib/log.js';
import type { Metrics } from '../lib/metrics.js';

export interface DelivererOptions {
  store: StateStore;
  sinks: Sink[];
  metrics: Metrics;
  log: Log;
  now: () => number;
  /** Injected timer so tests control time. */
  setTimer: (fn: () => void, ms: number) => { cancel(): void };
  random?: () => number;
  batchSize?: number;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
}

export class Deliverer {
  private running = false;
  private wakeTimer: { cancel(): void } | undefined;
  private loop: Promise<void> = Promise.resolve();
  private pendingWake = false;

  constructor(private readonly o: DelivererOptions) {}

  /** Marks what sinks already hold as delivered, then starts delivering. */
  async start(): Promise<void> {
    for (const sink of this.o.sinks) {
      const held = (await sink.alreadyDelivered?.()) ?? new Set<string>();
      for (const row of this.o.store.outbox.pending(sink.name, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)) {
        if (held.has(row.alert.id)) this.o.store.outbox.markDelivered(row.alert.id, sink.name);
      }
    }
    this.running = true;
    this.wake();
  }

  /** New alerts are in the outbox: deliver them now. */
  wake(): void {
    if (!this.running) return;
    if (this.pendingWake) return;
    this.pendingWake = true;
    this.loop = this.loop.then(async () => {
      this.pendingWake = false;
      await this.drainOnce();
    });
  }

  /** Resolves when the current delivery round has finished. */
  async idle(): Promise<void> {
    await this.loop;
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wakeTimer?.cancel();
    await this.loop;
  }

  private async drainOnce(): Promise<void> {
    let nextAt = Number.POSITIVE_INFINITY;
    for (const sink of this.o.sinks) {
      for (;;) {
        if (!this.running) return;
        const rows = this.o.store.outbox.pending(sink.name, this.o.batchSize ?? 50, this.o.now());
        if (rows.length === 0) break;
        const result = await sink.send(rows.map((r) => r.alert));
        if (result.ok) {
          for (const r of rows) this.o.store.outbox.markDelivered(r.alert.id, sink.name);
          this.o.metrics.deliveries.inc({ sink: sink.name }, rows.length);
          continue;
        }
        const f = result.failure;
        this.o.metrics.deliveryFailures.inc({ sink: sink.name, code: f.code }, rows.length);
        const attempts = Math.max(...rows.map((r) => r.attempts)) + 1;
        const backoff = f.retryAfterMs ?? this.backoff(attempts);
        const next = this.o.now() + backoff;
        for (const r of rows) this.o.store.outbox.markFailed(r.alert.id, sink.name, { permanent: f.permanent, nextAttemptMs: next, code: f.code });
        this.o.log.warn({ code: f.code, sink: sink.name, alerts: rows.length, permanent: f.permanent, retryInMs: f.permanent ? null : backoff }, f.message);
        if (!f.permanent) nextAt = Math.min(nextAt, next);
        break;
      }
      this.o.metrics.outboxDepth.set({ sink: sink.name }, this.o.store.outbox.depth(sink.name));
    }
    if (Number.isFinite(nextAt) && this.running) {
      this.wakeTimer?.cancel();
      this.wakeTimer = this.o.setTimer(() => this.wake(), Math.max(0, nextAt - this.o.now()));
    }
  }

  private backoff(attempts: number): number {
    const base = this.o.baseBackoffMs ?? 1000;
    const max = this.o.maxBackoffMs ?? 300_000;
    const exp = Math.min(max, base * 2 ** Math.min(attempts - 1, 20));
    // Full jitter keeps many alerts (or replicas) from retrying in lockstep.
    return Math.round(exp / 2 + (this.o.random ?? Math.random)() * (exp / 2));
  }
}
