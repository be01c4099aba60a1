// File tail: follows a path, or a glob with `*` in the last segment, from its saved
// position, across rename+create, copytruncate, delete+recreate and gzip-after-rotate.
// Reads: the followed directory (fs.watch to wake at once, plus a listing every
// pollIntervalMs for filesystems where watching is unreliable: dir-waker.ts) and the
// files themselves in chunks of ≤ 256 KiB (tailed-file.ts).
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
// Limits: copytruncate is followed only if each truncation is noticed (within a poll
// interval) before the next one: the unread rest is found in the copy by the fingerprint
// of the content we were reading; a generation never seen at all has no known identity
// and is not guessed at (copytruncate can also lose lines written between the copy and
// the truncation: logrotate's own caveat). A rotated file overwritten in place is
// dropped, never re-read as new.
import { stat } from 'node:fs/promises';
import type { InputKind } from '../../schemas/event.js';
import { UsageError } from '../lib/errors.js';
import { DirWaker } from './dir-waker.js';
import { DEFAULT_FINGERPRINT_BYTES, sameInode } from './file-identity.js';
import { PathPattern } from './path-pattern.js';
import { findCopyOf, openNewFile, parseSavedFiles, restoreSaved, type StartContext } from './tail-start.js';
import { CHUNK_BYTES, type Mark, type ReadStep, type TailedFile } from './tailed-file.js';
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
  private readonly now: () => number;
  private readonly waker: DirWaker;

  private files: TailedFile[] = [];
  private onBatch: ((batch: CollectedBatch) => Promise<void>) | undefined;
  private started = false;
  private stopping = false;
  private loopDone: Promise<void> | undefined;
  private lastRescanMs = Number.NEGATIVE_INFINITY;
  private anchorPending = false;
  private cutLines = 0;
  private lastError: string | undefined;
  private readonly notes: string[] = [];
  /** The one read buffer: files are read one at a time. */
  private readonly scratch = Buffer.allocUnsafe(CHUNK_BYTES);

  constructor(opts: FileTailOptions) {
    this.name = opts.name;
    this.kind = opts.kind;
    this.pattern = new PathPattern(opts.path);
    this.startAt = opts.startAt ?? 'end';
    this.pollIntervalMs = positive('pollIntervalMs', opts.pollIntervalMs ?? 250, opts.name);
    this.fingerprintBytes = positive('fingerprintBytes', opts.fingerprintBytes ?? DEFAULT_FINGERPRINT_BYTES, opts.name);
    this.rotatedGraceMs = opts.rotatedGraceMs ?? 1000;
    this.now = opts.now ?? Date.now;
    // Names worth waking for: the followed ones and their rotated siblings (same stem).
    const lit = this.pattern.literalPrefix;
    const stem = this.pattern.isGlob ? lit : lit.replace(/\.[^.]*$/, '');
    const relevant = (name: string) => name.startsWith(stem) || this.pattern.matchesName(name);
    this.waker = new DirWaker(this.pattern.dir, relevant, this.pollIntervalMs, opts.timers ?? realTimers, opts.watch ?? true);
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
    if (this.stopping) {
      // stop() came while we were opening: it found no loop to wait for.
      await Promise.all(this.files.map((f) => f.close()));
      this.files = [];
      this.waker.stop();
      return;
    }
    this.anchorPending = fresh && this.files.length > 0;
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.waker.stop();
    await this.loopDone;
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
    if (this.started && !this.waker.watching) detail += `; polling every ${this.pollIntervalMs} ms`;
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
        this.waker.rescanDue = true;
      }
      if (!this.stopping) await this.waker.wait(failed);
    }
  }

  private async cycle(): Promise<void> {
    if (this.anchorPending) {
      await this.onBatch!({ source: this.name, kind: this.kind, records: [], position: this.snapshot() });
      this.anchorPending = false;
    }
    if (this.waker.rescanDue || this.now() - this.lastRescanMs >= this.pollIntervalMs) await this.rescan(false);
    for (const f of [...this.files]) {
      if (this.stopping) return;
      if (this.files.includes(f)) await this.drain(f);
    }
  }

  /** Matches the followed paths to tracked files by dev+ino; opens new ones; marks the gone ones rotated. */
  private async rescan(atEnd: boolean): Promise<void> {
    this.waker.rescanDue = false;
    this.lastRescanMs = this.now();
    this.waker.ensureWatching();
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
      let opened: TailedFile | undefined;
      try {
        opened = await openNewFile(path, atEnd, this.ctx());
      } catch (e) {
        // One unreadable file must not hold up the others; it is tried again at the next scan.
        this.note(`${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
        continue;
      }
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
      const step = await f.read(this.now(), this.scratch);
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

  private note(text: string): void {
    if (this.notes.includes(text)) return;
    this.notes.push(text);
    if (this.notes.length > MAX_NOTES) this.notes.shift();
  }
}

function positive(option: string, value: number, source: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`file source "${source}": ${option} must be a positive number, got ${value}`);
  return value;
}
