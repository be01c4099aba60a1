import { z } from 'zod';
import { Duration } from './durations.js';

// The `kafka` block (issue 7): how the scale-out roles (`tripline run --role
// collect|detect|route`) reach Apache Kafka. Absent: only the embedded single process
// (`--role all`) can run. Secrets (the SASL password) belong in the environment: write
// `${KAFKA_PASSWORD}` and the config loader keeps them out of every message; the logger
// redacts `password` too. See docs/formats.md §8 and architecture.md "Scale-out".

const TopicName = z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'a Kafka topic name: 1-249 letters, digits, dot, dash or underscore');

export const KafkaTopics = z
  .strictObject({
    events: TopicName.default('tripline.events').describe('normalized events (and parse failures) from the collectors, keyed by source + host'),
    signals: TopicName.default('tripline.signals').describe('events re-keyed by the key of the stateful rule they feed, so one replica owns each key'),
    alerts: TopicName.default('tripline.alerts').describe('alerts from the detector replicas, keyed by alert id, for the router'),
    state: TopicName.default('tripline.state').describe('compacted changelog of each signals partition\'s detector state (checkpoints)'),
  })
  .describe('topic names; missing topics are created at start');

export const KafkaSasl = z
  .strictObject({
    mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).describe('SASL mechanism'),
    username: z.string().min(1).describe('SASL user'),
    password: z.string().min(1).describe('SASL password; use ${ENV} interpolation, never a literal'),
  })
  .describe('SASL authentication');

export const KafkaTls = z
  .union([
    z.boolean(),
    z.strictObject({
      ca: z.string().min(1).optional().describe('PEM file of the CA that signed the brokers\' certificates (default: the system CAs)'),
      cert: z.string().min(1).optional().describe('PEM client certificate file (mutual TLS)'),
      key: z.string().min(1).optional().describe('PEM client key file (mutual TLS)'),
      rejectUnauthorized: z.boolean().default(true).describe('verify the brokers\' certificates; false only for tests'),
    }),
  ])
  .describe('TLS to the brokers: true (system CAs) or {ca, cert, key, rejectUnauthorized}');

export const KafkaConfig = z
  .strictObject({
    brokers: z
      .array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'HOST:PORT of a broker listener (not the controller listener)'))
      .min(1)
      .describe('bootstrap brokers, HOST:PORT of broker listeners'),
    clientId: z.string().min(1).default('tripline').describe('Kafka client id (broker logs, quotas)'),
    groupId: z
      .string()
      .min(1)
      .default('tripline')
      .describe('prefix of the consumer groups: <groupId>.detect.events, <groupId>.detect.signals, <groupId>.route'),
    topics: KafkaTopics.prefault({}).describe('topic names; missing topics are created at start'),
    partitions: z.number().int().min(1).max(10_000).default(6).describe('partitions of topics tripline creates (existing topics keep theirs)'),
    replicationFactor: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('replication factor of topics tripline creates; absent: the broker default (default.replication.factor)'),
    sasl: KafkaSasl.optional().describe('SASL authentication: {mechanism: plain|scram-sha-256|scram-sha-512, username, password}'),
    tls: KafkaTls.optional().describe('TLS to the brokers: true (system CAs) or {ca, cert, key, rejectUnauthorized}'),
    idleTimeout: Duration.prefault('30s').describe(
      'a source (partition) silent this long (wall time) stops holding back the event-time watermark of the health rules (H1, H2)',
    ),
    sessionTimeout: Duration.prefault('30s').describe('consumer group session timeout: how long a dead replica keeps its partitions'),
  })
  .describe('Apache Kafka for the scale-out roles (tripline run --role collect|detect|route)');
export type KafkaConfig = z.infer<typeof KafkaConfig>;
