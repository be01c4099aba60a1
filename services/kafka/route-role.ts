// `tripline run --role route` (issue 7): consumes tripline.alerts (group <g>.route) into
// the durable outbox of --state-dir and delivers from there with the embedded runner's
// routing stack (services/router/stack.ts: routing, silences, digest, retries, the
// delivered-id log). The digest's per-source line counts stay empty here: lines are
// counted where they are read (the collectors), not in this process.
//
// Idempotent by alert id across detector replicas: alerts are keyed by id, so every copy
// of one id (a re-read after a replica died, a stage logged twice) lands on the same
// partition and so on the same route replica, whose outbox inserts an id once
// (INSERT OR IGNORE) and whose delivered-id log keeps it from being sent again. Offsets
// are committed after the alerts are in the outbox (at-least-once into the outbox,
// at-most-once per sink from it). Run one route replica per state directory; several
// replicas split the alert partitions between them.
//
// Broker outages: the consumer is supervised (consumer-supervisor.ts): when kafkajs gives
// up on it (its member expired during the outage) it is recreated after a backoff and
// rejoins the group from the committed offsets; what is read again is already in the
// outbox and ignored. Delivery from the outbox goes on meanwhile. Only configuration
// errors (error-policy.ts) end the process (onFatal → TRIP_KAFKA_FATAL).
import type { Config } from '../../schemas/config.js';
import type { KafkaConfig } from '../../schemas/kafka.js';
import type { Admin, Consumer, EachBatchPayload } from 'kafkajs';
import type { Alert } from '../../schemas/alert.js';
import { StateStore } from '../state/store.js';
import { loadLogged, openLoggedStore } from '../state/open-logged.js';
import { RoutingStack } from '../router/stack.js';
import type { Sink } from '../sinks/types.js';
import { Metrics } from '../lib/metrics.js';
import type { Log } from '../lib/log.js';
import { startHttp } from '../cli/run/http.js';
import { ensureTopics, makeKafka } from './client.js';
import { ConsumerSupervisor } from './consumer-supervisor.js';
import { LinkStatus } from './link-status.js';
import { KafkaMetrics } from './metrics.js';
import { decodeAlert } from './records.js';

export interface RouteRoleOptions {
  config: Config;
  kafka: KafkaConfig;
  sinks: Sink[];
  stateDir: string;
  httpListen: string | false;
  log: Log;
  now: () => number;
  /** The routing stack's timers and the reconnect backoff's (tests: a fake clock). */
  setTimer: (fn: () => void, ms: number) => { cancel(): void };
  /** Called on an unrecoverable Kafka error (error-policy.ts: bad credentials, ACLs, ...): exit 1. */
  onFatal?: (e: Error) => void;
}

export class RouteRole {
  readonly metrics = new Metrics(true);
  private readonly km = new KafkaMetrics(this.metrics);
  readonly links = new LinkStatus(this.km);
  private store!: StateStore;
  private deliverer!: RoutingStack;
  private admin: Admin | undefined;
  private consumer: ConsumerSupervisor | undefined;
  private fatal = false;
  private http: { close(): Promise<void>; port: number } | undefined;
  private stopping: Promise<void> | undefined;
  private running = false;

  constructor(private readonly o: RouteRoleOptions) {}

  get httpPort(): number | undefined {
    return this.http?.port;
  }

  async start(): Promise<void> {
    const { log, kafka: cfg } = this.o;
    const { store, report } = openLoggedStore({ stateDir: this.o.stateDir, now: this.o.now }, log);
    this.store = store;
    // The same routing and delivery as the embedded runner (services/cli/run/runtime.ts).
    this.deliverer = new RoutingStack({
      store: this.store,
      sinks: this.o.sinks,
      config: () => this.o.config,
      sources: (this.o.config.sources ?? []).map((s) => ({ name: s.name, kind: s.kind })),
      stateDir: this.o.stateDir,
      stateExisted: !report.created,
      newestEvent: () => new Map(),
      metrics: this.metrics,
      log,
      now: this.o.now,
      setTimer: this.o.setTimer,
    });
    await this.deliverer.start();

    const kafka = makeKafka(cfg, log, '-route');
    this.admin = kafka.admin();
    await this.admin.connect();
    await ensureTopics(this.admin, cfg, log);
    this.consumer = new ConsumerSupervisor({
      name: 'route',
      log,
      timers: { setTimer: this.o.setTimer },
      now: this.o.now,
      status: this.links,
      onFatal: (e) => {
        if (this.fatal || this.stopping) return;
        this.fatal = true;
        this.o.onFatal?.(e);
      },
      create: () =>
        kafka.consumer({
          groupId: `${cfg.groupId}.route`,
          sessionTimeout: cfg.sessionTimeout,
          heartbeatInterval: Math.max(500, Math.min(3000, Math.floor(cfg.sessionTimeout / 3))),
          maxWaitTimeInMs: 500,
        }),
      run: async (c) => {
        await c.subscribe({ topics: [cfg.topics.alerts], fromBeginning: true });
        await c.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (p) => this.batch(c, p) });
      },
    });
    await this.consumer.start();
    if (this.o.httpListen !== false) this.http = await startHttp(this.o.httpListen, this.metrics, { ready: () => this.readiness() });
    this.running = true;
    log.info({ group: `${cfg.groupId}.route`, topic: cfg.topics.alerts }, 'router started (consuming alerts from kafka)');
  }

  readiness(): { ready: boolean; detail: Record<string, unknown> } {
    return { ready: this.running && !this.stopping && this.links.up(), detail: { role: 'route', kafka: this.links.detail() } };
  }

  private async batch(c: Consumer, { batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (!isRunning() || isStale() || batch.messages.length === 0) return;
    const alerts: Alert[] = [];
    for (const m of batch.messages) {
      try {
        alerts.push(decodeAlert(m.value));
      } catch (e) {
        this.km.badRecords.inc({ topic: batch.topic });
        this.o.log.warn({ code: 'TRIP_KAFKA_BAD_RECORD', topic: batch.topic, partition: batch.partition, offset: m.offset, err: (e as Error).message }, 'kafka: skipping a record that is not an alert');
      }
    }
    this.km.consumed.inc({ topic: batch.topic }, batch.messages.length);
    // Into the outbox first (one transaction, duplicates ignored by id), then the offset.
    const r = this.store.commit({ positions: {}, alerts });
    for (const a of alerts) this.metrics.alerts.inc({ rule: a.rule, severity: a.severity });
    // Delivery is woken now, not after the offset commit: that commit fails when the group
    // forgot us during an outage, and the re-read after the rejoin inserts nothing new, so
    // a wake placed after it would leave these alerts waiting in the outbox.
    if (r.inserted > 0) this.deliverer.wake();
    const last = batch.lastOffset();
    resolveOffset(last);
    await c.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
    await heartbeat();
  }

  /** For tests: outbox contents per sink. */
  inspect() {
    return { outbox: this.store.outbox.stats(this.o.sinks.map((s) => s.name)) };
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.consumer?.stop();
      await this.admin?.disconnect().catch(() => undefined);
      await this.deliverer?.idle();
      await this.deliverer?.stop();
      await this.http?.close();
      this.store?.close();
    })();
    return this.stopping;
  }
}
