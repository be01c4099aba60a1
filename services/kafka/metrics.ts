// Prometheus metrics of the Kafka roles (issue 7), on the process's registry
// (services/lib/metrics.ts) so /metrics shows them next to the rest.
import { Counter, Gauge } from 'prom-client';
import type { Metrics } from '../lib/metrics.js';

export class KafkaMetrics {
  readonly produced;
  readonly consumed;
  readonly badRecords;
  readonly watermark;
  readonly healthBuffered;
  readonly checkpoints;
  readonly restores;
  readonly reconnecting;
  readonly reconnects;

  constructor(m: Metrics) {
    const registers = [m.registry];
    this.produced = new Counter({ name: 'tripline_kafka_produced_total', help: 'Records produced per topic', labelNames: ['topic'], registers });
    this.consumed = new Counter({ name: 'tripline_kafka_consumed_total', help: 'Records consumed per topic', labelNames: ['topic'], registers });
    this.badRecords = new Counter({ name: 'tripline_kafka_bad_records_total', help: 'Records skipped because they could not be decoded, per topic', labelNames: ['topic'], registers });
    this.watermark = new Gauge({
      name: 'tripline_kafka_watermark_seconds',
      help: 'Event-time watermark of this replica: min over its non-idle events partitions of their newest event time',
      registers,
    });
    this.healthBuffered = new Gauge({ name: 'tripline_kafka_health_buffered', help: 'Records held by the health lane waiting for the watermark', registers });
    this.checkpoints = new Counter({ name: 'tripline_kafka_checkpoints_total', help: 'Signals-partition checkpoints written to the state topic', registers });
    this.restores = new Counter({ name: 'tripline_kafka_restores_total', help: 'Signals partitions taken over, by how (checkpoint, fresh)', labelNames: ['from'], registers });
    // link-status.ts: riding out a broker outage instead of exiting.
    this.reconnecting = new Gauge({ name: 'tripline_kafka_reconnecting', help: '1 while this Kafka client (a consumer group, the producer) is reconnecting after a failure', labelNames: ['client'], registers });
    this.reconnects = new Counter({ name: 'tripline_kafka_reconnects_total', help: 'Kafka clients recreated after a failure (a consumer rejoining its group, a producer renewed)', labelNames: ['client'], registers });
  }
}
