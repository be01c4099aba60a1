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
import { Kafka, Partitioners, logLevel, type Admin, type LogEntry, type Producer, type SASLOptions } from 'kafkajs';
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

