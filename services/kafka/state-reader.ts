// Reads the compacted tripline.state changelog (issue 7): the latest checkpoint of every
// signals partition, so a detector replica that is assigned a partition restores its
// state instead of starting blind.
//
// kafkajs has no manual partition assignment, so the reader is a consumer in a group of
// its own (unique per process, never committing) that reads the topic from the beginning
// and keeps the newest record per key. caughtUp() waits until it has read everything the
// topic held when asked (its high watermarks), so a checkpoint the previous owner wrote
// before dying is always seen.
import { randomBytes } from 'node:crypto';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import type { Log } from '../lib/log.js';

export class StateReader {
  private consumer: Consumer | undefined;
  private readonly latest = new Map<string, Buffer | null>();
  /** Next offset to read, per partition. */
  private readonly next = new Map<number, bigint>();
  private crashed: Error | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly topic: string,
    private readonly groupPrefix: string,
    private readonly log: Log,
  ) {}

  async start(): Promise<void> {
    const groupId = `${this.groupPrefix}.state-reader.${randomBytes(6).toString('hex')}`;
    const c = this.kafka.consumer({ groupId, sessionTimeout: 30_000, heartbeatInterval: 3000, maxBytesPerPartition: 64 * 1024 * 1024, maxWaitTimeInMs: 500 });
    this.consumer = c;
    c.on(c.events.CRASH, (ev) => {
      this.crashed = ev.payload.error;
      this.log.error({ code: 'TRIP_KAFKA_STATE_READER', err: ev.payload.error.message, restart: ev.payload.restart }, 'kafka: state reader crashed');
    });
    await c.connect();
    await c.subscribe({ topics: [this.topic], fromBeginning: true });
    await c.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          if (m.key) this.latest.set(m.key.toString('utf8'), m.value);
        }
        const last = batch.lastOffset();
        this.next.set(batch.partition, BigInt(last) + 1n);
      },
    });
  }

  /** Resolves once every record the topic holds now has been read. */
  async caughtUp(timeoutMs = 60_000): Promise<void> {
    const offsets = await this.admin.fetchTopicOffsets(this.topic);
    const started = Date.now();
    for (;;) {
      const behind = offsets.filter((o) => BigInt(o.high) > BigInt(o.low) && (this.next.get(o.partition) ?? 0n) < BigInt(o.high));
      if (behind.length === 0) return;
      if (this.crashed && Date.now() - started > timeoutMs / 2) throw this.crashed;
      if (Date.now() - started > timeoutMs) throw new Error(`kafka: state topic ${this.topic} not read up to its end within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** The newest record of `key` (null: none, or a tombstone). */
  get(key: string): Buffer | null {
    return this.latest.get(key) ?? null;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}
