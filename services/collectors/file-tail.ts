// File tail: follows a path, or a glob with `*` in the last segment, from its saved
// position, across rename+create, copytruncate, delete+recreate and gzip-after-rotate.
// Reads: the followed directory (fs.watch to wake at once, plus a listing every
// pollIntervalMs for filesystems where watching is unreliable) and the files themselves
// in chunks of ≤ 256 KiB.
// Position: `{ files: SavedFile[] }` (tailed-file.ts): every file still being read, i.e.
// the current file(s) plus any rotated one not finished yet, each with dev+ino,
// fingerprint (+ its length), the delivered byte offset and line number.
// Invariants:
// - one batch at a time, awaited before reading on: memory is one chunk per file;
// - a batch's position covers exactly the records handed out so far: a restart from it
//   loses no line and repeats none; a partial last line is never emitted until its
//   newline arrives, except the last line of a rotated-away file that has ended;
// - rotated files are read before current ones (older lines first);
// - a file found later, or any file not in the saved position, starts at 0; `startAt`
//   applies only to the files present at the first start of a source without saved state,
//   and that start is saved at once by an empty "anchor" batch (records: []), so a crash
//   before the first line still resumes there rather than at a later end; a finished
//   rotated file leaves the position the same way (a position-only batch);
// - a glob matching nothing is not an error: the source waits, and status() says so.
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { InputKind } from '../../schemas/event.js';
import { UsageError } from '../lib/errors.js';
import { DEFAULT_FINGERPRINT_BYTES, sameInode } from './file-identity.js';
import { PathPattern } from './path-pattern.js';
import { findCopyOf, openNewFile, parseSavedFiles, restoreSaved, type StartContext } from './tail-start.js';
import type { Mark, ReadStep, TailedFile } from './tailed-file.js';
import { realTimers, type Timers } from './timers.js';
import type { CollectedBatch, Collector, CollectorStatus, SourcePosition } from './types.js';

export interface FileTailOptions {
  name: string;
  kind: InputKind;
  /** A file path, or a glob with `*` in the file name only (`/var/log/kube/audit*.log`). */
  path: string;
  /** Where a source without saved state starts. Default 'end'. */
  startAt?: 'end' | 'beginning';
  /** Rescan and re-read interval; the fallback when fs.watch misses events. Default 250. */
  pollIntervalMs?: number;
  /** Bytes fingerprinted at a file's start (fewer while the file is shorter). Default 1024. */
  fingerprintBytes?: number;
  /** How long a rotated-away file must stay unchanged at its end before it is finished. Default 1000. */
  rotatedGraceMs?: number;
  /** Use fs.watch to wake at once (default true); false polls only. */
  watch?: boolean;
  now?: () => number;
  timers?: Timers;
}

const MAX_NOTES = 3;

export class FileTailCollector implements Collector {
  readonly name: string;
  readonly kind: InputKind;
  private readonly pattern: PathPattern;
  private readonly startAt: 'end' | 'beginning';
  private readonly pollIntervalMs: number;
  private readonly fingerprintBytes: number;
  private readonly rotatedGraceMs: number;
  private readonly useWatch: boolean;
  private readonly now: () => number;
  private readonly timers: Timers;
  private readonly stemOfNames: string;

  private files: TailedFile[] = [];
  private onBatch: ((batch: CollectedBatch) => Promise<void>) | undefined;
  private started = false;
  private stopping = false;
  private loopDone: Promise<void> | undefined;
  private watcher: FSWatcher | undefined;
  private wakeUp: (() => void) | undefined;
  private woken = false;
  private rescanDue = true;
  private lastRescanMs = Number.NEGATIVE_INFINITY;
  private anchorPending = false;
  private cutLines = 0;
  private lastError: string | undefined;
  private readonly notes: string[] = [];

  constructor(opts: FileTailOptions) {
    this.name = opts.name;
    this.kind = opts.kind;
    this.pattern = new PathPattern(opts.path);
    this.startAt = opts.startAt ?? 'end';
    this.pollIntervalMs = positive('pollIntervalMs', opts.pollIntervalMs ?? 250, opts.name);
    this.fingerprintBytes = positive('fingerprintBytes', opts.fingerprintBytes ?? DEFAULT_FINGERPRINT_BYTES, opts.name);
    this.rotatedGraceMs = opts.rotatedGraceMs ?? 1000;
    this.useWatch = opts.watch ?? true;
    this.now = opts.now ?? Date.now;
    this.timers = opts.timers ?? realTimers;
    const lit = this.pattern.literalPrefix;
    this.stemOfNames = this.pattern.isGlob ? lit : lit.replace(/\.[^.]*$/, '');
  }

