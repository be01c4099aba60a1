// The replay pipeline: inputs → parse → merge by event time → engine → sorted alerts.
// Shared by `tripline replay` and the golden/conformance tests, so what the tests
// check is exactly what the command prints.
//
// Speed (issue 8): each input is read in 1 MiB chunks and handled one chunk (batch) at
// a time; the merge by event time awaits only when an input's batch runs out, and a
// single input skips the merge entirely. Before parsing, the raw-line prefilter compiled
// from the rule set (engine/prefilter.ts) may prove a line can concern no rule: the
// engine then takes only its time and place (Engine.pushQuiet). Same alerts, same
// engine state, with or without it (test/perf/prefilter-differential.test.ts).
import type { Alert } from '../../schemas/alert.js';
import type { Config } from '../../schemas/config.js';
import type { InputKind } from '../../schemas/event.js';
import { Engine, type EngineSnapshot, type SourceInfo } from '../engine/engine.js';
import { mergeBatchesByTime } from '../engine/merge.js';
import { compileK8sQuietTest, compilePrefilter, type LinePrefilter } from '../engine/prefilter.js';
import { quietLineOf, type QuietLine, type QuietRun } from '../engine/quiet-line.js';
import { k8sQuietTaker } from './replay-quiet.js';
import { wasmScannerUnavailable } from '../parsers/k8s-audit-chunk-scanner.js';
import type { K8sRequestView } from '../../rules/define.js';
import { inputContext, openInput, type InputSpec, type ReadOptions } from '../collectors/file-input.js';
import { LineSplitter, type RawLine } from '../collectors/line-splitter.js';
import { FRAMERS, type InputRecord } from '../collectors/record-framer.js';
import { parsers } from '../parsers/index.js';
import type { ParseResult } from '../parsers/types.js';
import { rules } from '../../rules/index.js';
import type { CommandIO } from './command.js';
import { Progress } from './output.js';
import { parseRfc3339, type EventTime } from '../lib/time.js';
// issue 6 (loki): Loki queries as replay inputs.
import type { ReplaySource } from './replay-loki.js';

export interface ReplayOptions {
  specs: InputSpec[];
  config: Config;
  readOpts: ReadOptions;
  fromMs?: number;
  toMs?: number;
  io: Pick<CommandIO, 'stderr' | 'stdin' | 'now'>;
  /** Use the raw-line prefilter where the rule set allows one (default true). */
  prefilter?: boolean;
  /** Return the engine's final snapshot (tests compare state). */
  snapshot?: boolean;
  /** issue 6: inputs that are not files (Loki queries, already parsed); they follow the files in input order. */
  sources?: ReplaySource[];
}

export interface ReplayResult {
  alerts: Alert[];
  events: Record<string, number>;
  errors: Record<string, Record<string, number>>;
  summary: string;
  ioFailed: boolean;
  /** Lines the prefilter let skip the parse, per source name. */
  quiet: Record<string, number>;
  snapshot?: EngineSnapshot;
}

/** How an input's lines may skip the parse (issue 8): per line, and in place in the chunk (k8s-audit). */
interface Prefilters {
  line: LinePrefilter | null;
  k8sQuiet: ((v: K8sRequestView) => boolean) | null;
}

/**
 * A record placed in event time; a parse error takes the time of its input's previous
 * event. Either `rec` and `result` (parsed) or `quiet` (prefiltered) is set.
 */
interface Timed {
  tsMs: number;
  tsSubNs: number;
  input: number;
  rec: InputRecord | null;
  result: ParseResult | null;
  quiet: QuietLine | null;
}

/** Takes one record placed in event time (a Timed without the object). */
type Emit = (input: number, tsMs: number, tsSubNs: number, rec: InputRecord | null, result: ParseResult | null, quiet: QuietLine | null) => void;
/** Takes a run of prefiltered lines in file order (only where nothing is merged: one input). */
type EmitRun = (input: number, run: QuietRun) => void;

