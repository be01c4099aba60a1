// One sink's delivery lane (issue 5): takes the routed messages of one sink out of the
// durable outbox, one at a time, and sends them.
//
// Invariants:
// - Head-of-line order: the lane always works on the first unsettled message in (ready time,
//   enqueue order). A failing message blocks the ones behind it, which is what keeps the
//   messages of a fingerprint in event order across outages and restarts; only a permanent
//   failure (dead) lets the queue move past it.
// - Rate: at most one message per `minIntervalMs` (Slack: 1 s per webhook), extra messages
//   (the digest) included.
// - 429: Retry-After blocks the whole sink until it expires: no request of any kind before.
//   It is also written as the head message's next attempt, so a restart keeps honouring it.
// - Transient failures (5xx, network) back off exponentially with jitter, for ever (nothing
//   may be lost while a sink is down); permanent ones (other 4xx) are dead-lettered:
//   marked dead in the outbox, logged and counted once per alert, never retried.
// - Time is the injected clock; waits are injected timers. Tests never sleep.
import type { SendFailure, SendResult, Sink } from '../sinks/types.js';
import type { StateStore } from '../state/store.js';
import type { Log } from '../lib/log.js';
import type { Metrics } from '../lib/metrics.js';
import type { SinkPolicy } from './policy.js';
import { routeNew } from './route-new.js';
import type { Silence } from '../../schemas/routing.js';

export type SetTimer = (fn: () => void, ms: number) => { cancel(): void };

/** issue 9: the longest the lane ever waits for a retry (backoff, Retry-After); see rebase(). */
export const MAX_WAIT_MS = 3_600_000;

export interface LaneOptions {
  sink: Sink;
  policy: SinkPolicy;
  store: StateStore;
  metrics: Metrics;
  log: Log;
  now: () => number;
  setTimer: SetTimer;
  silences: () => readonly Silence[];
  random?: () => number;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
}

/** A message outside the outbox (the digest) sent through the lane's rate limit. */
interface Extra {
  send: () => Promise<SendResult>;
  done: (r: SendResult) => void;
}

export class Lane {
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private queued = false;
  private timer: { cancel(): void } | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private lastSendMs = Number.NEGATIVE_INFINITY;
  private blockedUntil = Number.NEGATIVE_INFINITY;
  /** issue 9: the wall time the previous round saw, to notice the clock stepping back. */
  private lastSeenMs = Number.NEGATIVE_INFINITY;
  /** issue 9: the longest retry wait this lane has set (a stored retry time further ahead predates a step back). */
  private longestWait = 0;
  private readonly extras: Extra[] = [];

  constructor(private readonly o: LaneOptions) {}

  get name(): string {
    return this.o.sink.name;
  }

  start(): void {
    this.running = true;
    this.wake();
  }

  /** Something changed (new alerts, a timer fired): run a round after the current one. */
  wake(): void {
    if (!this.running || this.queued) return;
    this.queued = true;
    this.loop = this.loop.then(async () => {
      this.queued = false;
      try {
        await this.round();
      } catch (e) {
        // A state write failed (disk full, say): nothing was marked, so retrying later is safe.
        this.o.log.error({ code: 'TRIP_ROUTER_ROUND', sink: this.name, err: (e as Error).message }, 'delivery round failed; retrying');
        this.schedule(this.o.now() + (this.o.baseBackoffMs ?? 1000));
      }
    });
  }

  /** Resolves once no round is running or queued. */
  async idle(): Promise<void> {
    let p: Promise<void>;
    do {
      p = this.loop;
      await p;
    } while (p !== this.loop);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.timer?.cancel();
    this.timer = undefined;
    await this.idle();
    for (const x of this.extras.splice(0)) x.done({ ok: false, failure: { code: 'TRIP_ROUTER_STOPPED', permanent: false, message: 'the router stopped before this message was sent' } });
  }

  /** Sends a message that is not in the outbox, respecting this sink's rate and Retry-After. */
  sendExtra(send: () => Promise<SendResult>): Promise<SendResult> {
    return new Promise((done) => {
      this.extras.push({ send, done });
      this.wake();
    });
  }

  /**
   * issue 9 (hardening): the wall clock can step back (NTP, a VM restored from a snapshot).
   * Every wait here is "until wall time X"; after a step back by D, the times taken before
   * it (last send, Retry-After, and the ready and retry times stored in state.db) lay D
   * in the future, and every sink stalled for D: hours, a day. The in-memory ones move
   * back with the clock; a stored time further ahead than the lane itself waits (groupWait;
   * the longest backoff or Retry-After it set, at least maxBackoffMs) counts as due now.
   * A step forward strands a timer armed for a wall time now past: schedule() replaces it.
   * Each message is still sent once either way.
   */
  private rebase(t: number): void {
    if (t < this.lastSeenMs - 1000) {
      const d = this.lastSeenMs - t;
      this.lastSendMs -= d;
      this.blockedUntil -= d;
    }
    this.lastSeenMs = t;
  }

