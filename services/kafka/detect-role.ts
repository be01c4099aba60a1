// `tripline run --role detect` (issue 7): one detector replica. Run N of them with the
// same config: they share two consumer groups and divide the partitions.
//
//   tripline.events ──(group <g>.detect.events)──▶ EventStage per partition
//        stateless match rules → tripline.alerts; the record → tripline.signals partitions
//        that own its state (stages.ts, routing.ts). Offsets are committed after those
//        outputs are acknowledged (at-least-once).
//   tripline.signals ─(group <g>.detect.signals)─▶ SignalStage per partition
//        keyed rules and the health lane → tripline.alerts. Every engine.checkpointInterval
//        the stage's state is written to tripline.state (key: the partition) with the
//        offset it covers, and only then is that offset committed. On assignment a replica
//        restores the partition from its latest checkpoint and re-reads the signals since;
//        deterministic alert ids make the re-read alerts duplicates the router drops.
//
// Rebalances: kafkajs has only the eager protocol and no revoke hook (formats.md §8), so
// GROUP_JOIN's assignment is the truth: stages of partitions no longer owned are dropped,
// new ones restored. After any rebalance kafkajs resumes retained partitions from their
// committed offset, behind the in-memory state: messages below a stage's own offset are
// skipped, and a fetch that starts past it is sent back (seek) to it.
//
// Broker outages (consumer-supervisor.ts, producer-link.ts): a consumer that kafkajs
// gives up on (its member expired during the outage) is recreated after a backoff and
// rejoins its group; the rejoin is a rebalance like any other (above). From the crash to
// the rejoin the replica owns nothing for sure, so it neither releases health-lane alerts
// nor checkpoints (another replica may have the partition by then). Only configuration
// errors (error-policy.ts) end the process (onFatal → TRIP_KAFKA_FATAL).
import type { Alert } from '../../schemas/alert.js';
import type { Config } from '../../schemas/config.js';
import type { KafkaConfig } from '../../schemas/kafka.js';
import type { Rule } from '../../rules/define.js';
import { CompressionTypes, type Admin, type Consumer, type ConsumerConfig, type EachBatchPayload, type Kafka, type Message } from 'kafkajs';
import { rules as allRules } from '../../rules/index.js';
import type { SourceInfo } from '../engine/engine.js';
import { Metrics } from '../lib/metrics.js';
import type { Log } from '../lib/log.js';
import { startHttp } from '../cli/run/http.js';
import { ensureTopics, makeKafka, makeProducer, sendAll } from './client.js';
import { ConsumerSupervisor } from './consumer-supervisor.js';
import { LinkStatus } from './link-status.js';
import { KafkaMetrics } from './metrics.js';
import { ProducerLink } from './producer-link.js';
import { RECORD_VERSION, toHealth, decodeEventRecord, decodeSignalHeaders, decodeStateRecord, encodeSignalHeaders, stateKey, type StateRecord } from './records.js';
import { EventStage, SignalStage, type SignalStageJson } from './stages.js';
import { StateReader } from './state-reader.js';
import { realTimers, sleepOn, type Timers } from './timers.js';
import { PartitionWatermarks } from './watermarks.js';

export interface DetectRoleOptions {
  config: Config;
  kafka: KafkaConfig;
  /** Watched sources (H1) in config order (the health lane's merge order); absent: every source seen. */
  sources?: readonly SourceInfo[];
  rules?: readonly Rule[];
  httpListen: string | false;
  log: Log;
  now: () => number;
  /** Called on an unrecoverable Kafka error (error-policy.ts: bad credentials, ACLs, ...): exit 1. */
  onFatal?: (e: Error) => void;
  /** Reconnect backoff timers (tests: a fake clock). */
  timers?: Timers;
}

/** Messages handled between two produce+commit rounds of an events partition. */
const CHUNK = 1000;
const TICK_MS = 250;

interface Owned {
  stage: SignalStage | null;
  ready: Promise<void>;
  /** Next signals offset the stage's state does not cover yet (null: fresh, take what comes). */
  next: bigint | null;
  checkpointedAt: number;
  dirty: boolean;
  revoked: boolean;
  chain: Promise<void>;
  ticking: boolean;
}

