// kafkajs clients from the `kafka` config block (issue 7): connection (brokers, client id,
// SASL, TLS), logging into tripline's log, the idempotent producer, and topic creation.
//
// Invariants:
// - Secrets never reach a log line: kafkajs does not log SASL credentials, the log bridge
//   passes only kafkajs's own fields, and pino redacts `password` (services/lib/log.ts).
// - Producers are idempotent with acks=all and one request in flight (formats.md §8), so
//   a retried send neither duplicates nor reorders a partition's records.
// - Missing topics are created (partitions from config; tripline.state compacted); topics
//   that exist keep their partition counts, which callers read back from the broker.
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Kafka, Partitioners, logLevel, type Admin, type LogEntry, type Message, type Producer, type SASLOptions, type TopicMessages } from 'kafkajs';
import type { KafkaConfig } from '../../schemas/kafka.js';
import type { Log } from '../lib/log.js';

// kafkajs 2.2.4 arms setTimeout(throttledUntil - Date.now()) with throttledUntil = -1 on
// every connection (tulios/kafkajs#1751, fixed only in unmerged PRs); Node 24 then warns
// "TimeoutNegativeWarning" and uses 1 ms, which is what kafkajs meant. Only that warning is
// kept off stderr; every other one passes through untouched.
let warningFilterInstalled = false;
function filterKafkajsTimeoutWarning(): void {
  if (warningFilterInstalled) return;
  warningFilterInstalled = true;
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    const name = warning instanceof Error ? warning.name : type;
    if (name === 'TimeoutNegativeWarning') return;
    emit(warning, ...rest);
  }) as typeof process.emitWarning;
}

function tlsOptions(tls: KafkaConfig['tls']): boolean | ConnectionOptions | undefined {
  if (tls === undefined || tls === false) return undefined;
  if (tls === true) return true;
  return {
    rejectUnauthorized: tls.rejectUnauthorized,
    ...(tls.ca ? { ca: [readFileSync(tls.ca, 'utf8')] } : {}),
    ...(tls.cert ? { cert: readFileSync(tls.cert, 'utf8') } : {}),
    ...(tls.key ? { key: readFileSync(tls.key, 'utf8') } : {}),
  };
}

function saslOptions(sasl: KafkaConfig['sasl']): SASLOptions | undefined {
  if (!sasl) return undefined;
  return { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } as SASLOptions;
}

/** kafkajs's log lines as tripline log lines (kafkajs ERRORs are mostly retried: warn). */
function logCreator(log: Log) {
  return () =>
    ({ namespace, level, log: entry }: LogEntry) => {
      const { message, timestamp: _t, logger: _l, ...rest } = entry as LogEntry['log'] & { logger?: string };
      const fields = { kafkajs: namespace, broker: rest['broker'], error: rest['error'], groupId: rest['groupId'], topic: rest['topic'] };
      if (level === logLevel.ERROR || level === logLevel.WARN) log.warn(fields, `kafka: ${message}`);
      else if (level === logLevel.INFO) log.debug(fields, `kafka: ${message}`);
      else log.trace(fields, `kafka: ${message}`);
    };
}

export function makeKafka(cfg: KafkaConfig, log: Log, clientSuffix = ''): Kafka {
  filterKafkajsTimeoutWarning();
  const ssl = tlsOptions(cfg.tls);
  const sasl = saslOptions(cfg.sasl);
  return new Kafka({
    clientId: `${cfg.clientId}${clientSuffix}`,
    brokers: cfg.brokers,
    ...(ssl !== undefined ? { ssl } : {}),
    ...(sasl ? { sasl } : {}),
    logLevel: logLevel.INFO,
    logCreator: logCreator(log),
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 10_000 },
  });
}

/** The idempotent producer (acks=all, one request in flight: no duplicates, no reordering). */
export function makeProducer(kafka: Kafka): Producer {
  return kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
}

/**
 * Bytes of records per produce request. A broker refuses a record batch over
 * message.max.bytes (1 MiB by default) as a whole, so a collector batch or a detector
 * chunk is sent in requests of at most this much, in order.
 */
export const MAX_REQUEST_BYTES = 512 * 1024;

function messageBytes(m: Message): number {
  const len = (v: Buffer | string | null | undefined) => (v === null || v === undefined ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length);
  let n = len(m.key) + len(m.value) + 64;
  for (const [k, v] of Object.entries(m.headers ?? {})) n += k.length + (Array.isArray(v) ? v.reduce((a, x) => a + len(x), 0) : len(v as Buffer | string | undefined));
  return n;
}

/**
 * Sends with acks=all in requests of at most MAX_REQUEST_BYTES, in order (the producer
 * is idempotent with one request in flight, so each partition keeps its order).
 */
export async function sendAll(producer: Producer, topicMessages: TopicMessages[]): Promise<void> {
  let batch: TopicMessages[] = [];
  let bytes = 0;
  const flush = async () => {
    if (batch.length > 0) await producer.sendBatch({ acks: -1, topicMessages: batch });
    batch = [];
    bytes = 0;
  };
  for (const tm of topicMessages) {
    for (const m of tm.messages) {
      const b = messageBytes(m);
      if (bytes > 0 && bytes + b > MAX_REQUEST_BYTES) await flush();
      const last = batch[batch.length - 1];
      if (last && last.topic === tm.topic) last.messages.push(m);
      else batch.push({ topic: tm.topic, messages: [m] });
      bytes += b;
    }
  }
  await flush();
}

/** Largest tripline.state record (a signals partition's engine state, gzip): 64 MiB. */
export const STATE_MAX_BYTES = 64 * 1024 * 1024;

/** Creates the topics that do not exist yet; returns the partition count of each topic. */
export async function ensureTopics(admin: Admin, cfg: KafkaConfig, log: Log): Promise<Record<keyof KafkaConfig['topics'], number>> {
  const t = cfg.topics;
  const existing = new Set(await admin.listTopics());
  const want = [
    { topic: t.events, configEntries: [] as Array<{ name: string; value: string }> },
    { topic: t.signals, configEntries: [] },
    { topic: t.alerts, configEntries: [] },
    {
      topic: t.state,
      configEntries: [
        { name: 'cleanup.policy', value: 'compact' },
        { name: 'max.message.bytes', value: String(STATE_MAX_BYTES) },
        { name: 'min.cleanable.dirty.ratio', value: '0.1' },
        { name: 'segment.ms', value: String(15 * 60_000) },
      ],
    },
  ];
  const missing = want.filter((w) => !existing.has(w.topic));
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((w) => ({
        topic: w.topic,
        numPartitions: cfg.partitions,
        replicationFactor: cfg.replicationFactor ?? -1,
        configEntries: w.configEntries,
      })),
    });
    log.info({ topics: missing.map((m) => m.topic), partitions: cfg.partitions }, 'kafka: created missing topics');
  }
  const meta = await admin.fetchTopicMetadata({ topics: want.map((w) => w.topic) });
  const count = (name: string): number => {
    const m = meta.topics.find((x) => x.name === name);
    if (!m || m.partitions.length === 0) throw new Error(`kafka: topic ${name} has no partitions`);
    return m.partitions.length;
  };
  return { events: count(t.events), signals: count(t.signals), alerts: count(t.alerts), state: count(t.state) };
}

