// `tripline run --demo`: the bundled two-hour scenario (test/fixtures/scenario)
// streamed through the live path (collector batches → pipeline → state → delivery) in
// accelerated event time, with a throwaway state directory, so a newcomer sees real
// alerts within seconds. Pacing is by each line's own event time.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../../schemas/config.js';
import type { InputKind } from '../../../schemas/event.js';
import type { SourceConfig } from '../../../schemas/run-config.js';
import type { CollectedBatch, CollectedRecord, Collector } from '../../collectors/types.js';
import { LineSplitter } from '../../collectors/line-splitter.js';
import { FRAMERS } from '../../collectors/record-framer.js';
import { parsers } from '../../parsers/index.js';
import { TriplineError } from '../../lib/errors.js';
import { packageRoot } from '../../lib/package-root.js';
import type { Log } from '../../lib/log.js';
import type { CommandIO } from '../command.js';
import { StdoutSink } from '../../sinks/stdout.js';
import { LiveRuntime } from './runtime.js';
import { SCENARIO_DIR, SCENARIO_FILES, scenarioName } from './scenario.js';

const YEAR = 2026;

interface Timed {
  rec: CollectedRecord;
  tsMs: number;
}

/** Reads a scenario file into records stamped with their event time (for pacing only). */
function loadTimed(path: string, kind: InputKind, source: string): Timed[] {
  const splitter = new LineSplitter();
  const framer = FRAMERS[kind]();
  const lines = [...splitter.push(readFileSync(path)), ...splitter.end()];
  const recs = [...lines.flatMap((l) => framer.push(l)), ...framer.end()];
  const ctx = { kind, sourceName: source, position: '', year: YEAR, carry: {} };
  let last = 0;
  return recs.map((r) => {
    const res = parsers[kind](r.text, { ...ctx, position: r.position });
    if (res.ok) last = res.event.tsMs;
    return { rec: { text: r.text, position: `${source} ${r.position}`, invalidUtf8: r.invalidUtf8, truncated: r.truncated }, tsMs: last };
  });
}

class DemoCollector implements Collector {
  private i = 0;
  private timer: NodeJS.Timeout | undefined;
  private busy: Promise<void> = Promise.resolve();
  finished: Promise<void>;
  private finish!: () => void;

  constructor(
    readonly name: string,
    readonly kind: InputKind,
    private readonly items: Timed[],
    private readonly clock: () => number,
  ) {
    this.finished = new Promise((r) => (this.finish = r));
  }

  async start(_from: unknown, onBatch: (b: CollectedBatch) => Promise<void>): Promise<void> {
    const tick = () => {
      const until = this.clock();
      const records: CollectedRecord[] = [];
      while (this.i < this.items.length && this.items[this.i]!.tsMs <= until) records.push(this.items[this.i++]!.rec);
      if (records.length > 0) this.busy = onBatch({ source: this.name, kind: this.kind, records, position: { line: this.i } });
      if (this.i >= this.items.length) {
        void this.busy.then(() => this.finish());
        return;
      }
      this.timer = setTimeout(() => void this.busy.then(tick), 20);
    };
    tick();
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    await this.busy;
  }

  status() {
    return { opened: true, detail: `demo scenario ${this.name}`, truncated: 0 };
  }
}

export async function runDemo(o: { config: Config; io: CommandIO; log: Log; speed: number }): Promise<number> {
  const root = packageRoot();
  const dir = root && join(root, SCENARIO_DIR);
  if (!dir) throw new TriplineError('TRIP_DEMO_MISSING', 'the bundled demo scenario is missing from this installation');
  const timed = SCENARIO_FILES.map((s) => ({ ...s, name: scenarioName(s.file), items: loadTimed(join(dir, s.file), s.kind, s.file) }));
  const origin = Math.min(...timed.flatMap((t) => (t.items[0] ? [t.items[0].tsMs] : [])));
  const wallStart = o.io.now();
  const clock = () => origin + (o.io.now() - wallStart) * o.speed;
  const collectors = new Map(timed.map((t) => [t.name, new DemoCollector(t.name, t.kind, t.items, clock)]));
  const sources: SourceConfig[] = timed.map((t) => ({ name: t.name, kind: t.kind, path: t.file, startAt: 'beginning' }));
  const stateDir = mkdtempSync(join(tmpdir(), 'tripline-demo-'));
  o.io.stderr.write(`tripline run --demo: two hours of a homelab's logs at ${o.speed}x (about ${Math.ceil(7200 / o.speed)} s); alerts follow\n`);
  const runtime = new LiveRuntime({
    config: o.config,
    sources,
    makeCollector: (s) => collectors.get(s.name)!,
    // On a terminal: one readable line per alert, info-level ones (I2) left to the count.
    sinks: [o.io.stdout.isTTY ? new StdoutSink(o.io.stdout, 'table', 'warning') : new StdoutSink(o.io.stdout, 'jsonl')],
    stateDir,
    httpListen: false,
    log: o.log,
    now: o.io.now,
    setTimer: (fn, ms) => {
      const t = setTimeout(fn, ms);
      return { cancel: () => clearTimeout(t) };
    },
    year: YEAR,
  });
  try {
    await runtime.start();
    await Promise.all([...collectors.values()].map((c) => c.finished));
    // Every batch is committed once its collector finished; read the count before the store closes.
    const { outbox } = runtime.inspect();
    await runtime.stop();
    o.io.stderr.write(`demo done: ${outbox.outboxRows} alerts raised (see docs/runbooks.md for what each means)\n`);
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
  return 0;
}
