// Journal: runs `journalctl --output=json --follow` and hands each entry on as one record
// whose place is the entry's `__CURSOR`. Reads journalctl's stdout (LineSplitter; one JSON
// object per line, see https://systemd.io/JOURNAL_EXPORT_FORMATS/) and keeps the last
// lines of its stderr for status().
// Position: `{ cursor }`, the cursor of the last entry delivered.
// Invariants:
// - resume = `--cursor=<saved> --no-tail`, and the first entry is dropped when it IS the
//   saved cursor. Same result as `--after-cursor`, minus systemd bug #30288 (before its
//   Dec 2023 fix, --after-cursor with a match such as -u skipped one entry): this is the
//   check the fix itself added. If the saved entry was vacuumed, journalctl lands on the
//   next one, which is kept;
// - no saved cursor: `beginning` reads the whole retained journal (`--no-tail`); `end`
//   first asks for the newest entry of the whole journal (`--lines=1`, no filters: its
//   cursor is a valid seek point even when it doesn't match them), saves it at once by
//   an empty "anchor" batch, and follows from there, so a crash before the first match
//   resumes at that point rather than at a later end;
// - journalctl exiting (journald restart, rotation trouble, a crash) restarts it after
//   exponential backoff with jitter, resuming after the last cursor DELIVERED (onBatch
//   is awaited before more output is read, so delivered = handed out); a partial line at
//   exit is dropped, to be printed again by the next run;
// - backpressure: stdout is read one chunk at a time and only after the batch before it
//   is delivered; a slow runner makes journalctl block on its pipe, nothing piles up.
import { spawn, type ChildProcess } from 'node:child_process';
import { TriplineError, UsageError } from '../lib/errors.js';
import { LineSplitter } from './line-splitter.js';
import { realTimers, type Timers } from './timers.js';
import type { CollectedBatch, CollectedRecord, Collector, CollectorStatus, SourcePosition } from './types.js';

export interface JournalOptions {
  name: string;
  /** The journalctl binary (tests pass a fake script). Default 'journalctl'. */
  command?: string;
  /** journalctl matches, FIELD=value or "+" (e.g. SYSLOG_IDENTIFIER=sshd). */
  matches?: string[];
  /** Units, each passed as --unit=U. */
  units?: string[];
  /** Passed first, verbatim (e.g. --directory=/var/log/journal, --merge). */
  extraArgs?: string[];
  /** Where a source without saved state starts. Default 'end'. */
  startAt?: 'end' | 'beginning';
  /** Restart delays after journalctl exits: initialMs doubling up to maxMs, with jitter. */
  backoff?: { initialMs: number; maxMs: number };
  /** Extra environment for journalctl. */
  env?: Record<string, string>;
  timers?: Timers;
  now?: () => number;
  /** [0, 1) source for the backoff jitter. */
  random?: () => number;
}

const MATCH = /^([A-Z0-9_]+=.*|\+)$/s;
const STDERR_LINES = 5;
const STDERR_LINE_BYTES = 500;
/** A run this long counts as healthy: the next failure starts the backoff over. */
const HEALTHY_RUN_MS = 10_000;
const STOP_KILL_MS = 2_000;

export class JournalCollector implements Collector {
  readonly name: string;
  readonly kind = 'journal' as const;
  private readonly command: string;
  private readonly matches: string[];
  private readonly units: string[];
  private readonly extraArgs: string[];
  private readonly startAt: 'end' | 'beginning';
  private readonly backoff: { initialMs: number; maxMs: number };
  private readonly env: NodeJS.ProcessEnv;
  private readonly timers: Timers;
  private readonly now: () => number;
  private readonly random: () => number;

  private onBatch: ((b: CollectedBatch) => Promise<void>) | undefined;
  private cursor: string | undefined;
  /** The cursor journalctl seeks to (inclusive), whose entry must not be delivered again. */
  private seekCursor: string | undefined;
  /** Follow from the end without a seek point (the newest-entry query failed). */
  private tailOnly = false;
  private anchorPending = false;
  private child: ChildProcess | undefined;
  private supervisor: Promise<void> | undefined;
  private stopping = false;
  private attempt = 0;
  private restarts = 0;
  private truncatedCount = 0;
  private sleeping: { handle: unknown; wake: () => void } | undefined;
  private lastExit: string | undefined;
  private readonly stderrTail: string[] = [];

