// The k8s-audit line scanner over a whole chunk, in one of two builds with the same
// answers (issue 8): WebAssembly (wasm/k8s-audit-scan.ts, compiled by `npm run build` into
// dist/wasm/; it skips string bytes 16 at a time with SIMD and is about twice as fast),
// or the JavaScript scanner (k8s-audit-scan.ts) when the WebAssembly build is missing
// or cannot load. TRIPLINE_SCANNER=js forces the JavaScript build (diagnosis, tests).
// test/perf/k8s-scan-builds.test.ts holds both to the same slots on real and fuzzed lines.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../lib/package-root.js';
import { newScanSlots, scanK8sAuditBytes, Slot, timeInMinute, type K8sScanSlots } from './k8s-audit-scan.js';
import { JsVerdictTable, type VerdictTable } from '../engine/verdict-memo.js';

export interface K8sChunkScanner {
  readonly build: 'wasm' | 'js';
  /** Makes `chunk` the one scan() reads (the WebAssembly build copies it into its memory). */
  load(chunk: Buffer): void;
  /** scanK8sAuditBytes over chunk[from, end) of the loaded chunk; `slots` then hold the offsets. */
  scan(from: number, end: number): boolean;
  /**
   * Where the line at `from` of the loaded chunk ends (its "\n", as indexOf finds it; the
   * line must have one). The WebAssembly build scans the line on the way, and the next
   * scan() of exactly that line answers from it.
   */
  next(from: number): number;
  /** Valid after a scan() that returned true, until the next scan() or load(). */
  readonly slots: K8sScanSlots;
  /** Remembered prefilter verdicts, keyed by fields of the line last accepted (engine/verdict-memo.ts). */
  readonly verdicts: VerdictTable;
  /** The minute run() places times in (TimeCache.minute()), or null for none. */
  setMinute(minute: { prefix: Uint8Array; ms: number } | null): void;
  /**
   * Records the run of quiet lines of the loaded chunk from `from` on, up to the line that
   * ends at `last` (a "\n"): each line scan() accepts, whose remembered verdict is quiet,
   * whose time falls in the set minute, no longer than `maxLen` bytes. Stops at the first
   * other line, which it leaves; returns how many lines it took. Record k is
   * runRecords[k * RUN_STRIDE + RunField.*] and its time in ms runMs[k * RUN_STRIDE / 2 + 3].
   */
  run(from: number, last: number, maxLen: number): number;
  readonly runRecords: Int32Array;
  readonly runMs: Float64Array;
}

/** A run record's fields (i32 words; the time in ms is the f64 at word 6). */
export const enum RunField {
  From = 0,
  Newline = 1,
  TsAt = 2,
  TsEnd = 3,
  SubNs = 4,
  Ms64 = 3,
}
/** i32 words per run record (32 bytes, as wasm/k8s-audit-scan.ts RUN_STRIDE). */
export const RUN_STRIDE = 8;
/** Records per run call (wasm/k8s-audit-scan.ts RUN_MAX). */
const RUN_MAX = 4096;

/** What this module uses of the WebAssembly API (the project's lib settings carry no DOM types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
type WasmModule = object;
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: unknown };
}
const WebAssembly = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface ScanExports {
  memory: WasmMemory;
  chunkBase(): number;
  slotsPtr(): number;
  scan(start: number, end: number): number;
  scanNext(from: number): number;
  memoLookup(mask: number): number;
  memoLookupAll(): number;
  memoAddMask(mask: number): number;
  memoStore(mask: number, quiet: number): void;
  memoClear(): void;
  minutePtr(): number;
  runPtr(): number;
  runMax(): number;
  runStopPtr(): number;
  scanRun(from: number, last: number, maxLen: number): number;
}

/** Bytes of "\n" after a chunk in WebAssembly memory: a 16-byte SIMD load never leaves the chunk's line. */
const PAD = 16;
const PAGE = 65536;
const SLOT_COUNT = newScanSlots().length;


class JsChunkScanner implements K8sChunkScanner {
  readonly build = 'js' as const;
  readonly slots = newScanSlots();
  private chunk: Buffer = Buffer.alloc(0);
  load(chunk: Buffer): void {
    this.chunk = chunk;
  }
  scan(from: number, end: number): boolean {
    return scanK8sAuditBytes(this.chunk, from, end, this.slots);
  }
  next(from: number): number {
    return this.chunk.indexOf(10, from);
  }
  readonly verdicts = new JsVerdictTable(() => ({ b: this.chunk, slots: this.slots }));

  private minute: { prefix: Uint8Array; ms: number } | null = null;
  setMinute(minute: { prefix: Uint8Array; ms: number } | null): void {
    this.minute = minute === null ? null : { prefix: Uint8Array.from(minute.prefix), ms: minute.ms };
  }
  readonly runRecords = new Int32Array(RUN_MAX * RUN_STRIDE);
  readonly runMs = new Float64Array(this.runRecords.buffer);
  private readonly time = { ms: 0, subNs: 0 };

