// Keeps one kafkajs consumer group membership alive across broker outages of any length
// (detect's two groups and state reader, route's group).
//
// Why: kafkajs restarts a crashed consumer by itself only when the error is retriable.
// After an outage longer than kafka.sessionTimeout the coordinator has dropped our
// member; the next OffsetCommit answers UNKNOWN_MEMBER_ID, which kafkajs wraps as
// non-retriable, and the consumer stops for good (CRASH with restart: false). It has
// already disconnected itself then, so the supervisor waits a bounded exponential backoff
// (backoff.ts, on injected timers), creates a fresh consumer, connects, subscribes, runs
// and rejoins the group. The group's committed offsets are where it resumes: the roles
// commit only what is safely downstream (detect: produced and acknowledged; route: in the
// outbox), so nothing is skipped, and what is read again is absorbed exactly as after a
// rebalance (deterministic alert ids, the outbox's INSERT OR IGNORE, checkpoint offsets).
// A failed attempt (broker still away) backs off further; only an unrecoverable
// configuration error (error-policy.ts) ends the role through onFatal.
//
// Invariants:
// - At most one consumer is live and at most one reconnect is scheduled; events from a
//   consumer that is no longer the live one are ignored.
// - Between a crash and the next GROUP_JOIN `joined` is false: the role owns no partition
//   then (another replica may have them), so it must not act for them (detect pauses its
//   checkpoints).
// - stop() cancels a scheduled reconnect; nothing reconnects after it.
import type { Consumer, ConsumerCrashEvent, ConsumerGroupJoinEvent } from 'kafkajs';
import type { Log } from '../lib/log.js';
import { Backoff } from './backoff.js';
import { FatalityJudge } from './error-policy.js';
import type { LinkStatus } from './link-status.js';
import type { Timers } from './timers.js';

export interface ConsumerSupervisorOptions {
  /** The client's name in logs, /readyz and metrics (e.g. "detect.events"). */
  name: string;
  /** A new, unconnected consumer (same group id every time: it resumes from the group's offsets). */
  create(): Consumer;
  /** Subscribes and runs a connected consumer; batches must act through the consumer passed here. */
  run(c: Consumer): Promise<void>;
  /** Every group join of the live consumer (its assignment is the truth). */
  onJoin?(ev: ConsumerGroupJoinEvent, c: Consumer): void;
  /** The live consumer crashed: nothing is owned until the next onJoin. */
  onLost?(): void;
  /** An unrecoverable error: the role exits (TRIP_KAFKA_FATAL). */
  onFatal(e: Error): void;
  log: Log;
  timers: Timers;
  now: () => number;
  status: LinkStatus;
  backoff?: Backoff;
  judge?: FatalityJudge;
}

export class ConsumerSupervisor {
  private live: Consumer | undefined;
  private pending: { cancel(): void } | undefined;
  private stopping = false;
  private joinedNow = false;
  private downSince: number | null = null;
  private readonly backoff: Backoff;
  private readonly judge: FatalityJudge;

  constructor(private readonly o: ConsumerSupervisorOptions) {
    this.backoff = o.backoff ?? new Backoff();
    this.judge = o.judge ?? new FatalityJudge();
  }

  /** The live consumer (the one to commit and seek on outside a batch). */
  get consumer(): Consumer | undefined {
    return this.live;
  }

  /** In the group now (false from a crash until the rejoin). */
  get joined(): boolean {
    return this.joinedNow;
  }

  /** Reconnect attempts scheduled since the last successful join. */
  get attempts(): number {
    return this.backoff.attempts;
  }

  /** The first start: a failure here is the caller's (a role that cannot start says so). */
  async start(): Promise<void> {
    this.o.status.set(this.o.name, 'connecting');
    await this.launch(this.o.create());
  }

  private async launch(c: Consumer): Promise<void> {
    this.live = c;
    c.on(c.events.CRASH, (ev) => this.crashed(c, ev));
    c.on(c.events.GROUP_JOIN, (ev) => this.joinedGroup(c, ev));
    await c.connect();
    await this.o.run(c);
  }

  private crashed(c: Consumer, ev: ConsumerCrashEvent): void {
    if (c !== this.live || this.stopping) return;
    const e = ev.payload.error;
    this.lost();
    if (this.fatal(e)) return;
    if (ev.payload.restart) {
      // Retriable: kafkajs restarts this same consumer itself; GROUP_JOIN says when it is back.
      this.o.log.warn({ code: 'TRIP_KAFKA_CONSUMER_CRASH', client: this.o.name, err: e.message, restart: true }, 'kafka: consumer crashed; kafkajs restarts it');
      return;
    }
    this.schedule(e, 'kafka: consumer stopped for good inside kafkajs; recreating it and rejoining the group after a backoff');
  }

  private lost(): void {
    this.downSince ??= this.o.now();
    this.o.status.set(this.o.name, 'reconnecting');
    if (this.joinedNow) {
      this.joinedNow = false;
      this.o.onLost?.();
    }
  }

  /** Judges a failure; true (and the role told) when it is unrecoverable. */
  private fatal(e: Error): boolean {
    const why = this.judge.failed(e);
    if (why === null) return false;
    this.o.status.set(this.o.name, 'fatal');
    this.o.log.error({ code: 'TRIP_KAFKA_CONSUMER_CRASH', client: this.o.name, err: e.message, fatal: why }, 'kafka: unrecoverable consumer error; not reconnecting');
    this.o.onFatal(e);
    return true;
  }

  private schedule(e: Error, msg: string): void {
    if (this.pending || this.stopping) return;
    const delay = this.backoff.next();
    this.o.log.warn({ code: 'TRIP_KAFKA_RECONNECT', client: this.o.name, err: e.message, attempt: this.backoff.attempts, retryInMs: delay }, msg);
    this.pending = this.o.timers.setTimer(() => {
      this.pending = undefined;
      void this.reconnect();
    }, delay);
  }

  private async reconnect(): Promise<void> {
    if (this.stopping) return;
    // kafkajs disconnected a consumer that stopped for good; a failed attempt's consumer
    // may be half-connected: either way, let go of it before the next one.
    await this.live?.disconnect().catch(() => undefined);
    if (this.stopping) return;
    this.o.status.recreated(this.o.name);
    const c = this.o.create();
    try {
      await this.launch(c);
    } catch (err) {
      // A consumer already superseded failing late is no news.
      if (this.stopping || c !== this.live) return;
      const e = err instanceof Error ? err : new Error(String(err));
      if (this.fatal(e)) return;
      this.schedule(e, 'kafka: reconnecting the consumer failed; trying again after a backoff');
    }
  }

  private joinedGroup(c: Consumer, ev: ConsumerGroupJoinEvent): void {
    if (c !== this.live || this.stopping) return;
    const attempts = this.backoff.attempts;
    const downMs = this.downSince === null ? null : this.o.now() - this.downSince;
    this.joinedNow = true;
    this.downSince = null;
    this.backoff.reset();
    this.judge.ok();
    this.o.status.set(this.o.name, 'up');
    if (downMs !== null) this.o.log.info({ code: 'TRIP_KAFKA_REJOINED', client: this.o.name, attempts, downMs }, 'kafka: consumer back in its group; resuming from the committed offsets');
    this.o.onJoin?.(ev, c);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.pending?.cancel();
    this.pending = undefined;
    this.o.status.set(this.o.name, 'stopped');
    await this.live?.disconnect().catch(() => undefined);
  }
}
