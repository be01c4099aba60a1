// One measurement in a fresh process (so JIT state, heap and peak RSS belong to it
// alone): `node dist/bench/child.js TASK JSON-ARGS` prints one JSON result line.
//   replay   {inputs:[{kind,path}], prefilter?, scanner?}  runReplay over the inputs, timed in-process
//            (scanner 'js': the JavaScript k8s-audit scanner instead of the WebAssembly one)
//   ceiling  {path}                              the same line reader + JSON.parse, nothing else
//   keys     {path, maxKeys, every?}              S2 windows: one failed login from each of the
//            file's distinct addresses, parsed and pushed; heap and RSS as keys accumulate
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { Writable } from 'node:stream';
import v8 from 'node:v8';
import { Config } from '../schemas/config.js';
import type { InputKind } from '../schemas/event.js';
import { runReplay } from '../services/cli/replay-run.js';
import { LineSplitter } from '../services/collectors/line-splitter.js';
import { Engine } from '../services/engine/engine.js';
import { parsers } from '../services/parsers/index.js';
import { newK8sChunkScanner } from '../services/parsers/k8s-audit-chunk-scanner.js';
import type { ParseContext } from '../services/parsers/types.js';
import { rules } from '../rules/index.js';

/** CPU time (user + system) of this process since `c0`, in seconds: steadier than wall time on a busy machine. */
const cpuSince = (c0: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(c0);
  return (d.user + d.system) / 1e6;
};
const quiet = new Writable({ write: (_c, _e, cb) => cb() });
const gc = (): void => (globalThis as { gc?: () => void }).gc?.();

async function replay(a: { inputs: Array<{ kind: InputKind; path: string }>; prefilter?: boolean; year?: number; scanner?: 'js' }): Promise<unknown> {
  if (a.scanner === 'js') process.env['TRIPLINE_SCANNER'] = 'js';
  const scanner = newK8sChunkScanner().build;
  // Start-up is not replay: the config is loaded (and the io set up) before the clock
  // starts, as module loading is; `tripline replay` does both before it reads a line.
  const opts = {
    specs: a.inputs.map((i) => ({ kind: i.kind, path: i.path })),
    config: Config.parse({}),
    readOpts: { year: a.year ?? 2026 },
    io: { stderr: quiet, stdin: process.stdin, now: () => Date.now() },
    prefilter: a.prefilter !== false,
  };
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = await runReplay(opts);
  const seconds = (performance.now() - t0) / 1000;
  const cpuSeconds = cpuSince(c0);
  const events = Object.values(r.events).reduce((x, y) => x + y, 0);
  const errors = Object.values(r.errors).reduce((x, e) => x + Object.values(e).reduce((p, q) => p + q, 0), 0);
  const quietLines = Object.values(r.quiet).reduce((x, y) => x + y, 0);
  return { seconds, cpuSeconds, events, errors, quiet: quietLines, alerts: r.alerts.length, maxRssMB: process.resourceUsage().maxRSS / 1024, scanner };
}

/**
 * Split lines + JSON.parse, nothing else: the replay's own line reader (1 MiB chunks,
 * LineSplitter), without the record framer, parser or engine.
 */
async function ceiling(a: { path: string }): Promise<unknown> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const splitter = new LineSplitter();
  let lines = 0;
  let bad = 0;
  const take = (text: string): void => {
    lines++;
    try {
      JSON.parse(text);
    } catch {
      bad++;
    }
  };
  for await (const chunk of createReadStream(a.path, { highWaterMark: 1024 * 1024 })) {
    for (const l of splitter.push(chunk as Buffer)) take(l.text);
  }
  for (const l of splitter.end()) take(l.text);
  return { seconds: (performance.now() - t0) / 1000, cpuSeconds: cpuSince(c0), lines, bad };
}

/**
 * The reference loop, for context: what a parse-everything tool typically does
 * (stream the file, decode, split the text on "\n", JSON.parse each line). JSON.parse is
 * ~65% of its time; tripline's own reader (ceiling above) is faster at splitting.
 */
async function naive(a: { path: string }): Promise<unknown> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let lines = 0;
  let bad = 0;
  const take = (text: string): void => {
    if (text === '') return;
    lines++;
    try {
      JSON.parse(text);
    } catch {
      bad++;
    }
  };
  for await (const chunk of createReadStream(a.path, { highWaterMark: 256 * 1024 })) {
    const s = carry + decoder.write(chunk as Buffer);
    let from = 0;
    for (let nl = s.indexOf('\n'); nl !== -1; nl = s.indexOf('\n', from)) {
      take(s.slice(from, nl));
      from = nl + 1;
    }
    carry = s.slice(from);
  }
  take(carry + decoder.end());
  return { seconds: (performance.now() - t0) / 1000, cpuSeconds: cpuSince(c0), lines, bad };
}

/**
 * S2 with `lines` distinct addresses each failing once; samples heap/RSS every `every`
 * lines. The lines are read from a file through the replay's LineSplitter, so they are
 * the flat strings a real run holds (a template literal would be a rope).
 */
async function keys(a: { lines: number; maxKeys: number; every?: number; path: string }): Promise<unknown> {
  const config = Config.parse({ engine: { maxKeys: a.maxKeys } });
  const engine = new Engine({ rules, config, sources: [{ name: 'auth.log', kind: 'syslog' }] });
  const parse = parsers.syslog;
  const ctx: ParseContext = { kind: 'syslog', sourceName: 'auth.log', position: '', year: 2026, carry: {} };
  const every = a.every ?? Math.max(1, Math.floor(a.lines / 10));
  gc();
  const base = process.memoryUsage();
  const samples: Array<{ lines: number; keys: number; heapMB: number; heapTotalMB: number; rssMB: number }> = [];
  let alerts = 0;
  let i = 0;
  const splitter = new LineSplitter();
  const take = (line: string): void => {
    ctx.position = `line ${i + 1}`;
    const r = parse(line, ctx);
    if (!r.ok) throw new Error(`scan line did not parse: ${r.error.message}`);
    alerts += engine.push({ event: r.event, line }).length;
    if (++i % every === 0) {
      gc();
      const m = process.memoryUsage();
      samples.push({ lines: i, keys: engine.stats().keys['S2'] ?? 0, heapMB: m.heapUsed / 2 ** 20, heapTotalMB: m.heapTotal / 2 ** 20, rssMB: m.rss / 2 ** 20 });
    }
  };
  for await (const chunk of createReadStream(a.path, { highWaterMark: 1024 * 1024 })) for (const l of splitter.push(chunk as Buffer)) take(l.text);
  for (const l of splitter.end()) take(l.text);
  gc();
  const end = process.memoryUsage();
  const liveKeys = engine.stats().keys['S2'] ?? 0;
  return {
    liveKeys,
    evicted: engine.stats().evictions['S2'] ?? 0,
    alerts,
    bytesPerKey: (end.heapUsed - base.heapUsed) / Math.max(1, liveKeys),
    heapMB: end.heapUsed / 2 ** 20,
    rssMB: end.rss / 2 ** 20,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    heapLimitMB: v8.getHeapStatistics().heap_size_limit / 2 ** 20,
    samples,
  };
}

const [task, json] = process.argv.slice(2);
const args = JSON.parse(json ?? '{}') as never;
const tasks: Record<string, (a: never) => unknown> = { replay, ceiling, naive, keys };
const fn = tasks[task ?? ''];
if (!fn) {
  process.stderr.write(`unknown task ${task}; one of ${Object.keys(tasks).join(', ')}\n`);
  process.exit(2);
}
process.stdout.write(`${JSON.stringify(await fn(args))}\n`);
