// Where a followed file starts reading. Reads: the file's first bytes (identity), its
// last bytes (for `startAt: end`), and for saved files the path and its rotated siblings.
// Invariants:
// - a new file starts at 0, except at the very first start of a source without saved
//   state and `startAt: end`: then at the end of its last complete line (a line being
//   written while we start is read whole once it ends);
// - a saved file is resumed only where the same file is found (dev+ino plus fingerprint,
//   or a copy with the same first bytes, see rotation.ts); anything else at its path is
//   a different file and starts at 0.
import { open, type FileHandle } from 'node:fs/promises';
import type { InputKind } from '../../schemas/event.js';
import { TriplineError } from '../lib/errors.js';
import { identify, isGzip } from './file-identity.js';
import type { PathPattern } from './path-pattern.js';
import { findByInode, findCopy, listSiblings, type FoundFile } from './rotation.js';
import { TailedFile, type SavedFile } from './tailed-file.js';

/** Line numbers are counted for `startAt: end` only up to this size (beyond: byte positions). */
export const MAX_COUNTED_BYTES = 64 * 1024 * 1024;
const TAIL_SCAN_BYTES = 64 * 1024;

export interface StartContext {
  kind: InputKind;
  fingerprintBytes: number;
  nowMs: number;
}

/** Opens a file newly seen at a followed path; undefined when it vanished or is gzip. */
export async function openNewFile(path: string, atEnd: boolean, ctx: StartContext): Promise<TailedFile | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const st = await handle.stat();
    // Tailing a compressed file as text yields garbage; archives are read only as siblings.
    if (!st.isFile() || (await isGzip(handle))) {
      await handle.close();
      return undefined;
    }
    const id = await identify(handle, ctx.fingerprintBytes);
    let offset = 0;
    let lineNo: number | null = 0;
    if (atEnd) {
      offset = await endOfLastLine(handle, st.size);
      lineNo = offset <= MAX_COUNTED_BYTES ? await countLines(handle, offset) : null;
    }
    return new TailedFile(handle, false, path, id, offset, lineNo, ctx.kind, ctx.nowMs);
  } catch (e) {
    await handle.close();
    throw e;
  }
}

export type Restored = { file: TailedFile; how: 'at path' | 'rotated' | 'copy' } | { lost: SavedFile };

/** Finds a saved file again (see the header); `lost` when it is gone for good. */
export async function restoreSaved(saved: SavedFile, pattern: PathPattern, ctx: StartContext): Promise<Restored> {
  const siblings = await listSiblings(saved.path);
  const matches = await pattern.list();
  const byInode = await findByInode(saved, saved.offset, unique([saved.path, ...siblings, ...matches]));
  if (byInode && 'found' in byInode) {
    const f = byInode.found;
    const how = pattern.matchesPath(f.path) ? 'at path' : 'rotated';
    return { file: fromFound(f, saved, ctx, how === 'rotated'), how };
  }
  const copy = await findCopy(saved, saved.offset, siblings, (p) => pattern.matchesPath(p));
  if (copy) return { file: fromFound(copy, saved, ctx, true), how: 'copy' };
  return { lost: saved };
}

/** A copy of a replaced file's old content (copytruncate), to finish from `saved.offset`. */
export async function findCopyOf(saved: SavedFile, pattern: PathPattern, ctx: StartContext): Promise<TailedFile | undefined> {
  const copy = await findCopy(saved, saved.offset, await listSiblings(saved.path), (p) => pattern.matchesPath(p));
  return copy ? fromFound(copy, saved, ctx, true) : undefined;
}

function fromFound(f: FoundFile, saved: SavedFile, ctx: StartContext, rotated: boolean): TailedFile {
  const id = { dev: f.dev, ino: f.ino, fingerprint: saved.fingerprint, fpLen: saved.fpLen };
  const file = new TailedFile(f.handle, f.gzip, f.path, id, saved.offset, saved.lineNo, ctx.kind, ctx.nowMs);
  file.rotated = rotated;
  return file;
}

/** Validates a position this collector saved earlier (state files can be edited or corrupt). */
export function parseSavedFiles(source: string, from: Record<string, unknown>): SavedFile[] {
  const files = from['files'];
  const bad = (why: string) =>
    new TriplineError('TRIP_COLLECTOR_POSITION', `file source "${source}": saved position is not one this collector wrote (${why}); delete the source's saved position to start over`);
  if (!Array.isArray(files)) throw bad('no "files" list');
  return files.map((f: unknown, i) => {
    const o = f as Record<string, unknown>;
    const str = (k: string) => typeof o?.[k] === 'string';
    const int = (k: string) => Number.isSafeInteger(o?.[k]) && (o[k] as number) >= 0;
    if (!str('path') || !str('dev') || !str('ino') || !str('fingerprint') || !int('fpLen') || !int('offset') || !(o['lineNo'] === null || int('lineNo'))) {
      throw bad(`files[${i}] lacks path/dev/ino/fingerprint/fpLen/offset/lineNo`);
    }
    return {
      path: o['path'] as string,
      dev: o['dev'] as string,
      ino: o['ino'] as string,
      fingerprint: o['fingerprint'] as string,
      fpLen: o['fpLen'] as number,
      offset: o['offset'] as number,
      lineNo: o['lineNo'] as number | null,
    };
  });
}

/** The offset just after the last newline before `size` (0 for a file of one partial line). */
async function endOfLastLine(handle: FileHandle, size: number): Promise<number> {
  if (size === 0) return 0;
  const from = Math.max(0, size - TAIL_SCAN_BYTES);
  const buf = Buffer.alloc(size - from);
  const { bytesRead } = await handle.read(buf, 0, buf.length, from);
  const nl = buf.subarray(0, bytesRead).lastIndexOf(10);
  if (nl !== -1) return from + nl + 1;
  // No newline in the last 64 KiB of a bigger file: one giant line (already over the
  // line cap); start at the end rather than scanning back through it.
  return from === 0 ? 0 : size;
}

async function countLines(handle: FileHandle, upTo: number): Promise<number> {
  const buf = Buffer.allocUnsafe(256 * 1024);
  let n = 0;
  for (let pos = 0; pos < upTo; ) {
    const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, upTo - pos), pos);
    if (bytesRead === 0) break;
    for (let i = buf.indexOf(10, 0); i !== -1 && i < bytesRead; i = buf.indexOf(10, i + 1)) n += 1;
    pos += bytesRead;
  }
  return n;
}

function unique(paths: string[]): string[] {
  return [...new Set(paths)];
}