  run(from: number, last: number, maxLen: number): number {
    const m = this.minute;
    if (m === null) return 0;
    const b = this.chunk;
    const slots = this.slots;
    const rec = this.runRecords;
    let n = 0;
    while (from <= last && n < RUN_MAX) {
      const nl = b.indexOf(10, from);
      if (nl - from > maxLen || !scanK8sAuditBytes(b, from, nl, slots) || this.verdicts.lookupAll() !== 1) break;
      const tsAt = slots[Slot.TsAt]!;
      const tsEnd = slots[Slot.TsEnd]!;
      if (!timeInMinute(b, tsAt, tsEnd, m.prefix, m.ms, this.time)) break;
      const r = n * RUN_STRIDE;
      rec[r + RunField.From] = from;
      rec[r + RunField.Newline] = nl;
      rec[r + RunField.TsAt] = tsAt;
      rec[r + RunField.TsEnd] = tsEnd;
      rec[r + RunField.SubNs] = this.time.subNs;
      this.runMs[r / 2 + RunField.Ms64] = this.time.ms;
      n++;
      from = nl + 1;
    }
    return n;
  }
}

class WasmChunkScanner implements K8sChunkScanner {
  readonly build = 'wasm' as const;
  slots: K8sScanSlots;
  private bytes: Uint8Array;
  private readonly base: number;

  constructor(private readonly x: ScanExports) {
    this.base = x.chunkBase();
    this.bytes = new Uint8Array(x.memory.buffer);
    this.slots = new Int32Array(x.memory.buffer, x.slotsPtr(), SLOT_COUNT);
    this.next2 = new Int32Array(x.memory.buffer, x.slotsPtr() + SLOT_COUNT * 4, 2);
    this.runRecords = new Int32Array(x.memory.buffer, x.runPtr(), RUN_MAX * RUN_STRIDE);
    this.runMs = new Float64Array(x.memory.buffer, x.runPtr(), (RUN_MAX * RUN_STRIDE) / 2);
    this.runStop = new Int32Array(x.memory.buffer, x.runStopPtr(), 2);
    if (x.runMax() !== RUN_MAX) throw new Error(`k8s-audit scanner: the WebAssembly build holds ${x.runMax()} run records, this code expects ${RUN_MAX}`);
    this.reserve(this.base); // the verdict table and its arena sit below the chunk
    x.memoClear();
  }

  private reserve(need: number): void {
    const have = this.x.memory.buffer.byteLength;
    if (need <= have) return;
    this.x.memory.grow(Math.ceil((need - have) / PAGE));
    // Growing detaches the old views (their length reads 0 from then on).
    this.bytes = new Uint8Array(this.x.memory.buffer);
    this.slots = new Int32Array(this.x.memory.buffer, this.x.slotsPtr(), SLOT_COUNT);
    this.next2 = new Int32Array(this.x.memory.buffer, this.x.slotsPtr() + SLOT_COUNT * 4, 2);
    this.runRecords = new Int32Array(this.x.memory.buffer, this.x.runPtr(), RUN_MAX * RUN_STRIDE);
    this.runMs = new Float64Array(this.x.memory.buffer, this.x.runPtr(), (RUN_MAX * RUN_STRIDE) / 2);
    this.runStop = new Int32Array(this.x.memory.buffer, this.x.runStopPtr(), 2);
  }

  runRecords: Int32Array;
  runMs: Float64Array;
  private runStop: Int32Array;

  setMinute(minute: { prefix: Uint8Array; ms: number } | null): void {
    const at = this.x.minutePtr();
    const words = new DataView(this.x.memory.buffer, at, 32);
    words.setInt32(24, minute === null ? 0 : 1, true);
    if (minute === null) return;
    this.bytes.set(minute.prefix, at);
    words.setFloat64(16, minute.ms, true);
  }

  run(from: number, last: number, maxLen: number): number {
    const n = this.x.scanRun(from, last, maxLen);
    // The line it stopped at was scanned and judged as scanNext would have: next() and
    // scan() of that line answer from it (runStopPtr: its offset and newline's, or -1).
    const stop = this.runStop;
    this.nextFrom = stop[0]!;
    this.nextEnd = stop[1]!;
    return n;
  }

  load(chunk: Buffer): void {
    this.nextFrom = -1;
    this.prejudged = false;
    const need = this.base + chunk.length + PAD;
    this.reserve(need);
    this.bytes.set(chunk, this.base);
    this.bytes.fill(10, this.base + chunk.length, need);
  }

