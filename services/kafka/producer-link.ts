// The idempotent producer of a Kafka role (collect, detect) across broker outages.
//
// kafkajs reconnects a producer by itself on its next send, and a failed send rolls its
// sequence numbers back, so the caller's retry of the same records is deduplicated by the
// broker if the failed attempt did land after all. That is why a connection failure does
// NOT renew the producer (a new producer id would turn an in-doubt batch into a
// duplicate): the caller just retries later (collect: its backoff; detect: the consumer
// restart or the next tick).
//
// The producer is renewed only when its idempotent session is what broke:
// UNKNOWN_PRODUCER_ID (the broker expired our producer id during a long silence),
// OUT_OF_ORDER_SEQUENCE_NUMBER / INVALID_PRODUCER_EPOCH / INVALID_PRODUCER_ID_MAPPING
// (our sequence no longer matches the broker's: every later send would fail the same
// way), or the producer being disconnected. Records re-sent then may be duplicates, which
// the design absorbs (alert ids, the health lane's (ep, seq), the outbox).
// Configuration errors (error-policy.ts) go to onFatal: the role exits.
import type { Producer } from 'kafkajs';
import type { Log } from '../lib/log.js';
import { FatalityJudge, errorChain } from './error-policy.js';
import type { LinkStatus } from './link-status.js';

const SESSION_LOST_TYPES = new Set(['UNKNOWN_PRODUCER_ID', 'OUT_OF_ORDER_SEQUENCE_NUMBER', 'INVALID_PRODUCER_EPOCH', 'INVALID_PRODUCER_ID_MAPPING']);

/** True when the producer itself must be replaced (its idempotent session is gone). */
export function producerSessionLost(e: unknown): boolean {
  return errorChain(e).some((x) => (x.type !== undefined && SESSION_LOST_TYPES.has(x.type)) || /^The producer is disconnect/.test(x.message ?? ''));
}

export interface ProducerLinkOptions {
  /** The client's name in logs, /readyz and metrics (e.g. "detect.producer"). */
  name: string;
  create(): Producer;
  log: Log;
  status: LinkStatus;
  onFatal?(e: Error): void;
  judge?: FatalityJudge;
}

export class ProducerLink {
  private producer: Producer;
  private connecting: Promise<void> | undefined;
  private stopping = false;
  private readonly judge: FatalityJudge;

  constructor(private readonly o: ProducerLinkOptions) {
    this.judge = o.judge ?? new FatalityJudge();
    this.producer = o.create();
  }

  /** The first connect: a failure here is the caller's (a role that cannot start says so). */
  async connect(): Promise<void> {
    this.o.status.set(this.o.name, 'connecting');
    await this.ensure(this.producer);
    this.o.status.set(this.o.name, 'up');
  }

  private ensure(p: Producer): Promise<void> {
    if (p !== this.producer) return Promise.reject(new Error('kafka: producer renewed meanwhile'));
    this.connecting ??= p.connect().catch((e: unknown) => {
      if (p === this.producer) this.connecting = undefined;
      throw e;
    });
    return this.connecting;
  }

  /** Runs `fn` on the live producer; a failure is judged (see above) and rethrown for the caller to retry. */
  async use<T>(fn: (p: Producer) => Promise<T>): Promise<T> {
    const p = this.producer;
    try {
      await this.ensure(p);
      const r = await fn(p);
      if (p === this.producer && this.o.status.get(this.o.name) === 'reconnecting') {
        this.o.log.info({ code: 'TRIP_KAFKA_PRODUCER_BACK', client: this.o.name }, 'kafka: producing again');
        this.o.status.set(this.o.name, 'up');
      }
      this.judge.ok();
      return r;
    } catch (e) {
      this.failed(p, e instanceof Error ? e : new Error(String(e)));
      throw e;
    }
  }

  private failed(p: Producer, e: Error): void {
    if (this.stopping || p !== this.producer) return;
    const why = this.judge.failed(e);
    if (why !== null) {
      this.o.status.set(this.o.name, 'fatal');
      this.o.log.error({ code: 'TRIP_KAFKA_PRODUCER_FATAL', client: this.o.name, err: e.message, fatal: why }, 'kafka: unrecoverable producer error');
      this.o.onFatal?.(e);
      return;
    }
    if (this.o.status.get(this.o.name) !== 'reconnecting') {
      this.o.status.set(this.o.name, 'reconnecting');
      this.o.log.warn({ code: 'TRIP_KAFKA_PRODUCER_DOWN', client: this.o.name, err: e.message }, 'kafka: produce failed; holding the records and retrying until the broker is back');
    }
    if (producerSessionLost(e)) {
      this.o.log.warn({ code: 'TRIP_KAFKA_PRODUCER_RENEW', client: this.o.name, err: e.message }, 'kafka: the producer lost its idempotent session; renewing it');
      this.producer = this.o.create();
      this.connecting = undefined;
      this.o.status.recreated(this.o.name);
      void p.disconnect().catch(() => undefined);
    }
  }

  async disconnect(): Promise<void> {
    this.stopping = true;
    this.o.status.set(this.o.name, 'stopped');
    await this.producer.disconnect();
  }
}