  async start(from: SourcePosition | undefined, onBatch: (batch: CollectedBatch) => Promise<void>): Promise<void> {
    if (this.started) throw new Error(`file source "${this.name}": start() called twice`);
    this.started = true;
    this.onBatch = onBatch;
    if (from) {
      for (const saved of parseSavedFiles(this.name, from)) {
        const r = await restoreSaved(saved, this.pattern, this.ctx());
        if ('lost' in r) this.note(`${saved.path} (saved at byte ${saved.offset}) was not found again; its unread lines are lost`);
        else if (this.files.some((f) => sameInode(f.id, r.file.id))) await r.file.close();
        else this.files.push(r.file);
      }
    }
    const fresh = from === undefined && this.startAt === 'end';
    await this.rescan(fresh);
    this.anchorPending = fresh && this.files.length > 0;
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeUp?.();
    await this.loopDone;
    this.watcher?.close();
    this.watcher = undefined;
    await Promise.all(this.files.map((f) => f.close()));
    this.files = [];
  }

  status(): CollectorStatus {
    let detail: string;
    if (this.files.length === 0) {
      detail = `waiting: ${this.pattern.path} matches no file yet`;
    } else {
      const shown = this.files.slice(0, 5).map((f) => `${f.path}${f.rotated ? ' (rotated, finishing)' : ''} at byte ${f.offset}`);
      if (this.files.length > 5) shown.push(`and ${this.files.length - 5} more`);
      detail = `following ${shown.join(', ')}`;
    }
    if (this.started && !this.watcher) detail += `; polling every ${this.pollIntervalMs} ms`;
    if (this.lastError) detail += `; error: ${this.lastError}`;
    if (this.notes.length > 0) detail += `; ${this.notes.join('; ')}`;
    return { opened: this.started && !this.stopping, detail, truncated: this.cutLines };
  }

