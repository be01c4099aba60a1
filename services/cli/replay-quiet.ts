// The replay's in-place k8s-audit prefilter (issue 8): a LineTaker that scans each line
// where it lies in the chunk (K8sChunkScanner: WebAssembly, or the JavaScript scanner),
// cuts out only the few values the rules' interests read, and consumes the line when no
// rule is interested. A quiet line is never decoded, framed or parsed; the text H1 might
// keep of it is built only if H1 asks (ChunkQuietLine). Most quiet lines are taken in
// runs (take.run: one scanner call for many lines, handed on as a QuietRun); the rest,
// and the line each run stops at, one by one.
// Same verdicts as the per-line prefilter (compilePrefilter); the differential test
// replays with and without both.
import type { K8sRequestView } from '../../rules/define.js';
import type { LineTaker } from '../collectors/line-splitter.js';
import type { QuietEvidence, QuietLine, QuietRun } from '../engine/quiet-line.js';
import { parseRfc3339 } from '../lib/time.js';
import { newK8sChunkScanner, RUN_STRIDE, RunField, type K8sChunkScanner } from '../parsers/k8s-audit-chunk-scanner.js';
import { SlotView, TimeCache, timeRange, type Cut } from '../parsers/k8s-audit-scan.js';
import { K8sVerdictMemo } from '../engine/verdict-memo.js';

/** A quiet line still in its chunk: text, position and time text are built on demand. */
class ChunkQuietLine implements QuietLine {
  constructor(
    readonly ms: number,
    readonly subNs: number,
    private readonly chunk: Buffer,
    private readonly from: number,
    private readonly end: number,
    private readonly lineNo: number,
    private readonly tsAt: number,
    private readonly tsEnd: number,
  ) {}

  iso(): string {
    // The scanner only accepts a time parseRfc3339 reads (TimeCache is held to it).
    return parseRfc3339(this.chunk.toString('utf8', this.tsAt, this.tsEnd))!.iso;
  }

  evidence(): QuietEvidence {
    return { ts: this.iso(), position: `line ${this.lineNo}`, line: this.chunk.toString('utf8', this.from, this.end) };
  }
}

/** The run the scanner recorded last, as the engine takes it: valid until the scanner's next call. */
class ScannedRun implements QuietRun {
  length = 0;
  chunk: Buffer = Buffer.alloc(0);
  firstLineNo = 0;

  constructor(private readonly scanner: K8sChunkScanner) {}

  ms(k: number): number {
    return this.scanner.runMs[k * (RUN_STRIDE / 2) + RunField.Ms64]!;
  }

  subNs(k: number): number {
    return this.scanner.runRecords[k * RUN_STRIDE + RunField.SubNs]!;
  }

  line(k: number): QuietLine {
    const rec = this.scanner.runRecords;
    const r = k * RUN_STRIDE;
    return new ChunkQuietLine(this.ms(k), rec[r + RunField.SubNs]!, this.chunk, rec[r + RunField.From]!, rec[r + RunField.Newline]!, this.firstLineNo + k, rec[r + RunField.TsAt]!, rec[r + RunField.TsEnd]!);
  }
}

/**
 * `onQuiet` takes each consumed line, or with `onRun` the lines of a run at once;
 * `onInterested` hears of a line the scanner read but some rule wants (the per-line
 * prefilter would say the same, so the caller skips it).
 */
export function k8sQuietTaker(quiet: (v: K8sRequestView) => boolean, onQuiet: (line: QuietLine) => void, onInterested: (lineNo: number) => void, onRun?: (run: QuietRun) => void): LineTaker {
  const scanner = newK8sChunkScanner();
  const scanned = new ScannedRun(scanner);
  const times = new TimeCache();
  const memo = new K8sVerdictMemo(scanner.verdicts);
  let loaded: Buffer | null = null;
  // Offsets are bytes; values are cut only for lines the memo has no verdict for.
  const cut: Cut = (f, t) => loaded!.toString('utf8', f, t);
  const load = (chunk: Buffer): void => {
    if (chunk === loaded) return;
    loaded = chunk;
    scanner.load(chunk);
  };
  const take: LineTaker = (chunk, from, end, lineNo) => {
    load(chunk);
    if (!scanner.scan(from, end)) return false;
    const slots = scanner.slots;
    const [tsAt, tsEnd] = timeRange(slots);
    let ms: number;
    let subNs: number;
    if (times.parseBytes(chunk, tsAt, tsEnd)) {
      ms = times.ms;
      subNs = times.subNs;
    } else {
      const t = times.parse(cut(tsAt, tsEnd));
      if (t === null) return false;
      ms = t.ms;
      subNs = t.subNs;
    }
    let verdict = memo.lookup();
    if (verdict === undefined) {
      const view = new SlotView(slots, cut);
      verdict = quiet(view);
      memo.remember(view.read, verdict);
    }
    if (!verdict) {
      onInterested(lineNo);
      return false;
    }
    onQuiet(new ChunkQuietLine(ms, subNs, chunk, from, end, lineNo, tsAt, tsEnd));
    return true;
  };
  // The scanner finds each line's end while it reads the line (one call per line).
  take.nextLine = (chunk, from) => {
    load(chunk);
    return scanner.next(from);
  };
  // Most lines come in runs the scanner takes whole: judged by the memo, timed in the
  // cached minute, with no call per line; the line a run stops at comes to take().
  let minuteVersion = -1;
  take.run = (chunk, at, last, lineNo, maxLen) => {
    load(chunk);
    if (times.version !== minuteVersion) {
      minuteVersion = times.version;
      scanner.setMinute(times.minute());
    }
    const n = scanner.run(at.from, last, maxLen);
    if (n === 0) return;
    scanned.length = n;
    scanned.chunk = chunk;
    scanned.firstLineNo = lineNo;
    if (onRun !== undefined) onRun(scanned);
    else for (let k = 0; k < n; k++) onQuiet(scanned.line(k));
    at.from = scanner.runRecords[(n - 1) * RUN_STRIDE + RunField.Newline]! + 1;
    at.lines = n;
  };
  return take;
}