/** One input's records, parsed or prefiltered, one batch per chunk read. */
async function* timedBatches(spec: InputSpec, index: number, opts: ReplayOptions, prefilter: Prefilters, failures: string[]): AsyncGenerator<Timed[]> {
  let batch: Timed[] = [];
  const emit: Emit = (input, tsMs, tsSubNs, rec, result, quiet) => {
    batch.push({ tsMs, tsSubNs, input, rec, result, quiet });
  };
  for await (const _ of readTimed(spec, index, opts, prefilter, failures, emit)) {
    if (batch.length === 0) continue;
    yield batch;
    batch = [];
  }
}

/**
 * Reads one file input and emits its records in file order, placed in event time;
 * pauses (yields) after each chunk. A read failure ends the input and is listed.
 */
async function* readTimed(spec: InputSpec, index: number, opts: ReplayOptions, prefilter: Prefilters, failures: string[], emit: Emit, emitRun?: EmitRun): AsyncGenerator<void> {
  let tsMs = Number.NEGATIVE_INFINITY;
  let tsSubNs = 0;
  try {
    const opened = await openInput(spec, opts.io.stdin);
    const parse = parsers[spec.kind];
    const splitter = new LineSplitter();
    const framer = FRAMERS[spec.kind]();
    const ctx = inputContext(spec, opened, opts.readOpts);
    const handle = (rec: InputRecord): void => {
      ctx.position = rec.position;
      ctx.invalidUtf8 = rec.invalidUtf8;
      ctx.truncated = rec.truncated;
      // A line the in-place taker already judged interesting is not judged again; it
      // scanned it, so the line is canonical (ParseContext.scannedCanonical).
      const judged = rec.lineNo === refused;
      ctx.scannedCanonical = judged;
      const time = prefilter.line === null || judged ? null : prefilter.line(rec.text, ctx);
      if (time !== null) {
        tsMs = time.ms;
        tsSubNs = time.subNs;
        emit(index, tsMs, tsSubNs, null, null, quietLineOf(time, rec.position, rec.text));
        return;
      }
      const result = parse(rec.text, ctx);
      if (result.ok) {
        tsMs = result.event.tsMs;
        tsSubNs = result.event.tsSubNs;
      }
      emit(index, tsMs, tsSubNs, rec, result, null);
    };
    const each = (line: RawLine): void => {
      for (const rec of framer.push(line)) handle(rec);
    };
    // issue 8: k8s-audit lines are scanned in place in the chunk; a quiet one is never decoded.
    let refused = 0;
    const taker =
      prefilter.k8sQuiet === null
        ? null
        : k8sQuietTaker(
            prefilter.k8sQuiet,
            (quiet) => {
              tsMs = quiet.ms;
              tsSubNs = quiet.subNs;
              emit(index, tsMs, tsSubNs, null, null, quiet);
            },
            (lineNo) => (refused = lineNo),
            emitRun === undefined
              ? undefined
              : (run) => {
                  tsMs = run.ms(run.length - 1);
                  tsSubNs = run.subNs(run.length - 1);
                  emitRun(index, run);
                },
          );
    for await (const chunk of opened.stream) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      splitter.pushEach(buf, taker !== null && framer.idle() ? taker : null, each);
      yield;
    }
    for (const line of splitter.end()) each(line);
    for (const rec of framer.end()) handle(rec);
    yield;
  } catch (e) {
    failures.push(`${spec.path}: ${(e as Error).message}`);
  }
}

/** issue 6: the same placement in event time for a non-file input (no prefilter: it parses itself). */
async function* timedSourceBatches(src: ReplaySource, index: number, failures: string[]): AsyncGenerator<Timed[]> {
  let tsMs = Number.NEGATIVE_INFINITY;
  let tsSubNs = 0;
  try {
    for await (const batch of src.batches()) {
      const out: Timed[] = [];
      for (const { record, result } of batch) {
        if (result.ok) {
          tsMs = result.event.tsMs;
          tsSubNs = result.event.tsSubNs;
        }
        out.push({ tsMs, tsSubNs, input: index, rec: record, result, quiet: null });
      }
      if (out.length > 0) yield out;
    }
  } catch (e) {
    failures.push(`${src.label}: ${(e as Error).message}`);
  }
}

