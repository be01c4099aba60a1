// The live pipeline of `tripline run`: collector batches → parsers → engine → one
// state commit per batch (alerts into the outbox + the batch's position, and every
// `snapshotEveryMs` the engine snapshot) → the delivery loop is woken.
//
// Invariants:
// - Batches are processed one at a time, in arrival order (the engine is single-
//   threaded). handle() resolves only after the batch is committed: collectors await
//   it, which is the backpressure from engine to collectors.
// - A position is committed only together with the alerts its records caused.
// - A failed commit (full disk) is retried with backoff, never skipped: the engine has
//   already taken the batch, so replaying it would double-count; holding it is right.
import type { Alert } from '../../../schemas/alert.js';
import type { InputKind } from '../../../schemas/event.js';
import type { CollectedBatch, SourcePosition } from '../../collectors/types.js';
import type { Engine } from '../../engine/engine.js';
import { parsers } from '../../parsers/index.js';
import { ParseContexts } from '../../parsers/contexts.js';
import type { ParseContext } from '../../parsers/types.js';
import type { StateStore } from '../../state/store.js';
import { TriplineError } from '../../lib/errors.js';
import type { Log } from '../../lib/log.js';
import type { Metrics } from '../../lib/metrics.js';
import type { DeadLetters } from './dead-letters.js';

export interface PipelineOptions {
  /** Replaced on reload (see quiesce). */
  engine: Engine;
  store: StateStore;
  metrics: Metrics;
  log: Log;
  deadLetters: DeadLetters;
  /** Wall clock (ms): snapshot pacing and lag metrics only, never event time. */
  now: () => number;
  /** Sleep used between commit retries (injected so tests never wait). */
  sleep: (ms: number) => Promise<void>;
  snapshotEveryMs: number;
  /** Called after each commit with the alerts it made durable. */
  onCommitted: (alerts: Alert[]) => void;
  /** Year for year-less timestamps (optional; else the file's mtime). */
  year?: number;
  /** Per source: the host for lines that name none (`sources[].host`). */
  hosts?: Record<string, string>;
}

export class LivePipeline {
  private tail: Promise<void> = Promise.resolve();
  private readonly contexts: ParseContexts;
  private lastSnapshotMs = Number.NEGATIVE_INFINITY;
  private readonly newestEventMs = new Map<string, number>();
  private stopped = false;

  constructor(private readonly o: PipelineOptions) {
    this.contexts = new ParseContexts(o.year);
  }

  /** Queues a batch; resolves once it is committed (backpressure for the collector). */
  handle(batch: CollectedBatch): Promise<void> {
    const run = this.tail.then(() => this.process(batch));
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Waits for queued batches, then commits a final engine snapshot. */
  async drain(): Promise<void> {
    await this.tail;
    if (this.stopped) return;
    this.stopped = true;
    await this.commitWithRetry({ positions: {}, alerts: [], engineSnapshot: this.o.engine.snapshot() });
  }

  /** Live H1 on wall time (see Engine.tick): runs between batches, commits what it raises. */
  tick(nowMs: number, startMs: number): Promise<void> {
    const run = this.tail.then(async () => {
      if (this.stopped) return;
      const alerts = this.o.engine.tick(nowMs, startMs);
      if (alerts.length === 0) return;
      for (const a of alerts) this.o.metrics.alerts.inc({ rule: a.rule, severity: a.severity });
      await this.commitWithRetry({ positions: {}, alerts });
      this.o.onCommitted(alerts);
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Runs `swap` between batches and continues with the engine it returns (SIGHUP reload). */
  async quiesce(swap: () => Engine): Promise<void> {
    const run = this.tail.then(() => {
      this.o.engine = swap();
    });
    this.tail = run.catch(() => undefined);
    await run;
  }

  /** Newest event time per source (for lag). */
  newestEvent(): ReadonlyMap<string, number> {
    return this.newestEventMs;
  }

  private context(source: string, kind: InputKind): ParseContext {
    return this.contexts.get(source, kind);
  }

  private async process(batch: CollectedBatch): Promise<void> {
    const { engine, metrics, deadLetters } = this.o;
    const parse = parsers[batch.kind];
    const ctx = this.context(batch.source, batch.kind);
    const alerts: Alert[] = [];
    metrics.linesRead.inc({ source: batch.source }, batch.records.length);
    for (const rec of batch.records) {
      ctx.position = rec.position;
      ctx.invalidUtf8 = rec.invalidUtf8;
      ctx.truncated = rec.truncated;
      ctx.refMs = this.o.year === undefined ? rec.refMs : undefined;
      ctx.defaultHost = rec.defaultHost ?? this.o.hosts?.[batch.source];
      const r = parse(rec.text, ctx);
      if (r.ok) {
        metrics.eventsParsed.inc({ source: batch.source });
        const prev = this.newestEventMs.get(batch.source);
        if (prev === undefined || r.event.tsMs > prev) this.newestEventMs.set(batch.source, r.event.tsMs);
        for (const a of engine.push({ event: r.event, line: rec.text })) alerts.push(a);
      } else {
        metrics.parseFailures.inc({ source: batch.source, code: r.error.code });
        deadLetters.write(batch.source, r.error);
        for (const a of engine.pushError({ sourceName: batch.source, kind: batch.kind, code: r.error.code })) alerts.push(a);
      }
    }
    for (const a of alerts) metrics.alerts.inc({ rule: a.rule, severity: a.severity });
    const now = this.o.now();
    const snapshotDue = now - this.lastSnapshotMs >= this.o.snapshotEveryMs;
    await this.commitWithRetry({
      positions: { [batch.source]: batch.position },
      alerts,
      engineSnapshot: snapshotDue ? engine.snapshot() : undefined,
    });
    if (snapshotDue) this.lastSnapshotMs = now;
    this.o.onCommitted(alerts);
  }

  private async commitWithRetry(input: { positions: Record<string, SourcePosition>; alerts: Alert[]; engineSnapshot?: unknown }): Promise<void> {
    let delay = 250;
    for (;;) {
      try {
        this.o.store.commit(input as Parameters<StateStore['commit']>[0]);
        return;
      } catch (e) {
        const code = e instanceof TriplineError ? e.code : 'TRIP_STATE_IO';
        this.o.metrics.commitFailures.inc({ code });
        this.o.log.error({ code, err: (e as Error).message, retryInMs: delay }, 'state commit failed; holding the batch and retrying');
        await this.o.sleep(delay);
        delay = Math.min(delay * 2, 30_000);
      }
    }
  }
}
