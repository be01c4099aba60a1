// One followed file: reads it in bounded chunks from an open handle (plain: positional
// reads; gzip: a decompressing stream skipped to the offset), splits lines (LineSplitter),
// frames records (FRAMERS[kind]) and says where a restart may resume.
// Invariants:
// - `offset`/`lineNo` are the delivered position: the end of the last line that belongs
//   to a record already handed out. Bytes after it (a partial last line, lines a framer
//   still holds for a multi-line record) are only in memory and are read again after a
//   restart or rewind(): the splitter and framer are a cache that may be dropped anytime;
// - a partial last line is emitted only by finish(), i.e. once the file is rotated away
//   and has ended;
// - memory per file: one chunk, plus at most one capped line and one capped record.
import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { InputKind } from '../../schemas/event.js';
import { checkPrefix, identify, prefixMatches, readPrefix, type FileIdentity } from './file-identity.js';
import { LineSplitter, type RawLine } from './line-splitter.js';
import { FRAMERS, type Framer, type InputRecord } from './record-framer.js';
import type { CollectedRecord } from './types.js';

/** Bytes read per step; one step becomes (at most) one batch. */
export const CHUNK_BYTES = 256 * 1024;

/** The saved state of one file (an element of the file tail's position). */
export interface SavedFile extends FileIdentity {
  path: string;
  offset: number;
  /** Lines before `offset`; null when unknown (started at the end of a very large file). */
  lineNo: number | null;
}

export interface Mark {
  offset: number;
  lineNo: number | null;
}

export interface ReadStep {
  records: CollectedRecord[];
  /** The delivered position once these records are processed. */
  next: Mark;
  eof: boolean;
  /** Lines cut at the line-length cap in this step. */
  cutLines: number;
}

export class TailedFile {
  /** No longer at a followed path (renamed, deleted, or a copy being finished). */
  rotated = false;
  /** Last time reading found new bytes (a rotated file is finished after a quiet spell). */
  lastGrowthMs: number;
  mtimeMs = 0;
  private readPos: number;
  private splitter!: LineSplitter;
  private framer!: Framer;
  /** End offsets of lines pushed into the framer but not yet covered by a record. */
  private readonly lineEnds = new Map<number, number>();
  private gunzip: Readable | undefined;
  private gzIter: AsyncIterator<unknown> | undefined;
  private gzSkip = 0;
  private lastCheck: { size: number; mtimeMs: number } | undefined;

  constructor(
    private handle: FileHandle,
    readonly gzip: boolean,
    public path: string,
    public id: FileIdentity,
    public offset: number,
    public lineNo: number | null,
    private readonly kind: InputKind,
    nowMs: number,
  ) {
    this.lastGrowthMs = nowMs;
    this.readPos = offset;
    this.resetReader();
  }

  saved(next?: Mark): SavedFile {
    const m = next ?? { offset: this.offset, lineNo: this.lineNo };
    return { path: this.path, ...this.id, offset: m.offset, lineNo: m.lineNo };
  }

  /** Bytes read ahead of the delivered offset (a held partial line, framer-held lines). */
  get heldBytes(): number {
    return this.readPos - this.offset;
  }

  /**
   * For a plain file: whether it was truncated or rewritten since the last check
   * (copytruncate). Extends the fingerprint as the file grows toward `fpBytes`.
   */
  async checkContent(fpBytes: number): Promise<'ok' | 'replaced'> {
    const st = await this.handle.stat();
    this.mtimeMs = st.mtimeMs;
    if (this.gzip) return 'ok';
    if (st.size < this.readPos) return 'replaced';
    if (this.lastCheck && this.lastCheck.size === st.size && this.lastCheck.mtimeMs === st.mtimeMs) return 'ok';
    const check = checkPrefix(await readPrefix(this.handle, Math.min(st.size, fpBytes)), this.id, fpBytes);
    if (check.kind === 'changed') return 'replaced';
    if (check.kind === 'extended') this.id = { ...this.id, fingerprint: check.fingerprint, fpLen: check.fpLen };
    this.lastCheck = { size: st.size, mtimeMs: st.mtimeMs };
    return 'ok';
  }

  /**
   * Reads the next chunk (nothing at EOF: a plain file may still grow). 'replaced' when
   * the file's first bytes changed under us: the chunk may come from new content written
   * after a truncation, so it is dropped unread (copytruncate, see the collector).
   */
  async read(nowMs: number, scratch: Buffer): Promise<ReadStep | 'replaced'> {
    const chunk = this.gzip ? await this.readGzip() : await this.readPlain(scratch);
    if (!chunk) return { records: [], next: this.current(), eof: true, cutLines: 0 };
    if (!this.gzip && !prefixMatches(await readPrefix(this.handle, this.id.fpLen), this.id)) {
      this.readPos -= chunk.length;
      return 'replaced';
    }
    this.lastGrowthMs = nowMs;
    return this.frame(this.splitter.push(chunk), false);
  }