/**
 * Alerts in event-time order; ties keep emission order, so output is deterministic.
 * Compared as times, not strings: "…:00Z" sorts after "…:00.6Z" as text.
 */
export function sortAlerts(alerts: Alert[]): Alert[] {
  return alerts
    .map((a, i) => {
      const t = parseRfc3339(a.ts);
      return { a, i, ms: t?.ms ?? 0, ns: t?.subNs ?? 0 };
    })
    .sort((x, y) => x.ms - y.ms || x.ns - y.ns || x.i - y.i)
    .map((x) => x.a);
}

export async function runReplay(opts: ReplayOptions): Promise<ReplayResult> {
  // Files first, then the other inputs (issue 6), in the order given: `input` indexes both.
  const extra = opts.sources ?? [];
  const sources: SourceInfo[] = [...opts.specs.map((s) => ({ name: s.name ?? s.path, kind: s.kind })), ...extra.map((s) => ({ name: s.name, kind: s.kind }))];
  const engine = new Engine({ rules, config: opts.config, sources });
  const alerts: Alert[] = [];
  const failures: string[] = [];
  const progress = new Progress(opts.io.stderr, opts.io.now);
  const started = opts.io.now();
  const names = sources.map((s) => s.name);
  const kinds: InputKind[] = sources.map((s) => s.kind);
  const eventCount = names.map(() => 0);
  const quietCount = names.map(() => 0);
  const errorCount: Array<Record<string, number>> = names.map(() => ({}));
  const filters = new Map<InputKind, Prefilters>();
  const prefilterOf = (kind: InputKind): Prefilters => {
    if (opts.prefilter === false) return { line: null, k8sQuiet: null };
    if (!filters.has(kind)) {
      filters.set(kind, {
        line: compilePrefilter(rules, opts.config, kind),
        k8sQuiet: kind === 'k8s-audit' ? compileK8sQuietTest(rules, opts.config) : null,
      });
    }
    return filters.get(kind)!;
  };
  const { fromMs, toMs } = opts;
  let seen = 0;
  let lastTs = '';
  /** The last line was quiet: its time text is built only when progress is printed. */
  let lastQuiet: QuietLine | null = null;
  const add = (out: Alert[]): void => {
    for (const a of out) alerts.push(a);
  };

  const each: Emit = (i, tsMs, _tsSubNs, rec, result, q): void => {
    if (fromMs !== undefined && tsMs < fromMs) return;
    if (toMs !== undefined && tsMs >= toMs) return;
    if (q !== null) {
      eventCount[i]!++;
      quietCount[i]!++;
      lastQuiet = q;
      const out = engine.pushQuiet(names[i]!, kinds[i]!, q);
      if (out.length > 0) add(out);
    } else {
      const r = result!;
      if (r.ok) {
        eventCount[i]!++;
        lastTs = r.event.ts;
        lastQuiet = null;
        add(engine.push({ event: r.event, line: rec!.text }));
      } else {
        const byCode = errorCount[i]!;
        byCode[r.error.code] = (byCode[r.error.code] ?? 0) + 1;
        add(engine.pushError({ sourceName: names[i]!, kind: kinds[i]!, code: r.error.code }));
      }
    }
    if (++seen % 4096 === 0) tick();
  };
  const tick = (): void =>
    progress.tick(() => {
      const secs = Math.max(0.001, (opts.io.now() - started) / 1000);
      const more = extra.map((s) => `; ${s.progress()}`).join(''); // issue 6: Loki paging progress
      if (lastQuiet !== null) lastTs = lastQuiet.iso();
      return `replay: ${seen} records (${Math.round(seen / secs)}/s), at ${lastTs}, ${alerts.length} alerts${more}`;
    });
  const eachRun: EmitRun = (i, run): void => {
    const n = run.length;
    if (fromMs !== undefined || toMs !== undefined) {
      for (let k = 0; k < n; k++) each(i, run.ms(k), run.subNs(k), null, null, run.line(k));
      return;
    }
    eventCount[i]! += n;
    quietCount[i]! += n;
    lastQuiet = run.line(n - 1);
    const out = engine.pushQuietRun(names[i]!, kinds[i]!, run);
    if (out.length > 0) add(out);
    const before = seen;
    seen += n;
    if (Math.floor(seen / 4096) !== Math.floor(before / 4096)) tick();
  };
  if (opts.specs.length === 1 && extra.length === 0) {
    // One file: nothing to merge, so no batches either.
    const spec = opts.specs[0]!;
    for await (const _ of readTimed(spec, 0, opts, prefilterOf(spec.kind), failures, each, eachRun));
  } else {
    const streams = opts.specs.map((s, i) => timedBatches(s, i, opts, prefilterOf(s.kind), failures));
    extra.forEach((s, i) => streams.push(timedSourceBatches(s, opts.specs.length + i, failures))); // issue 6
    await mergeBatchesByTime(streams, (x: Timed) => [x.tsMs, x.tsSubNs], (t) => each(t.input, t.tsMs, t.tsSubNs, t.rec, t.result, t.quiet));
  }
  for (const a of engine.flush()) alerts.push(a);
  progress.done();

  // Per source name (two inputs may share one), in input order, as before.
  const events: Record<string, number> = {};
  const errors: Record<string, Record<string, number>> = {};
  const quiet: Record<string, number> = {};
  names.forEach((name, i) => {
    if (eventCount[i]! > 0 || events[name] !== undefined) events[name] = (events[name] ?? 0) + eventCount[i]!;
    if (quietCount[i]! > 0) quiet[name] = (quiet[name] ?? 0) + quietCount[i]!;
    for (const [code, n] of Object.entries(errorCount[i]!)) {
      const byCode = (errors[name] ??= {});
      byCode[code] = (byCode[code] ?? 0) + n;
    }
  });
  const sorted = sortAlerts(alerts);
  const result: ReplayResult = {
    alerts: sorted,
    events,
    errors,
    quiet,
    summary: summarize(sources, events, errors, sorted, failures, filters.get('k8s-audit')?.k8sQuiet ? wasmScannerUnavailable() : null),
    ioFailed: failures.length > 0,
  };
  if (opts.snapshot) result.snapshot = engine.snapshot();
  return result;
}