  private async round(): Promise<void> {
    const { store, sink, policy, now } = this.o;
    this.rebase(now()); // issue 9
    const routed = routeNew({ store, sink: sink.name, policy, silences: this.o.silences(), now: now(), metrics: this.o.metrics });
    // issue 9: a flood is bounded right after routing (outbox.ts OVERFLOW_CODE): the most
    // severe and oldest alerts stay queued, the rest are settled here as not posted.
    if (routed > 0 && policy.maxPending !== undefined) {
      const shed = store.outbox.shed(sink.name, policy.maxPending);
      if (shed > 0) {
        this.o.metrics.outboxShed.inc({ sink: sink.name }, shed);
        this.o.log.warn({ code: 'TRIP_ROUTE_OVERFLOW', sink: sink.name, alerts: shed, maxPending: policy.maxPending }, 'alert flood: backlog full, alerts not posted to this sink (kept in the outbox, the record sinks and the digest)');
      }
    }
    for (;;) {
      if (!this.running) return;
      const gate = Math.max(this.lastSendMs + policy.minIntervalMs, this.blockedUntil);
      const extra = this.extras[0];
      if (extra) {
        if (gate > now()) return this.schedule(gate);
        this.extras.shift();
        const r = await this.attempt(extra.send);
        if (!r.ok) this.noteRetryAfter(r.failure);
        extra.done(r);
        continue;
      }
      const head = store.routes.head(sink.name);
      if (!head) return;
      // issue 9: stored times beyond anything the lane would set were set before a clock step back.
      const t = now();
      const ready = head.readyMs > t + Math.max(policy.groupWaitMs, 0) + 1000 ? t : head.readyMs;
      const maxRetryWait = Math.max(this.longestWait, this.o.maxBackoffMs ?? 300_000) + 1000;
      const retryAt = head.nextAttemptMs !== null && head.nextAttemptMs > t + maxRetryWait ? t : (head.nextAttemptMs ?? Number.NEGATIVE_INFINITY);
      const at = Math.max(gate, ready, retryAt);
      if (at > now()) return this.schedule(at);
      const alerts = store.routes.members(sink.name, head.groupKey);
      if (alerts.length === 0) continue;
      const ids = alerts.map((a) => a.id);
      const result = await this.attempt(() => sink.send(alerts));
      if (result.ok) {
        store.routes.settle(ids, sink.name, { ok: true });
        this.o.metrics.deliveries.inc({ sink: sink.name }, ids.length);
        continue;
      }
      const f = result.failure;
      this.o.metrics.deliveryFailures.inc({ sink: sink.name, code: f.code });
      if (f.permanent) {
        store.routes.settle(ids, sink.name, { ok: false, permanent: true, code: f.code });
        this.o.metrics.deadLettered.inc({ sink: sink.name, code: f.code }, ids.length);
        this.o.log.error({ code: f.code, sink: sink.name, alerts: ids, rules: [...new Set(alerts.map((a) => a.rule))] }, `${f.message}: permanent failure, dead-lettered (not retried)`);
        continue;
      }
      this.noteRetryAfter(f);
      const wait = Math.min(MAX_WAIT_MS, f.retryAfterMs ?? this.backoff(head.attempts + 1)); // issue 9: bounded (rebase)
      this.longestWait = Math.max(this.longestWait, wait);
      const next = now() + wait;
      store.routes.settle(ids, sink.name, { ok: false, permanent: false, nextAttemptMs: next, code: f.code });
      this.o.log.warn({ code: f.code, sink: sink.name, alerts: ids.length, attempt: head.attempts + 1, retryInMs: wait }, `${f.message}: will retry`);
      return this.schedule(next);
    }
  }

  private async attempt(send: () => Promise<SendResult>): Promise<SendResult> {
    this.lastSendMs = this.o.now();
    try {
      return await send();
    } catch (e) {
      // A sender must return failures, not throw; a throw is treated as a transient bug.
      return { ok: false, failure: { code: 'TRIP_SINK_THREW', permanent: false, message: `sink ${this.name} threw: ${(e as Error).message}` } };
    }
  }

  private noteRetryAfter(f: SendFailure): void {
    if (f.retryAfterMs !== undefined) {
      this.blockedUntil = Math.max(this.blockedUntil, this.o.now() + Math.min(MAX_WAIT_MS, f.retryAfterMs));
      this.longestWait = Math.max(this.longestWait, Math.min(MAX_WAIT_MS, f.retryAfterMs));
    }
  }

  private schedule(atMs: number): void {
    if (!this.running) return;
    // issue 9: a timer armed for a wall time already past was armed before the clock stepped
    // forward (it fires on its own, monotonic, schedule): replace it rather than wait for it.
    if (this.timer && this.timerAt <= atMs && this.timerAt >= this.o.now() - 1000) return;
    this.timer?.cancel();
    this.timerAt = atMs;
    this.timer = this.o.setTimer(() => {
      this.timer = undefined;
      this.timerAt = Number.POSITIVE_INFINITY;
      this.wake();
    }, Math.max(0, atMs - this.o.now()));
  }

  /** Exponential backoff with jitter: between half and all of base * 2^(n-1), capped. */
  backoff(attempt: number): number {
    const base = this.o.baseBackoffMs ?? 1000;
    const max = this.o.maxBackoffMs ?? 300_000;
    const exp = Math.min(max, base * 2 ** Math.min(attempt - 1, 20));
    // Jitter keeps many alerts (or replicas) from retrying in lockstep against a recovering sink.
    return Math.round(exp / 2 + (this.o.random ?? Math.random)() * (exp / 2));
  }
}
