// The router (issue 5): from the durable outbox to the sinks. Replaces the lead's minimal
// deliverer. Per sink it routes (route-new.ts: repeat, silence, severity, grouping, all
// decided once and stored) and delivers (lane.ts: order, rate, backoff, Retry-After,
// dead letters). It also prunes the outbox on a timer.
//
// Invariants (architecture, "State and delivery guarantees"):
// - An alert is in the outbox (committed with its position) before any attempt.
// - At-least-once per sink with the alert id as idempotency key: the delivered-id log in the
//   outbox keeps a delivered alert from being sent again across restarts. A kill -9 between
//   a sink's "ok" and the delivered mark re-sends that one message after the restart (a
//   webhook has no idempotency key of its own); a clean stop never does.
// - Sinks are independent: Slack being down never holds up the file or stdout sink.
import type { Sink, SendResult } from '../sinks/types.js';
import type { StateStore } from '../state/store.js';
import type { Log } from '../lib/log.js';
import type { Metrics } from '../lib/metrics.js';
import type { Silence } from '../../schemas/routing.js';
import type { SinkPolicy } from './policy.js';
import { Lane, type SetTimer } from './lane.js';
import { DEFAULT_MAX_OPEN_ROWS, DEFAULT_MAX_ROWS } from '../state/outbox.js';

export interface RoutedSink {
  sink: Sink;
  policy: SinkPolicy;
}

export interface RouterOptions {
  store: StateStore;
  sinks: RoutedSink[];
  metrics: Metrics;
  log: Log;
  /** Injected wall clock (ms). */
  now: () => number;
  setTimer: SetTimer;
  /** Active silences, re-read as they change (SilenceWatcher). */
  silences?: () => readonly Silence[];
  random?: () => number;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** Bodies of settled alerts are kept this long (the digest reads them). Default 8 days. */
  keepAlertsMs?: number;
  /** How often the outbox is pruned. Default 1 h. */
  pruneEveryMs?: number;
  /** issue 9: rows holding a body before settled bodies are dropped early (outbox.ts relieve). */
  maxOpenRows?: number;
  /** issue 9: rows of any kind before the oldest tombstones are forgotten early (outbox.ts relieve). */
  maxRows?: number;
  /** issue 9: how often the outbox gauges are set and the bound enforced. Default 15 s. */
  gaugeEveryMs?: number;
}

export const DEFAULT_KEEP_ALERTS_MS = 8 * 24 * 3600 * 1000;
const HEALTH_RETENTION_MS = 30 * 24 * 3600 * 1000;

export class Router {
  private readonly lanes: Lane[];
  private pruneTimer: { cancel(): void } | undefined;
  private gaugeTimer: { cancel(): void } | undefined;
  private running = false;

  constructor(private readonly o: RouterOptions) {
    const silences = o.silences ?? (() => []);
    this.lanes = o.sinks.map(
      (r) =>
        new Lane({
          sink: r.sink,
          policy: r.policy,
          store: o.store,
          metrics: o.metrics,
          log: o.log,
          now: o.now,
          setTimer: o.setTimer,
          silences,
          random: o.random,
          baseBackoffMs: o.baseBackoffMs,
          maxBackoffMs: o.maxBackoffMs,
        }),
    );
  }

  /** Prepares each sink's cursor, marks what sinks already hold, then starts the lanes. */
  async start(): Promise<void> {
    const box = this.o.store.outbox;
    for (const { sink } of this.o.sinks) {
      this.o.store.routes.initSink(sink.name);
      const held = (await sink.alreadyDelivered?.()) ?? new Set<string>();
      if (held.size === 0) continue;
      for (const row of box.pending(sink.name, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)) {
        if (held.has(row.alert.id)) box.markDelivered(row.alert.id, sink.name);
      }
    }
    this.running = true;
    for (const lane of this.lanes) lane.start();
    this.prune();
    this.gauge();
  }

  /** New alerts are in the outbox. */
  wake(): void {
    for (const lane of this.lanes) lane.wake();
  }

  /** Resolves when no lane has a round running or queued. */
  async idle(): Promise<void> {
    for (const lane of this.lanes) await lane.idle();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.pruneTimer?.cancel();
    this.gaugeTimer?.cancel();
    await Promise.all(this.lanes.map((l) => l.stop()));
  }

  /** Sends a message outside the outbox (the digest) through `sinkName`'s lane. */
  sendExtra(sinkName: string, send: () => Promise<SendResult>): Promise<SendResult> {
    const lane = this.lanes.find((l) => l.name === sinkName);
    if (!lane) return Promise.resolve({ ok: false, failure: { code: 'TRIP_ROUTER_NO_SINK', permanent: true, message: `no sink named ${sinkName}` } });
    return lane.sendExtra(send);
  }

  sinkNames(): string[] {
    return this.o.sinks.map((s) => s.sink.name);
  }

  /**
   * issue 9: the outbox's size as metrics (depth per sink, bodies held, bytes on disk; the
   * gauges existed but nothing set them), and its bound: above maxOpenRows bodies, delivered
   * ones are dropped early (outbox.ts relieve). Also runs once right away at start.
   */
  gauge(): void {
    if (!this.running) return;
    try {
      const box = this.o.store.outbox;
      const r = box.relieve(this.o.maxOpenRows ?? DEFAULT_MAX_OPEN_ROWS, this.sinkNames(), this.o.maxRows ?? DEFAULT_MAX_ROWS);
      if (r.bodiesDropped + r.idsForgotten > 0) {
        this.o.metrics.outboxPressurePruned.inc({ what: 'bodies' }, r.bodiesDropped);
        this.o.metrics.outboxPressurePruned.inc({ what: 'ids' }, r.idsForgotten);
        this.o.log.warn({ code: 'TRIP_OUTBOX_PRESSURE', ...r }, 'outbox over its bound: delivered alerts dropped early');
      }
      const stats = box.stats(this.sinkNames());
      for (const [sink, n] of Object.entries(stats.pending)) this.o.metrics.outboxDepth.set({ sink }, n);
      this.o.metrics.outboxOpenRows.set(stats.openRows);
      this.o.metrics.stateBytes.set(stats.dbBytes);
    } catch (e) {
      this.o.log.warn({ code: 'TRIP_STATE_GAUGE', err: (e as Error).message }, 'outbox gauges not updated; retrying at the next interval');
    }
    this.gaugeTimer = this.o.setTimer(() => this.gauge(), this.o.gaugeEveryMs ?? 15_000);
  }

  private prune(): void {
    if (!this.running) return;
    try {
      const r = this.o.store.outbox.prune(this.o.keepAlertsMs ?? DEFAULT_KEEP_ALERTS_MS, this.sinkNames());
      this.o.store.health.prune(HEALTH_RETENTION_MS, this.o.now());
      if (r.bodiesDropped + r.idsForgotten > 0) this.o.log.info({ ...r }, 'outbox pruned');
    } catch (e) {
      this.o.log.warn({ code: 'TRIP_STATE_PRUNE', err: (e as Error).message }, 'outbox prune failed; retrying at the next interval');
    }
    this.pruneTimer = this.o.setTimer(() => this.prune(), this.o.pruneEveryMs ?? 3_600_000);
  }
}