  /**
   * scanNext's answers for the line it read last ([nextFrom, nextEnd)), the two words after
   * the slots (wasm/k8s-audit-scan.ts NEXT_ACCEPTED, NEXT_VERDICT): accepted, verdict.
   */
  private next2: Int32Array;
  private nextFrom = -1;
  private nextEnd = -1;
  /** The last scan() answered from scanNext, so its verdict lookup is done too. */
  private prejudged = false;

  scan(from: number, end: number): boolean {
    this.prejudged = from === this.nextFrom && end === this.nextEnd;
    if (this.prejudged) return this.next2[0] === 1;
    this.nextFrom = -1;
    return this.x.scan(this.base + from, this.base + end) === 1;
  }

  next(from: number): number {
    if (from === this.nextFrom) return this.nextEnd;
    const nl = this.x.scanNext(from);
    this.nextFrom = from;
    this.nextEnd = nl;
    return nl;
  }
  readonly verdicts: VerdictTable = {
    lookup: (mask) => this.x.memoLookup(mask),
    // Once per line: scanNext has looked already, unless a verdict was stored since.
    lookupAll: () => (this.prejudged ? this.next2[1]! : this.x.memoLookupAll()),
    addMask: (mask) => this.x.memoAddMask(mask) === 1,
    store: (mask, quiet) => {
      this.prejudged = false;
      this.x.memoStore(mask, quiet ? 1 : 0);
    },
  };
}

let compiled: WasmModule | null | undefined;
/** Why the WebAssembly build could not be used, once it was tried and failed. */
let unavailable: string | null = null;

/** The compiled WebAssembly build, or null (not built, or this runtime refuses it). */
function wasmModule(): WasmModule | null {
  if (compiled !== undefined) return compiled;
  compiled = null;
  const root = packageRoot();
  if (root === null) {
    unavailable = 'the tripline package root was not found';
    return null;
  }
  try {
    compiled = new WebAssembly.Module(readFileSync(join(root, 'dist/wasm/k8s-audit-scan.wasm')));
  } catch (e) {
    // Missing (sources not built) or no SIMD: the JavaScript build gives the same answers.
    unavailable = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'dist/wasm/k8s-audit-scan.wasm is missing (run `npm run build`)' : `this runtime refused it: ${(e as Error).message.slice(0, 200)}`;
  }
  return compiled;
}

/** Why k8s-audit lines are scanned by the slower JavaScript build, or null when they are not (replay prints it). */
export function wasmScannerUnavailable(): string | null {
  if (preferred() === 'js') return null; // asked for: nothing to report
  wasmModule();
  return unavailable;
}

/** TRIPLINE_SCANNER=js (any case) asks for the JavaScript build. */
const preferred = (): 'wasm' | 'js' => (process.env['TRIPLINE_SCANNER']?.toLowerCase() === 'js' ? 'js' : 'wasm');

/** A scanner with its own memory (one per input being read). */
export function newK8sChunkScanner(prefer: 'wasm' | 'js' = preferred()): K8sChunkScanner {
  const mod = prefer === 'wasm' ? wasmModule() : null;
  if (mod === null) return new JsChunkScanner();
  const scanner = instantiateScanner(mod);
  if (typeof scanner !== 'string') return scanner;
  // A build from other sources (dist/wasm left from an older checkout): the JavaScript
  // scanner gives the same answers; the replay summary says why it was used.
  compiled = null;
  unavailable = `dist/wasm/k8s-audit-scan.wasm does not match this code, run \`npm run build\` (${scanner})`;
  return new JsChunkScanner();
}

/** A WebAssembly scanner on its own instance of `mod`, or why `mod` cannot be one. */
export function instantiateScanner(mod: object): K8sChunkScanner | string {
  try {
    const instance = new WebAssembly.Instance(mod, {
      env: {
        abort: () => {
          throw new Error('k8s-audit scanner: WebAssembly abort');
        },
      },
    });
    const exports = instance.exports as Record<string, unknown>;
    const missing = SCAN_EXPORTS.filter((name) => typeof exports[name] !== 'function');
    if (missing.length > 0) return `it lacks ${missing.join(', ')}`;
    return new WasmChunkScanner(exports as unknown as ScanExports);
  } catch (e) {
    return (e as Error).message.slice(0, 200);
  }
}

/** The functions WasmChunkScanner calls (ScanExports). */
const SCAN_EXPORTS = ['chunkBase', 'slotsPtr', 'scan', 'scanNext', 'memoLookup', 'memoLookupAll', 'memoAddMask', 'memoStore', 'memoClear', 'minutePtr', 'runPtr', 'runMax', 'runStopPtr', 'scanRun'] as const satisfies ReadonlyArray<keyof ScanExports>;
// Every function of ScanExports is checked: this fails to compile when one is left out.
const checksAll: Exclude<keyof ScanExports, 'memory' | (typeof SCAN_EXPORTS)[number]> extends never ? true : never = true;
void checksAll;
