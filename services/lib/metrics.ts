// Prometheus metrics (prom-client). One registry per running process, so tests can
// build several without collisions. Label values are bounded: source names come from
// config, rule ids and sink names from registries, error codes from errors.ts.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  readonly linesRead = new Counter({ name: 'tripline_lines_read_total', help: 'Records read per source', labelNames: ['source'], registers: [this.registry] });
  readonly eventsParsed = new Counter({ name: 'tripline_events_parsed_total', help: 'Records parsed into events per source', labelNames: ['source'], registers: [this.registry] });
  readonly parseFailures = new Counter({ name: 'tripline_parse_failures_total', help: 'Records that failed to parse, by source and error code', labelNames: ['source', 'code'], registers: [this.registry] });
  readonly alerts = new Counter({ name: 'tripline_alerts_total', help: 'Alerts raised by rule and severity', labelNames: ['rule', 'severity'], registers: [this.registry] });
  readonly deliveries = new Counter({ name: 'tripline_deliveries_total', help: 'Alert deliveries per sink', labelNames: ['sink'], registers: [this.registry] });
  readonly deliveryFailures = new Counter({ name: 'tripline_delivery_failures_total', help: 'Failed delivery attempts per sink and error code', labelNames: ['sink', 'code'], registers: [this.registry] });
  readonly outboxDepth = new Gauge({ name: 'tripline_outbox_depth', help: 'Alerts waiting for delivery per sink', labelNames: ['sink'], registers: [this.registry] });
  readonly lagSeconds = new Gauge({ name: 'tripline_source_lag_seconds', help: 'Wall time minus the newest event time seen, per source', labelNames: ['source'], registers: [this.registry] });
  readonly stateBytes = new Gauge({ name: 'tripline_state_bytes', help: 'Size of the state database', registers: [this.registry] });
  readonly stateKeys = new Gauge({ name: 'tripline_engine_keys', help: 'Keys held per stateful rule', labelNames: ['rule'], registers: [this.registry] });
  readonly evictions = new Gauge({ name: 'tripline_engine_evictions', help: 'Keys evicted at engine.maxKeys per rule (since start of state)', labelNames: ['rule'], registers: [this.registry] });
  readonly lateEvents = new Gauge({ name: 'tripline_late_events', help: 'Events that arrived behind the watermark', registers: [this.registry] });
  readonly commitFailures = new Counter({ name: 'tripline_state_commit_failures_total', help: 'State commits that failed, by error code', labelNames: ['code'], registers: [this.registry] });
  readonly deadLetters = new Counter({ name: 'tripline_dead_letters_total', help: 'Records written to the dead-letter file, per source', labelNames: ['source'], registers: [this.registry] });
  // issue 5 (router): routing decisions, dead-lettered alerts, digests and Alertmanager re-sends.
  readonly routeDecisions = new Counter({ name: 'tripline_route_decisions_total', help: 'Routing decisions per sink: post, repeat, silenced, below', labelNames: ['sink', 'disposition'], registers: [this.registry] });
  readonly deadLettered = new Counter({ name: 'tripline_dead_lettered_total', help: 'Alerts given up on after a permanent delivery failure, per sink and error code', labelNames: ['sink', 'code'], registers: [this.registry] });
  readonly digests = new Counter({ name: 'tripline_digests_total', help: 'Daily digests per outcome (posted, failed)', labelNames: ['status'], registers: [this.registry] });
  // issue 9 (hardening): the outbox's flood bounds (services/state/outbox.ts, OVERFLOW_CODE).
  readonly outboxShed = new Counter({ name: 'tripline_outbox_shed_total', help: 'Alerts a notification sink did not post because its backlog was full (flood); still in the outbox, the record sinks and the digest', labelNames: ['sink'], registers: [this.registry] });
  readonly outboxOpenRows = new Gauge({ name: 'tripline_outbox_open_rows', help: 'Outbox rows holding an alert body (bounded: see tripline_outbox_pressure_pruned_total)', registers: [this.registry] });
  readonly outboxPressurePruned = new Counter({ name: 'tripline_outbox_pressure_pruned_total', help: 'Delivered alerts dropped early because the outbox held too many: what=bodies (kept as tombstones) or ids (tombstones forgotten)', labelNames: ['what'], registers: [this.registry] });
  readonly resends = new Counter({ name: 'tripline_resends_total', help: 'Re-sends of firing alerts (Alertmanager) per sink and outcome', labelNames: ['sink', 'status'], registers: [this.registry] });

  constructor(defaults = false) {
    if (defaults) collectDefaultMetrics({ register: this.registry, prefix: 'tripline_' });
  }
}