export class DetectRole {
  readonly metrics = new Metrics(true);
  private readonly km = new KafkaMetrics(this.metrics);
  readonly links = new LinkStatus(this.km);
  private kafka!: Kafka;
  private admin!: Admin;
  private producer!: ProducerLink;
  private reader!: StateReader;
  private events!: ConsumerSupervisor;
  private signals!: ConsumerSupervisor;
  private nSignals = 0;
  private readonly fronts = new Map<number, EventStage>();
  private readonly owned = new Map<number, Owned>();
  private readonly wm: PartitionWatermarks;
  private readonly rules: readonly Rule[];
  private timer: NodeJS.Timeout | undefined;
  private http: { close(): Promise<void>; port: number } | undefined;
  private stopping: Promise<void> | undefined;
  private running = false;
  private fatal = false;
  private readonly timers: Timers;

  constructor(private readonly o: DetectRoleOptions) {
    this.rules = o.rules ?? allRules;
    this.wm = new PartitionWatermarks(o.kafka.idleTimeout);
    this.timers = o.timers ?? realTimers;
  }

  /** Once: the first unrecoverable error ends the role; later ones are its echoes. */
  private readonly onFatal = (e: Error): void => {
    if (this.fatal || this.stopping) return;
    this.fatal = true;
    this.o.onFatal?.(e);
  };

  get httpPort(): number | undefined {
    return this.http?.port;
  }

  private stageOptions() {
    return { rules: this.rules, config: this.o.config, ...(this.o.sources ? { sources: this.o.sources } : {}) };
  }

