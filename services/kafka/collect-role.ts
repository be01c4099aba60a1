// `tripline run --role collect` (issue 7): the configured collectors, parsing, and an
// idempotent producer to tripline.events. No engine here: detector replicas consume.
//
// Per batch a collector hands over: run the raw-line prefilter the replay uses
// (engine/prefilter.ts: a line it proves no keyed rule can concern is sent as a quiet
// line, for H1/H2 only, without parsing), parse the rest (failures go to the dead-letter
// file AND to Kafka, H2 counts them), stamp each with its source's sequence number and
// order time (records.ts SourceStamper), produce them keyed by source + host (one host's
// lines stay in order on one partition) with acks=all, and only once the broker has
// acknowledged them commit the collector's position, together with the stamper's state,
// to the local state store. A crash between the two re-reads the batch and re-sends the
// same sequence numbers: downstream drops or absorbs the duplicates.
//
// Invariants: a position never advances past records the broker has not acknowledged; a
// failed send is retried with backoff, never skipped (the collector waits: backpressure),
// however long the broker is away (producer-link.ts); only a configuration error
// (error-policy.ts: bad credentials, ACLs, ...) ends the role (onFatal → TRIP_KAFKA_FATAL).
import { join } from 'node:path';
import type { Config } from '../../schemas/config.js';
import type { KafkaConfig } from '../../schemas/kafka.js';
import type { InputKind } from '../../schemas/event.js';
import type { SourceConfig } from '../../schemas/run-config.js';
import type { CollectedBatch, Collector, SourcePosition } from '../collectors/types.js';
import { parsers } from '../parsers/index.js';
import { ParseContexts } from '../parsers/contexts.js';
import type { ParseContext, ParseError, Parser } from '../parsers/types.js';
import { compilePrefilter, type LinePrefilter } from '../engine/prefilter.js';
import { rules } from '../../rules/index.js';
import { StateStore } from '../state/store.js';
import { loadLogged, openLoggedStore } from '../state/open-logged.js';
import { Metrics } from '../lib/metrics.js';
import type { Log } from '../lib/log.js';
import { DeadLetters } from '../cli/run/dead-letters.js';
import { startHttp } from '../cli/run/http.js';
import type { Admin, Message } from 'kafkajs';
import { Backoff } from './backoff.js';
import { ensureTopics, makeKafka, makeProducer, sendAll } from './client.js';
import { LinkStatus } from './link-status.js';
import { KafkaMetrics } from './metrics.js';
import { ProducerLink } from './producer-link.js';
import { eventKey, newEpoch, SourceStamper, type EventRecord, type StamperState } from './records.js';

export interface CollectRoleOptions {
  config: Config;
  kafka: KafkaConfig;
  sources: SourceConfig[];
  makeCollector: (s: SourceConfig) => Collector;
  stateDir: string;
  httpListen: string | false;
  log: Log;
  now: () => number;
  sleep?: (ms: number) => Promise<void>;
  year?: number;
  /** Called on an unrecoverable Kafka error (error-policy.ts): exit 1. */
  onFatal?: (e: Error) => void;
}

/** What collect saves per source: the collector's own position and where its numbering stands. */
interface SavedPosition {
  pos: SourcePosition;
  kafka: StamperState;
}

function isSaved(p: SourcePosition | undefined): p is SourcePosition & SavedPosition {
  return p !== undefined && typeof p['kafka'] === 'object' && p['kafka'] !== null && typeof p['pos'] === 'object';
}

/**
 * One record as the collector publishes it: quiet (prefiltered), an event, or a failure;
 * `ctx` is the source's parse context with this record's position and flags set.
 */
export function stampRecord(
  stamper: SourceStamper,
  text: string,
  ctx: ParseContext,
  parse: Parser,
  prefilter: LinePrefilter | null,
): { rec: EventRecord; key: string; error?: ParseError } {
  const quiet = prefilter === null ? null : prefilter(text, ctx);
  if (quiet !== null) return { rec: stamper.quiet(quiet, ctx.position, text), key: eventKey(stamper.src, null) };
  const r = parse(text, ctx);
  if (r.ok) return { rec: stamper.event(r.event, text), key: eventKey(stamper.src, r.event.host) };
  return { rec: stamper.failure(r.error.code), key: eventKey(stamper.src, null), error: r.error };
}

export class CollectRole {
  readonly metrics = new Metrics(true);
  private readonly km = new KafkaMetrics(this.metrics);
  readonly links = new LinkStatus(this.km);
  private store!: StateStore;
  private admin: Admin | undefined;
  private producer: ProducerLink | undefined;
  private fatal = false;
  private deadLetters!: DeadLetters;
  private topic!: string;
  private readonly collectors: Collector[] = [];
  private readonly stampers = new Map<string, SourceStamper>();
  private readonly contexts: ParseContexts;
  private readonly prefilters = new Map<InputKind, LinePrefilter | null>();
  private http: { close(): Promise<void>; port: number } | undefined;
  private stopping: Promise<void> | undefined;
  private opened = false;

  constructor(private readonly o: CollectRoleOptions) {
    this.contexts = new ParseContexts(o.year);
  }

  get httpPort(): number | undefined {
    return this.http?.port;
  }