  constructor(opts: JournalOptions) {
    this.name = opts.name;
    for (const m of opts.matches ?? []) {
      if (!MATCH.test(m)) throw new UsageError(`journal source "${opts.name}": match "${m}" is not FIELD=value (e.g. SYSLOG_IDENTIFIER=sshd) or "+"`);
    }
    for (const u of opts.units ?? []) {
      if (u === '' || u.startsWith('-')) throw new UsageError(`journal source "${opts.name}": unit "${u}" is not a unit name`);
    }
    const backoff = opts.backoff ?? { initialMs: 500, maxMs: 30_000 };
    if (!(backoff.initialMs > 0 && backoff.maxMs >= backoff.initialMs)) {
      throw new UsageError(`journal source "${opts.name}": backoff needs 0 < initialMs <= maxMs`);
    }
    this.command = opts.command ?? 'journalctl';
    this.matches = opts.matches ?? [];
    this.units = opts.units ?? [];
    this.extraArgs = opts.extraArgs ?? [];
    this.startAt = opts.startAt ?? 'end';
    this.backoff = backoff;
    this.env = { ...process.env, ...opts.env };
    this.timers = opts.timers ?? realTimers;
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
  }

  async start(from: SourcePosition | undefined, onBatch: (batch: CollectedBatch) => Promise<void>): Promise<void> {
    if (this.onBatch) throw new Error(`journal source "${this.name}": start() called twice`);
    this.onBatch = onBatch;
    const saved = from === undefined ? undefined : from['cursor'];
    if (from !== undefined && typeof saved !== 'string') {
      throw new TriplineError('TRIP_COLLECTOR_POSITION', `journal source "${this.name}": saved position has no cursor; delete the source's saved position to start over`);
    }
    if (typeof saved === 'string') {
      this.cursor = this.seekCursor = saved;
    } else if (this.startAt === 'end') {
      const newest = await this.newestCursor();
      if (newest === undefined) {
        // The query failed: follow from the end without a saved start point.
        this.tailOnly = true;
      } else if (newest !== null) {
        this.cursor = this.seekCursor = newest;
        this.anchorPending = true;
      }
      // null: the journal is empty, so everything in it from now on is new (--no-tail).
    }
    const child = await this.spawnFollow().catch((e: Error) => {
      throw new TriplineError('TRIP_COLLECTOR_JOURNAL_SPAWN', `journal source "${this.name}": cannot run "${this.command}" (${e.message}); install journalctl or set journal.command`);
    });
    this.supervisor = this.supervise(child);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.sleeping?.wake();
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const handle = this.timers.setTimeout(() => child.kill('SIGKILL'), STOP_KILL_MS);
      await this.supervisor;
      this.timers.clearTimeout(handle);
    } else {
      await this.supervisor;
    }
  }

  status(): CollectorStatus {
    const running = this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
    let detail = running ? `journalctl running (pid ${this.child!.pid})` : `journalctl not running${this.lastExit ? ` (${this.lastExit})` : ''}`;
    if (this.sleeping) detail += ', restarting after backoff';
    detail += `; restarts ${this.restarts}; cursor ${this.cursor ?? 'none yet'}`;
    if (this.stderrTail.length > 0) detail += `; stderr: ${this.stderrTail.join(' | ')}`;
    return { opened: running, detail, truncated: this.truncatedCount };
  }

  /** The arguments of the follow run, from the current resume point. */
  followArgs(): string[] {
    const args = [...this.extraArgs, '--output=json', '--follow', '--no-pager'];
    if (this.seekCursor !== undefined) args.push(`--cursor=${this.seekCursor}`, '--no-tail');
    else if (this.tailOnly) args.push('--lines=0');
    else args.push('--no-tail');
    for (const u of this.units) args.push(`--unit=${u}`);
    return [...args, ...this.matches];
  }

  private spawnFollow(): Promise<ChildProcess> {
    const child = spawn(this.command, this.followArgs(), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: this.env,
    });
    this.child = child;
    this.keepStderr(child);
    return new Promise((resolve, reject) => {
      child.once('spawn', () => resolve(child));
      child.once('error', reject);
    });
  }

  private async supervise(first: ChildProcess): Promise<void> {
    let child: ChildProcess | undefined = first;
    while (!this.stopping) {
      if (child) {
        const startedMs = this.now();
        const delivered = await this.consume(child);
        if (delivered || this.now() - startedMs >= HEALTHY_RUN_MS) this.attempt = 0;
      }
      if (this.stopping) break;
      await this.sleep(this.backoffDelay());
      this.attempt += 1;
      if (this.stopping) break;
      this.restarts += 1;
      child = await this.spawnFollow().catch((e: Error) => {
        this.lastExit = `cannot start: ${e.message}`;
        return undefined;
      });
    }
  }

  /** Reads one journalctl run to its end; true when it delivered at least one record. */
  private async consume(child: ChildProcess): Promise<boolean> {
    const exited = new Promise<string>((resolve) => {
      child.once('close', (code, signal) => resolve(signal ? `killed by ${signal}` : `exited with code ${code}`));
    });
    const splitter = new LineSplitter();
    let delivered = false;
    let first = true;
    let failure: string | undefined;
    try {
      if (this.anchorPending) {
        await this.onBatch!({ source: this.name, kind: this.kind, records: [], position: { cursor: this.cursor } });
        this.anchorPending = false;
      }
      for await (const chunk of child.stdout!) {
        // Stopping: hand nothing more on (leaving the loop closes the pipe).
        if (this.stopping) break;
        const records: CollectedRecord[] = [];
        let last = this.cursor;
        for (const line of splitter.push(chunk as Buffer)) {
          if (line.text === '') continue;
          const cursor = cursorOf(line.text);
          const isSeekEntry = first && cursor !== undefined && cursor === this.seekCursor;
          first = false;
          if (isSeekEntry) continue;
          if (cursor !== undefined) last = cursor;
          records.push({
            text: line.text,
            position: cursor !== undefined ? `cursor ${cursor}` : `journalctl output line ${line.lineNo}`,
            invalidUtf8: line.invalidUtf8,
            truncated: line.truncated,
          });
        }
        if (records.length === 0) continue;
        await this.onBatch!({ source: this.name, kind: this.kind, records, position: { cursor: last } });
        this.truncatedCount += records.filter((r) => r.truncated).length;
        this.cursor = last;
        delivered = true;
        // Restarts resume after what was delivered, inclusive seek on that cursor.
        if (last !== undefined) {
          this.seekCursor = last;
          this.tailOnly = false;
        }
      }
    } catch (e) {
      // onBatch failed: nothing past the last delivered cursor counts; run journalctl again.
      failure = `delivery failed: ${(e as Error).message}`;
    }
    // Output ended on its own: journalctl is exiting, let it report how. Otherwise (we
    // stopped reading) end it.
    if ((failure !== undefined || this.stopping) && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const how = await exited;
    this.lastExit = failure ? `${failure}; journalctl ${how}` : `journalctl ${how}`;
    return delivered;
  }

  /** Cursor of the newest entry in the whole journal; null when it is empty; undefined when the query failed. */
  private newestCursor(): Promise<string | null | undefined> {
    const child = spawn(this.command, [...this.extraArgs, '--output=json', '--no-pager', '--lines=1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: this.env,
    });
    this.keepStderr(child);
    const splitter = new LineSplitter();
    let newest: string | null = null;
    child.stdout!.on('data', (chunk: Buffer) => {
      for (const line of splitter.push(chunk)) newest = cursorOf(line.text) ?? newest;
    });
    return new Promise((resolve) => {
      const handle = this.timers.setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('error', () => resolve(undefined));
      child.once('close', (code) => {
        this.timers.clearTimeout(handle);
        for (const line of splitter.end()) newest = cursorOf(line.text) ?? newest;
        resolve(code === 0 ? newest : undefined);
      });
    });
  }

  private keepStderr(child: ChildProcess): void {
    const splitter = new LineSplitter(0, 0, STDERR_LINE_BYTES);
    const keep = (text: string) => {
      if (text.trim() === '') return;
      this.stderrTail.push(text);
      if (this.stderrTail.length > STDERR_LINES) this.stderrTail.shift();
    };
    child.stderr!.on('data', (chunk: Buffer) => splitter.push(chunk).forEach((l) => keep(l.text)));
    child.stderr!.on('end', () => splitter.end().forEach((l) => keep(l.text)));
  }

  /** Exponential backoff with "equal jitter": half fixed, half random, capped at maxMs. */
  private backoffDelay(): number {
    const { initialMs, maxMs } = this.backoff;
    const base = Math.min(maxMs, initialMs * 2 ** this.attempt);
    return Math.round(base / 2 + (base / 2) * this.random());
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        this.timers.clearTimeout(this.sleeping?.handle);
        this.sleeping = undefined;
        resolve();
      };
      this.sleeping = { handle: this.timers.setTimeout(wake, ms), wake };
    });
  }
}

const CURSOR_FIELD = /"__CURSOR"\s*:\s*"([^"\\]*)"/;

/** The entry's __CURSOR (opaque; never parsed further). Falls back to a scan for cut lines. */
function cursorOf(text: string): string | undefined {
  try {
    const v = (JSON.parse(text) as Record<string, unknown>)['__CURSOR'];
    return typeof v === 'string' ? v : undefined;
  } catch {
    return CURSOR_FIELD.exec(text)?.[1];
  }
}