  /** The file has ended for good: emit the held partial line and framer-held lines. */
  finish(): ReadStep {
    return this.frame(this.splitter.end(), true);
  }

  commit(next: Mark): void {
    this.offset = next.offset;
    this.lineNo = next.lineNo;
  }

  /** Forgets what was read ahead; the next read starts again at the delivered offset. */
  rewind(): void {
    this.readPos = this.offset;
    this.resetReader();
  }

  /** The same inode now holds new content (copytruncate): start over at its beginning. */
  async restartAtZero(fpBytes: number): Promise<void> {
    this.id = await identify(this.handle, fpBytes);
    this.offset = 0;
    this.lineNo = 0;
    this.lastCheck = undefined;
    this.rewind();
  }

  async close(): Promise<void> {
    this.closeGzip();
    await this.handle.close().catch(() => undefined);
  }

  private current(): Mark {
    return { offset: this.offset, lineNo: this.lineNo };
  }

  private resetReader(): void {
    this.closeGzip();
    this.gzSkip = this.gzip ? this.offset : 0;
    this.splitter = new LineSplitter(this.offset, this.lineNo ?? 0);
    this.framer = FRAMERS[this.kind]();
    this.lineEnds.clear();
  }

  /**
   * Reads into the caller's scratch buffer (one per collector: reads are sequential there)
   * and copies the bytes out, since the splitter keeps slices of a held partial line.
   */
  private async readPlain(scratch: Buffer): Promise<Buffer | undefined> {
    const { bytesRead } = await this.handle.read(scratch, 0, Math.min(scratch.length, CHUNK_BYTES), this.readPos);
    if (bytesRead === 0) return undefined;
    this.readPos += bytesRead;
    return Buffer.from(scratch.subarray(0, bytesRead));
  }

  private async readGzip(): Promise<Buffer | undefined> {
    if (!this.gzIter) {
      this.gunzip = this.handle.createReadStream({ start: 0, autoClose: false }).pipe(createGunzip({ chunkSize: 64 * 1024 }));
      this.gzIter = this.gunzip[Symbol.asyncIterator]();
    }
    for (;;) {
      let res: IteratorResult<unknown>;
      try {
        res = await this.gzIter.next();
      } catch {
        // A corrupt or truncated archive ends here: what was decompressed is kept.
        return undefined;
      }
      if (res.done) return undefined;
      let chunk = res.value as Buffer;
      if (this.gzSkip > 0) {
        const skip = Math.min(this.gzSkip, chunk.length);
        this.gzSkip -= skip;
        chunk = chunk.subarray(skip);
        if (chunk.length === 0) continue;
      }
      this.readPos += chunk.length;
      return chunk;
    }
  }

  private closeGzip(): void {
    this.gunzip?.destroy();
    this.gunzip = undefined;
    this.gzIter = undefined;
  }

  private frame(lines: RawLine[], final: boolean): ReadStep {
    const inputs: InputRecord[] = [];
    let cutLines = 0;
    for (const line of lines) {
      if (line.truncated) cutLines += 1;
      this.lineEnds.set(line.lineNo, line.offset + line.bytes);
      inputs.push(...this.framer.push(line));
    }
    if (final) inputs.push(...this.framer.end());
    return { records: inputs.map((r) => this.toRecord(r)), next: this.advanceOver(inputs), eof: final, cutLines };
  }

  /** The delivered position after `inputs`: the end of the last line they cover. */
  private advanceOver(inputs: InputRecord[]): Mark {
    if (inputs.length === 0) return this.current();
    let last = 0;
    for (const r of inputs) last = Math.max(last, lastLineOf(r));
    const end = this.lineEnds.get(last);
    for (const n of this.lineEnds.keys()) {
      if (n > last) break;
      this.lineEnds.delete(n);
    }
    if (end === undefined) throw new Error(`tail ${this.path}: no end offset for line ${last} (framer/splitter out of step)`);
    return { offset: end, lineNo: this.lineNo === null ? null : last };
  }

  private toRecord(r: InputRecord): CollectedRecord {
    return {
      text: r.text,
      position: this.lineNo === null ? `${this.path} byte ${r.offset}` : `${this.path} ${r.position}`,
      invalidUtf8: r.invalidUtf8,
      truncated: r.truncated,
      refMs: this.mtimeMs || undefined,
    };
  }
}

/** The last line a framed record covers ("line N" or "lines N-M", see record-framer). */
function lastLineOf(r: InputRecord): number {
  const m = /^lines \d+-(\d+)$/.exec(r.position);
  return m ? Number(m[1]) : r.lineNo;
}
