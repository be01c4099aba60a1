// Reads the compacted tripline.state changelog (issue 7): the latest checkpoint of every
// signals partition, so a detector replica that is assigned a partition restores its
// state instead of starting blind.
//
// kafkajs has no manual partition assignment, so the reader is a consumer in a group of
// its own (unique per process, never committing) that reads the topic from the beginning
// and keeps the newest record per key. caughtUp() waits until it has read everything the
// topic held when asked (its high watermarks), so a checkpoint the previous owner wrote
// before dying is always seen.
//
// Broker outages: the consumer is supervised (consumer-supervisor.ts). A recreated one
// reads the topic from the beginning again (nothing committed); records below what was
// already read are skipped, so `latest` never steps back to an older checkpoint.
import { randomBytes } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import type { Log } from '../lib/log.js';
import { ConsumerSupervisor } from './consumer-supervisor.js';
import type { LinkStatus } from './link-status.js';
import type { Timers } from './timers.js';

export interface StateReaderOptions {
  kafka: Kafka;
  admin: Admin;
  topic: string;
  groupPrefix: string;
  log: Log;
  timers: Timers;
  now: () => number;
  status: LinkStatus;
  onFatal(e: Error): void;
}

export class StateReader {
  private sup: ConsumerSupervisor | undefined;
  private readonly latest = new Map<string, Buffer | null>();
  /** Next offset to read, per partition. */
  private readonly next = new Map<number, bigint>();

  constructor(private readonly o: StateReaderOptions) {}

  async start(): Promise<void> {
    const groupId = `${this.o.groupPrefix}.state-reader.${randomBytes(6).toString('hex')}`;
    const { kafka, topic } = this.o;
    this.sup = new ConsumerSupervisor({
      name: 'detect.state-reader',
      log: this.o.log,
      timers: this.o.timers,
      now: this.o.now,
      status: this.o.status,
      onFatal: this.o.onFatal,
      create: () => kafka.consumer({ groupId, sessionTimeout: 30_000, heartbeatInterval: 3000, maxBytesPerPartition: 64 * 1024 * 1024, maxWaitTimeInMs: 500 }),
      run: async (c) => {
        await c.subscribe({ topics: [topic], fromBeginning: true });
        await c.run({
          autoCommit: false,
          eachBatchAutoResolve: true,
          eachBatch: async ({ batch }) => {
            const from = this.next.get(batch.partition) ?? 0n;
            for (const m of batch.messages) {
              if (BigInt(m.offset) < from) continue; // read before a reconnect
              if (m.key) this.latest.set(m.key.toString('utf8'), m.value);
            }
            const last = BigInt(batch.lastOffset()) + 1n;
            if (last > from) this.next.set(batch.partition, last);
          },
        });
      },
    });
    await this.sup.start();
  }

  /** Resolves once every record the topic holds now has been read. */
  async caughtUp(timeoutMs = 60_000): Promise<void> {
    const offsets = await this.o.admin.fetchTopicOffsets(this.o.topic);
    const started = Date.now();
    for (;;) {
      const behind = offsets.filter((o) => BigInt(o.high) > BigInt(o.low) && (this.next.get(o.partition) ?? 0n) < BigInt(o.high));
      if (behind.length === 0) return;
      // Out of its group (reconnecting): the caller retries later rather than wait it out here.
      if (this.sup && !this.sup.joined && Date.now() - started > timeoutMs / 2) throw new Error(`kafka: state reader reconnecting; ${this.o.topic} not read up to its end yet`);
      if (Date.now() - started > timeoutMs) throw new Error(`kafka: state topic ${this.o.topic} not read up to its end within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** The newest record of `key` (null: none, or a tombstone). */
  get(key: string): Buffer | null {
    return this.latest.get(key) ?? null;
  }

  async stop(): Promise<void> {
    await this.sup?.stop();
  }
}