  async start(): Promise<void> {
    const { log } = this.o;
    const { store } = openLoggedStore({ stateDir: this.o.stateDir, now: this.o.now }, log);
    this.store = store;
    const loaded = loadLogged(this.store, log);
    this.deadLetters = new DeadLetters(join(this.o.stateDir, 'dead-letter.jsonl'), this.metrics);

    const kafka = makeKafka(this.o.kafka, log, '-collect');
    this.admin = kafka.admin();
    await this.admin.connect();
    await ensureTopics(this.admin, this.o.kafka, log);
    this.topic = this.o.kafka.topics.events;
    this.producer = new ProducerLink({
      name: 'collect.producer',
      create: () => makeProducer(kafka),
      log,
      status: this.links,
      onFatal: (e) => {
        if (this.fatal || this.stopping) return;
        this.fatal = true;
        this.o.onFatal?.(e);
      },
    });
    await this.producer.connect();

    if (this.o.httpListen !== false) this.http = await startHttp(this.o.httpListen, this.metrics, { ready: () => this.readiness() });

    for (const s of this.o.sources) {
      const saved = loaded.positions[s.name];
      // A position saved by the embedded runner (no numbering yet) resumes the collector with a new epoch.
      const from = isSaved(saved) ? saved.pos : saved;
      const st: StamperState = isSaved(saved) ? saved.kafka : { ep: newEpoch(this.o.now()), seq: 0, ms: null, ns: 0 };
      this.stampers.set(s.name, new SourceStamper(s.name, s.kind, st));
      const c = this.o.makeCollector(s);
      this.collectors.push(c);
      await c.start(from, (batch) => this.handle(batch));
      log.info({ source: s.name, kind: s.kind, detail: c.status().detail, resumed: saved !== undefined, epoch: st.ep, seq: st.seq }, 'source opened (publishing to kafka)');
    }
    this.opened = true;
  }

  readiness(): { ready: boolean; detail: Record<string, unknown> } {
    const sources = Object.fromEntries(this.collectors.map((c) => [c.name, c.status()]));
    return { ready: this.opened && !this.stopping && this.links.up() && this.collectors.every((c) => c.status().opened), detail: { role: 'collect', kafka: this.links.detail(), sources } };
  }

  private context(source: string, kind: InputKind): ParseContext {
    return this.contexts.get(source, kind);
  }

  /** One collector batch: parse, stamp, produce (acks=all), then commit the position. */
  private async handle(batch: CollectedBatch): Promise<void> {
    const stamper = this.stampers.get(batch.source);
    if (!stamper) throw new Error(`collect: batch from unknown source ${batch.source}`);
    const parse = parsers[batch.kind];
    const ctx = this.context(batch.source, batch.kind);
    if (!this.prefilters.has(batch.kind)) this.prefilters.set(batch.kind, compilePrefilter(rules, this.o.config, batch.kind));
    const prefilter = this.prefilters.get(batch.kind)!;
    const messages: Message[] = [];
    this.metrics.linesRead.inc({ source: batch.source }, batch.records.length);
    for (const rec of batch.records) {
      ctx.position = rec.position;
      ctx.invalidUtf8 = rec.invalidUtf8;
      ctx.truncated = rec.truncated;
      ctx.refMs = this.o.year === undefined ? rec.refMs : undefined;
      ctx.defaultHost = rec.defaultHost;
      const s = stampRecord(stamper, rec.text, ctx, parse, prefilter);
      if (s.error) {
        this.metrics.parseFailures.inc({ source: batch.source, code: s.error.code });
        this.deadLetters.write(batch.source, s.error);
      } else this.metrics.eventsParsed.inc({ source: batch.source });
      messages.push({ key: s.key, value: JSON.stringify(s.rec) });
    }
    if (messages.length > 0) await this.sendWithRetry(messages);
    this.commitWithRetry({ [batch.source]: { pos: batch.position, kafka: stamper.state() } });
  }

  private async sendWithRetry(messages: Message[]): Promise<void> {
    const backoff = new Backoff({ initialMs: 250, maxMs: 30_000 });
    for (;;) {
      try {
        await this.producer!.use((p) => sendAll(p, [{ topic: this.topic, messages }]));
        this.km.produced.inc({ topic: this.topic }, messages.length);
        return;
      } catch (e) {
        if (this.stopping || this.fatal) throw e;
        const delay = backoff.next();
        this.o.log.error({ code: 'TRIP_KAFKA_PRODUCE', err: (e as Error).message, records: messages.length, attempt: backoff.attempts, retryInMs: delay }, 'kafka: produce failed; holding the batch and retrying');
        await (this.o.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms))))(delay);
      }
    }
  }

  private commitWithRetry(positions: Record<string, SourcePosition>): void {
    // The store's commit is synchronous; a failure here (full disk) is rare and the batch
    // is already in Kafka: re-sending it after a restart is harmless, so log and go on.
    try {
      this.store.commit({ positions, alerts: [] });
    } catch (e) {
      this.o.log.error({ code: 'TRIP_STATE_IO', err: (e as Error).message }, 'state commit failed; the batch will be re-sent after a restart');
    }
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const c of this.collectors) await c.stop().catch((e: Error) => this.o.log.error({ source: c.name, err: e.message }, 'collector stop failed'));
      await this.producer?.disconnect().catch(() => undefined);
      await this.admin?.disconnect().catch(() => undefined);
      await this.http?.close();
      this.store?.close();
    })();
    return this.stopping;
  }
}
