// The running detector: state store, engine, collectors, pipeline, delivery and the
// operations endpoint, started and stopped in the right order.
//
// Start: open state (reporting recovery) → restore the engine from its checkpoint →
// start delivery (anything left in the outbox goes out first) → open the HTTP
// endpoint → start each collector from the checkpoint's positions.
// Stop (SIGTERM/SIGINT): stop collectors (their last batch settles) → drain the
// pipeline (final commit with an engine snapshot) → give delivery a moment → close.
// Reload (SIGHUP): a new config replaces rules and parameters; an invalid one keeps the
// old config running and logs why.
import type { Config } from '../../../schemas/config.js';
import type { SourceConfig } from '../../../schemas/run-config.js';
import type { Collector } from '../../collectors/types.js';
import { Engine } from '../../engine/engine.js';
import { rules } from '../../../rules/index.js';
import { StateStore } from '../../state/store.js';
import { loadLogged, openLoggedStore } from '../../state/open-logged.js';
// issue 5: the router stack (routing, delivery lanes, digest, re-sends, source health)
// replaces the minimal deliverer.
import { RoutingStack } from '../../router/stack.js';
import type { Sink } from '../../sinks/types.js';
import type { Log } from '../../lib/log.js';
import { Metrics } from '../../lib/metrics.js';
import { LivePipeline } from './pipeline.js';
import { DeadLetters } from './dead-letters.js';
import { startHttp } from './http.js';
import { join } from 'node:path';

export interface RuntimeOptions {
  config: Config;
  sources: SourceConfig[];
  /** Builds the collector of a source (injected: tests and --demo use their own). */
  makeCollector: (s: SourceConfig) => Collector;
  sinks: Sink[];
  stateDir: string;
  httpListen: string | false;
  log: Log;
  now: () => number;
  setTimer: (fn: () => void, ms: number) => { cancel(): void };
  year?: number;
}

export class LiveRuntime {
  readonly metrics = new Metrics(true);
  private store!: StateStore;
  private engine!: Engine;
  private pipeline!: LivePipeline;
  private deliverer!: RoutingStack;
  private collectors: Collector[] = [];
  private http: { close(): Promise<void>; port: number } | undefined;
  private config: Config;
  private opened = false;
  private tickTimer: { cancel(): void } | undefined;
  private stopping: Promise<void> | undefined;

  constructor(private readonly o: RuntimeOptions) {
    this.config = o.config;
  }

  get httpPort(): number | undefined {
    return this.http?.port;
  }

  async start(): Promise<void> {
    const { log } = this.o;
    const { store, report } = openLoggedStore({ stateDir: this.o.stateDir, now: this.o.now }, log);
    this.store = store;
    const loaded = loadLogged(this.store, log);
    const resume = loaded.engine ? loaded.engine.positions : loaded.positions;
    this.engine = this.makeEngine(this.config, loaded.engine?.snapshot as never);
    if (loaded.engine) log.info({ sources: Object.keys(resume).length }, 'engine state restored; resuming from its checkpoint');

    this.deliverer = new RoutingStack({
      store: this.store,
      sinks: this.o.sinks,
      config: () => this.config,
      sources: this.o.sources.map((s) => ({ name: s.name, kind: s.kind })),
      stateDir: this.o.stateDir,
      stateExisted: !report.created,
      // The pipeline is built below; the recorder only samples after start.
      newestEvent: () => this.pipeline?.newestEvent() ?? new Map(),
      metrics: this.metrics,
      log,
      now: this.o.now,
      setTimer: this.o.setTimer,
    });
    await this.deliverer.start();

    this.pipeline = new LivePipeline({
      engine: this.engine,
      store: this.store,
      metrics: this.metrics,
      log,
      deadLetters: new DeadLetters(join(this.o.stateDir, 'dead-letter.jsonl'), this.metrics),
      now: this.o.now,
      sleep: (ms) => new Promise((resolve) => this.o.setTimer(resolve, ms)),
      snapshotEveryMs: this.config.engine.checkpointInterval,
      onCommitted: (alerts) => {
        if (alerts.length > 0) this.deliverer.wake();
      },
      year: this.o.year,
      hosts: Object.fromEntries(this.o.sources.flatMap((s) => (s.host ? [[s.name, s.host]] : []))),
    });

    if (this.o.httpListen !== false) this.http = await startHttp(this.o.httpListen, this.metrics, { ready: () => this.readiness() });

    for (const s of this.o.sources) {
      const c = this.o.makeCollector(s);
      this.collectors.push(c);
      await c.start(resume[s.name], (batch) => this.pipeline.handle(batch));
      log.info({ source: s.name, kind: s.kind, detail: c.status().detail, resumed: resume[s.name] !== undefined }, 'source opened');
    }
    this.opened = true;
    this.scheduleTick(this.o.now());
  }

  /** Every 15 s, wall time judges silence (H1) when health.wallClock is on. */
  private scheduleTick(startMs: number): void {
    if (!this.config.health.wallClock) return;
    this.tickTimer = this.o.setTimer(() => {
      if (this.stopping) return;
      void this.pipeline.tick(this.o.now(), startMs).finally(() => this.scheduleTick(startMs));
    }, 15_000);
  }

  private makeEngine(config: Config, state: ConstructorParameters<typeof Engine>[0]['state']): Engine {
    return new Engine({ rules, config, sources: this.o.sources.map((s) => ({ name: s.name, kind: s.kind })), state });
  }

  readiness(): { ready: boolean; detail: Record<string, unknown> } {
    const sources = Object.fromEntries(this.collectors.map((c) => [c.name, c.status()]));
    const allOpen = this.collectors.every((c) => c.status().opened);
    return { ready: this.opened && allOpen && !this.stopping, detail: { stateLoaded: this.opened, sources } };
  }

  /** Replaces config and rules without dropping state; the caller validated `config`. */
  async reload(config: Config): Promise<void> {
    // Swap between batches: wait for the queue, then rebuild the engine from a snapshot.
    await this.pipeline.quiesce(() => {
      const snapshot = this.engine.snapshot();
      this.engine = this.makeEngine(config, snapshot);
      this.config = config;
      return this.engine;
    });
    this.o.log.info({ code: 'TRIP_CONFIG_RELOADED' }, 'config reloaded');
  }

  /** Graceful stop; safe to call more than once. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.tickTimer?.cancel();
      for (const c of this.collectors) await c.stop().catch((e: Error) => this.o.log.error({ source: c.name, err: e.message }, 'collector stop failed'));
      await this.pipeline?.drain();
      await this.deliverer?.idle();
      await this.deliverer?.stop();
      await this.http?.close();
      this.store?.close();
    })();
    return this.stopping;
  }

  /** For tests and --demo: outbox contents and engine stats. */
  inspect() {
    return { engine: this.engine.stats(), outbox: this.store.outbox.stats(this.o.sinks.map((s) => s.name)) };
  }
}