function summarize(
  specs: Array<{ name: string; kind: InputKind }>,
  events: Record<string, number>,
  errors: Record<string, Record<string, number>>,
  alerts: Alert[],
  failures: string[],
  scannerNote: string | null,
): string {
  const lines = ['replay summary:'];
  for (const s of specs) {
    const name = s.name;
    const errs = errors[name] ?? {};
    const errTotal = Object.values(errs).reduce((a, b) => a + b, 0);
    const codes = Object.entries(errs)
      .map(([c, n]) => `${c}=${n}`)
      .join(' ');
    lines.push(`  ${s.kind}=${name}: ${events[name] ?? 0} events, ${errTotal} parse errors${codes ? ` (${codes})` : ''}`);
  }
  const byRule = new Map<string, number>();
  for (const a of alerts) byRule.set(a.rule, (byRule.get(a.rule) ?? 0) + 1);
  lines.push(`  alerts: ${alerts.length}${byRule.size ? ` (${[...byRule].map(([r, n]) => `${r}=${n}`).join(' ')})` : ''}`);
  for (const f of failures) lines.push(`  read failure: ${f}`);
  if (scannerNote !== null) lines.push(`  note: k8s-audit lines were scanned by the JavaScript scanner, about half as fast: the WebAssembly one is unavailable (${scannerNote})`);
  return lines.join('\n');
}