  private ctx(): StartContext {
    return { kind: this.kind, fingerprintBytes: this.fingerprintBytes, nowMs: this.now() };
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      let failed = false;
      try {
        await this.cycle();
        this.lastError = undefined;
      } catch (e) {
        failed = true;
        this.lastError = (e as Error).message;
        this.rescanDue = true;
      }
      if (!this.stopping) await this.waitForWake(failed);
    }
  }

  private async cycle(): Promise<void> {
    if (this.anchorPending) {
      await this.onBatch!({ source: this.name, kind: this.kind, records: [], position: this.snapshot() });
      this.anchorPending = false;
    }
    if (this.rescanDue || this.now() - this.lastRescanMs >= this.pollIntervalMs) await this.rescan(false);
    for (const f of [...this.files]) {
      if (this.stopping) return;
      if (this.files.includes(f)) await this.drain(f);
    }
  }

  /** Matches the followed paths to tracked files by dev+ino; opens new ones; marks the gone ones rotated. */
  private async rescan(atEnd: boolean): Promise<void> {
    this.rescanDue = false;
    this.lastRescanMs = this.now();
    this.watchDir();
    const present = new Set<TailedFile>();
    for (const path of await this.pattern.list()) {
      let st;
      try {
        st = await stat(path, { bigint: true });
      } catch {
        continue;
      }
      if (!st.isFile()) continue;
      const key = { dev: String(st.dev), ino: String(st.ino) };
      const known = this.files.find((f) => !f.gzip && sameInode(f.id, key));
      if (known) {
        known.path = path;
        known.rotated = false;
        present.add(known);
        continue;
      }
      const opened = await openNewFile(path, atEnd, this.ctx());
      if (opened) {
        this.files.push(opened);
        present.add(opened);
      }
    }
    for (const f of this.files) if (!present.has(f)) f.rotated = true;
  }

  /** Reads one file to its current end; finishes it when rotated away and quiet. */
  private async drain(f: TailedFile): Promise<void> {
    let replaced = (await f.checkContent(this.fingerprintBytes)) === 'replaced';
    for (;;) {
      if (replaced) {
        await this.onReplaced(f);
        if (!this.files.includes(f)) return;
      }
      if (this.stopping) return;
      const step = await f.read(this.now());
      replaced = step === 'replaced';
      if (step === 'replaced') continue;
      await this.deliver(f, step);
      if (step.eof) break;
    }
    if (f.rotated && (f.gzip || this.now() - f.lastGrowthMs >= this.rotatedGraceMs)) {
      await this.deliver(f, f.finish());
      await this.drop(f);
    }
  }

  /** Forgets a finished file, and saves that at once (a position-only batch) so a restart doesn't look for it. */
  private async drop(f: TailedFile): Promise<void> {
    this.files.splice(this.files.indexOf(f), 1);
    await f.close();
    await this.onBatch!({ source: this.name, kind: this.kind, records: [], position: this.snapshot() });
  }

  /**
   * The same inode now holds other content (copytruncate): the old content's unread rest
   * was copied to a sibling (`.1`, maybe gzip'ed): finish it from there, then read the
   * file again from 0.
   */
  private async onReplaced(f: TailedFile): Promise<void> {
    if (f.rotated) {
      // A rotated file overwritten in place: its old content is gone, and the new content
      // is some other file's (never read it as this one's). What is held is all that is left.
      this.note(`${f.path} was overwritten after rotation; unread old lines may be lost`);
      await this.deliver(f, f.finish());
      await this.drop(f);
      return;
    }
    const copy = await findCopyOf(f.saved(), this.pattern, this.ctx());
    if (!copy) {
      // Nothing to finish from: what we hold in memory is all that is left of the old content.
      if (f.heldBytes > 0 || f.offset > 0) this.note(`${f.path} was truncated and no rotated copy was found; unread old lines may be lost`);
      await this.deliver(f, f.finish());
    }
    await f.restartAtZero(this.fingerprintBytes);
    if (copy) {
      this.files.splice(this.files.indexOf(f), 0, copy);
      await this.drain(copy);
    }
  }

  private async deliver(f: TailedFile, step: ReadStep): Promise<void> {
    if (step.records.length === 0) {
      f.commit(step.next);
      return;
    }
    const batch: CollectedBatch = { source: this.name, kind: this.kind, records: step.records, position: this.snapshot(f, step.next) };
    this.cutLines += step.cutLines;
    try {
      await this.onBatch!(batch);
    } catch (e) {
      // Not delivered: read these lines again on the next attempt.
      this.cutLines -= step.cutLines;
      f.rewind();
      throw e;
    }
    f.commit(step.next);
  }

  private snapshot(current?: TailedFile, next?: Mark): SourcePosition {
    return { files: this.files.map((f) => f.saved(f === current ? next : undefined)) };
  }

  private watchDir(): void {
    if (!this.useWatch || this.watcher || this.stopping) return;
    try {
      const w = watch(this.pattern.dir, { persistent: false }, (event, name) => {
        if (name !== null && !this.isRelevant(String(name))) return;
        this.wake(event === 'rename');
      });
      // E.g. the directory was removed: poll, and watch again at a later rescan.
      w.on('error', () => {
        w.close();
        if (this.watcher === w) this.watcher = undefined;
      });
      this.watcher = w;
    } catch {
      // The directory does not exist (yet): polling finds it.
    }
  }

  private isRelevant(name: string): boolean {
    return name.startsWith(this.stemOfNames) || this.pattern.matchesName(name);
  }

  private wake(rescan: boolean): void {
    if (rescan) this.rescanDue = true;
    this.woken = true;
    this.wakeUp?.();
  }

  /** Until a watch event, or the poll interval. After an error, only the interval (no hot retry loop). */
  private waitForWake(afterError: boolean): Promise<void> {
    if (this.woken && !afterError) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        this.timers.clearTimeout(handle);
        this.wakeUp = undefined;
        this.woken = false;
        resolve();
      };
      const handle = this.timers.setTimeout(() => {
        this.rescanDue = true;
        done();
      }, this.pollIntervalMs);
      this.wakeUp = () => {
        if (!afterError || this.stopping) done();
      };
    });
  }

  private note(text: string): void {
    this.notes.push(text);
    if (this.notes.length > MAX_NOTES) this.notes.shift();
  }
}

function positive(option: string, value: number, source: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`file source "${source}": ${option} must be a positive number, got ${value}`);
  return value;
}