  async start(): Promise<void> {
    const { log, kafka: cfg } = this.o;
    this.kafka = makeKafka(cfg, log, '-detect');
    this.admin = this.kafka.admin();
    await this.admin.connect();
    const counts = await ensureTopics(this.admin, cfg, log);
    this.nSignals = counts.signals;
    this.producer = new ProducerLink({ name: 'detect.producer', create: () => makeProducer(this.kafka), log, status: this.links, onFatal: this.onFatal });
    await this.producer.connect();
    const supervision = { log, timers: this.timers, now: this.o.now, status: this.links, onFatal: this.onFatal };
    this.reader = new StateReader({ kafka: this.kafka, admin: this.admin, topic: cfg.topics.state, groupPrefix: cfg.groupId, ...supervision });
    await this.reader.start();

    const consumerOpts: Omit<ConsumerConfig, 'groupId'> = {
      sessionTimeout: cfg.sessionTimeout,
      heartbeatInterval: Math.max(500, Math.min(3000, Math.floor(cfg.sessionTimeout / 3))),
      rebalanceTimeout: Math.max(60_000, cfg.sessionTimeout),
      // Up to 4 MiB per partition per fetch: the health partition takes every record.
      maxBytesPerPartition: 4 * 1024 * 1024,
      maxBytes: 16 * 1024 * 1024,
      // A fetch waits at most this long for data: bounds both latency and how long a
      // disconnect (SIGTERM) waits for the fetch in flight.
      maxWaitTimeInMs: 500,
    };
    // One consumer group per lane, supervised alike (a consumer kafkajs gives up on is replaced).
    const lane = (name: 'signals' | 'events', topic: string, batch: (c: Consumer, p: EachBatchPayload) => Promise<void>, assign: (partitions: number[]) => void): ConsumerSupervisor =>
      new ConsumerSupervisor({
        name: `detect.${name}`,
        ...supervision,
        create: () => this.kafka.consumer({ groupId: `${cfg.groupId}.detect.${name}`, ...consumerOpts }),
        run: async (c) => {
          await c.subscribe({ topics: [topic], fromBeginning: true });
          await c.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 4, eachBatch: (p) => batch(c, p) });
        },
        onJoin: (ev) => assign(ev.payload.memberAssignment[topic] ?? []),
      });
    this.signals = lane('signals', cfg.topics.signals, (c, p) => this.signalBatch(c, p), (parts) => this.assignSignals(parts));
    this.events = lane('events', cfg.topics.events, (c, p) => this.eventBatch(c, p), (parts) => this.assignEvents(parts));
    await this.signals.start();
    await this.events.start();

    this.running = true;
    this.timer = setInterval(() => this.tick(), TICK_MS);
    if (this.o.httpListen !== false) this.http = await startHttp(this.o.httpListen, this.metrics, { ready: () => this.readiness() });
    log.info({ signalsPartitions: this.nSignals, group: cfg.groupId }, 'detector replica started');
  }

  readiness(): { ready: boolean; detail: Record<string, unknown> } {
    const now = this.o.now();
    return {
      ready: this.running && !this.stopping && this.links.up(),
      detail: {
        role: 'detect',
        kafka: this.links.detail(),
        eventsPartitions: [...this.fronts.keys()].sort((a, b) => a - b),
        signalsPartitions: [...this.owned.keys()].sort((a, b) => a - b),
        watermark: this.wm.watermark(now),
        idlePartitions: this.wm.idle(now),
      },
    };
  }

  // ---- tripline.events → alerts + signals ------------------------------------------

  private assignEvents(partitions: number[]): void {
    for (const p of [...this.fronts.keys()]) if (!partitions.includes(p)) this.fronts.delete(p);
    this.wm.assign(partitions, this.o.now());
    this.o.log.info({ partitions }, 'kafka: events partitions assigned');
  }

  private async eventBatch(c: Consumer, { batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const cfg = this.o.kafka;
    const p = batch.partition;
    let front = this.fronts.get(p);
    if (!front) this.fronts.set(p, (front = new EventStage(this.stageOptions(), this.nSignals)));
    for (let i = 0; i < batch.messages.length; i += CHUNK) {
      if (!isRunning() || isStale()) return;
      const chunk = batch.messages.slice(i, i + CHUNK);
      const signals: Message[] = [];
      const alerts: Message[] = [];
      const now = this.o.now();
      for (const m of chunk) {
        let rec;
        try {
          rec = decodeEventRecord(m.value);
        } catch (e) {
          this.km.badRecords.inc({ topic: batch.topic });
          this.o.log.warn({ code: 'TRIP_KAFKA_BAD_RECORD', topic: batch.topic, partition: p, offset: m.offset, err: (e as Error).message }, 'kafka: skipping a record that does not decode');
          continue;
        }
        this.wm.observe(p, rec.ms, now);
        const routed = front.handle(rec);
        for (const a of routed.alerts) alerts.push({ key: a.id, value: JSON.stringify(a) });
        for (const [sp, meta] of routed.keyed) signals.push({ key: m.key, value: m.value, partition: sp, headers: encodeSignalHeaders(meta) });
        if (routed.health !== null) {
          const value = rec.e ? JSON.stringify(toHealth(rec)) : m.value;
          signals.push({ key: m.key, value, partition: routed.health, headers: encodeSignalHeaders({ rules: [], index: false, health: true }) });
        }
      }
      this.km.consumed.inc({ topic: batch.topic }, chunk.length);
      const topicMessages = [
        { topic: cfg.topics.signals, messages: signals },
        { topic: cfg.topics.alerts, messages: alerts },
      ].filter((t) => t.messages.length > 0);
      if (topicMessages.length > 0) await this.producer.use((pr) => sendAll(pr, topicMessages));
      this.km.produced.inc({ topic: cfg.topics.signals }, signals.length);
      this.km.produced.inc({ topic: cfg.topics.alerts }, alerts.length);
      const last = chunk[chunk.length - 1]!.offset;
      resolveOffset(last);
      await c.commitOffsets([{ topic: batch.topic, partition: p, offset: (BigInt(last) + 1n).toString() }]);
      await heartbeat();
    }
  }

  // ---- tripline.signals → alerts, checkpoints ------------------------------------

  private assignSignals(partitions: number[]): void {
    for (const [p, own] of [...this.owned]) {
      if (partitions.includes(p)) continue;
      own.revoked = true;
      this.owned.delete(p);
    }
    for (const p of partitions) {
      if (this.owned.has(p)) continue;
      const own: Owned = { stage: null, ready: Promise.resolve(), next: null, checkpointedAt: this.o.now(), dirty: false, revoked: false, chain: Promise.resolve(), ticking: false };
      own.ready = this.restore(p, own);
      own.chain = own.ready;
      this.owned.set(p, own);
    }
    this.o.log.info({ partitions }, 'kafka: signals partitions assigned');
  }

  /** The partition's latest checkpoint (tripline.state), or a fresh stage when there is none. */
  private async restore(p: number, own: Owned): Promise<void> {
    const cfg = this.o.kafka;
    for (let delay = 500; ; delay = Math.min(delay * 2, 10_000)) {
      try {
        await this.reader.caughtUp();
        const rec: StateRecord | null = decodeStateRecord(this.reader.get(stateKey(cfg.topics.signals, p)));
        const now = this.o.now();
        const state: SignalStageJson | undefined = rec ? { keyed: rec.keyed, health: rec.health as SignalStageJson['health'] } : undefined;
        own.stage = new SignalStage({ ...this.stageOptions(), nowMs: now }, state);
        own.next = rec ? BigInt(rec.offset) : null;
        this.km.restores.inc({ from: rec ? 'checkpoint' : 'fresh' });
        this.o.log.info({ partition: p, from: rec ? 'checkpoint' : 'fresh', offset: rec?.offset ?? null, writtenMs: rec?.writtenMs ?? null }, 'kafka: signals partition restored');
        return;
      } catch (e) {
        if (own.revoked || this.stopping) return;
        this.o.log.error({ code: 'TRIP_KAFKA_RESTORE', partition: p, err: (e as Error).message, retryInMs: delay }, 'kafka: cannot restore a signals partition yet; retrying');
        await sleepOn(this.timers, delay);
      }
    }
  }

  /** Runs `fn` after everything queued for the partition (batches and ticks never interleave). */
  private serial(own: Owned, fn: () => Promise<void>): Promise<void> {
    const run = own.chain.then(fn);
    own.chain = run.catch(() => undefined);
    return run;
  }

  private async produceAlerts(alerts: Alert[]): Promise<void> {
    if (alerts.length === 0) return;
    const topic = this.o.kafka.topics.alerts;
    await this.producer.use((pr) => sendAll(pr, [{ topic, messages: alerts.map((a) => ({ key: a.id, value: JSON.stringify(a) })) }]));
    this.km.produced.inc({ topic }, alerts.length);
  }

  private async signalBatch(c: Consumer, { batch, resolveOffset, heartbeat, isStale }: EachBatchPayload): Promise<void> {
    const p = batch.partition;
    let own = this.owned.get(p);
    if (!own) {
      this.assignSignals([...this.owned.keys(), p]);
      own = this.owned.get(p)!;
    }
    const o = own;
    await this.serial(o, async () => {
      if (isStale() || o.revoked || !o.stage || batch.messages.length === 0) return;
      const first = BigInt(batch.messages[0]!.offset);
      if (o.next !== null && first > o.next) {
        // The fetch starts past what the state covers (a commit newer than the checkpoint
        // we restored): go back to the checkpoint's offset.
        c.seek({ topic: batch.topic, partition: p, offset: o.next.toString() });
        return;
      }
      const now = this.o.now();
      const alerts: Alert[] = [];
      for (const m of batch.messages) {
        const off = BigInt(m.offset);
        if (o.next !== null && off < o.next) continue; // already in the restored state
        try {
          alerts.push(...o.stage.handle(decodeEventRecord(m.value), decodeSignalHeaders(m.headers), now));
        } catch (e) {
          this.km.badRecords.inc({ topic: batch.topic });
          this.o.log.warn({ code: 'TRIP_KAFKA_BAD_RECORD', topic: batch.topic, partition: p, offset: m.offset, err: (e as Error).message }, 'kafka: skipping a record that does not decode');
        }
        o.next = off + 1n;
        o.dirty = true;
      }
      this.km.consumed.inc({ topic: batch.topic }, batch.messages.length);
      alerts.push(...o.stage.release(now));
      await this.produceAlerts(alerts);
      resolveOffset(batch.lastOffset());
      if (now - o.checkpointedAt >= this.o.config.engine.checkpointInterval) await this.checkpoint(p, o, c);
      await heartbeat();
    });
  }

  /** State to tripline.state (acknowledged), then the offset it covers committed (on `c`, the group member that owns `p`). */
  private async checkpoint(p: number, own: Owned, c: Consumer | undefined): Promise<void> {
    if (!own.stage || own.next === null || !own.dirty || own.revoked || !c) return;
    const cfg = this.o.kafka;
    const now = this.o.now();
    const json = own.stage.toJSON();
    const rec: StateRecord = { v: RECORD_VERSION, topic: cfg.topics.signals, partition: p, offset: own.next.toString(), keyed: json.keyed, health: json.health, writtenMs: now };
    await this.producer.use((pr) => pr.send({ topic: cfg.topics.state, acks: -1, compression: CompressionTypes.GZIP, messages: [{ key: stateKey(cfg.topics.signals, p), value: JSON.stringify(rec) }] }));
    this.km.checkpoints.inc();
    own.checkpointedAt = now;
    own.dirty = false;
    await c.commitOffsets([{ topic: cfg.topics.signals, partition: p, offset: rec.offset }]);
  }

  /** Health-lane releases (the watermark moves with wall time too: idle sources), live H1, due checkpoints. */
  private tick(): void {
    const now = this.o.now();
    const wm = this.wm.watermark(now);
    if (wm !== null) this.km.watermark.set(wm / 1000);
    let buffered = 0;
    // Out of the signals group (an outage): the partitions may be another replica's by
    // now; their alerts and checkpoints wait for the rejoin, which says what is still ours.
    const member = this.signals.joined ? this.signals.consumer : undefined;
    for (const [p, own] of this.owned) {
      buffered += own.stage?.stats(now).health?.buffered ?? 0;
      if (own.ticking || !own.stage || !member) continue;
      own.ticking = true;
      void this.serial(own, async () => {
        if (own.revoked || !own.stage) return;
        const before = own.stage.changes;
        await this.produceAlerts(own.stage.release(this.o.now()));
        if (own.stage.changes !== before) own.dirty = true;
        if (this.o.now() - own.checkpointedAt >= this.o.config.engine.checkpointInterval) await this.checkpoint(p, own, member);
      })
        .catch((e: Error) => this.o.log.warn({ code: 'TRIP_KAFKA_TICK', partition: p, err: e.message }, 'kafka: signals partition tick failed; retrying'))
        .finally(() => (own.ticking = false));
    }
    this.km.healthBuffered.set(buffered);
  }

  /** Graceful stop: no more events taken, every owned partition checkpointed, groups left. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearInterval(this.timer);
      // No new events taken (the state reader is not needed any more either) ...
      await Promise.all([this.events?.stop(), this.reader?.stop().catch(() => undefined)]);
      // ... every owned signals partition checkpointed, so its next owner re-reads nothing
      // (unless the group is lost: then the partitions may be another replica's) ...
      const member = this.signals?.joined ? this.signals.consumer : undefined;
      await Promise.all(
        [...this.owned].map(([p, own]) =>
          this.serial(own, async () => {
            if (!own.stage || own.revoked || !member) return;
            const before = own.stage.changes;
            await this.produceAlerts(own.stage.release(this.o.now()));
            if (own.stage.changes !== before) own.dirty = true;
            await this.checkpoint(p, own, member);
          }).catch((e: Error) => this.o.log.warn({ partition: p, err: e.message }, 'kafka: final checkpoint failed')),
        ),
      );
      // ... then the group is left.
      await this.signals?.stop();
      await this.producer?.disconnect().catch(() => undefined);
      await this.admin?.disconnect().catch(() => undefined);
      await this.http?.close();
    })();
    return this.stopping;
  }
}
