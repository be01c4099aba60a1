// Finding a tracked file again after it was rotated away from its path. Reads directory
// listings and the first bytes of candidate files in the same directory.
// Rotation schemes covered, by the sibling names they produce:
//   logrotate rename+create / copytruncate:  audit.log.1, audit.log.2.gz, audit.log-20260610
//   dateext / savelog / svlogd-like:          audit.log-2026..., audit.log_..., audit.log.old
//   timestamped backups (kube-apiserver, lumberjack): audit-2026-06-10T01-02-03.456.log[.gz]
// Invariants: a file is found by the same dev+ino whose first fpLen bytes still hash to
// the saved fingerprint (a reused inode or rewritten file is NOT the same file), or, for
// copies (copytruncate's `.1`, gzip's `.1.gz`), by a different inode with the same first
// bytes: never at a path the pattern follows, where a new file with an identical header
// would otherwise be mistaken for a copy. Candidates are bounded (newest first).
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { isGzip, prefixMatches, readGzipPrefix, readPrefix, sameInode, type FileIdentity } from './file-identity.js';

/** Rotated siblings considered per lookup (newest by mtime first). */
export const MAX_SIBLINGS = 64;

/** Paths in the same directory that look like rotated versions of `path`, newest first. */
export async function listSiblings(path: string, limit = MAX_SIBLINGS): Promise<string[]> {
  const dir = dirname(path);
  const base = basename(path);
  const ext = extname(base);
  const stem = ext && ext !== base ? base.slice(0, -ext.length) : base;
  const prefixes = [`${base}.`, `${base}-`, `${base}_`];
  if (stem !== base) prefixes.push(`${stem}-`, `${stem}.`, `${stem}_`);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const found: { path: string; mtimeMs: number }[] = [];
  for (const name of names) {
    if (name === base || !prefixes.some((p) => name.startsWith(p))) continue;
    const p = join(dir, name);
    try {
      const st = await stat(p);
      if (st.isFile()) found.push({ path: p, mtimeMs: st.mtimeMs });
    } catch {
      // vanished between readdir and stat
    }
  }
  found.sort((a, b) => b.mtimeMs - a.mtimeMs);
  return found.slice(0, limit).map((f) => f.path);
}

export interface FoundFile {
  path: string;
  handle: FileHandle;
  gzip: boolean;
  dev: string;
  ino: string;
  /** Plain files only (a gzip's decompressed size is not known up front). */
  size: number | undefined;
}

export type InodeLookup = { found: FoundFile } | { changed: string } | undefined;

/**
 * The saved file by its dev+ino among `candidates`. `changed` names a path that has the
 * inode but not the content (truncated and rewritten, or the inode was reused); the
 * caller then looks for a copy of the old content.
 */
export async function findByInode(id: FileIdentity, offset: number, candidates: string[]): Promise<InodeLookup> {
  for (const path of candidates) {
    let st;
    try {
      st = await stat(path, { bigint: true });
    } catch {
      continue;
    }
    if (!st.isFile() || !sameInode(id, { dev: String(st.dev), ino: String(st.ino) })) continue;
    const opened = await openMatching(path, id);
    if (!opened) return { changed: path };
    // Same inode and first bytes, but shorter than what we had read: truncated in place.
    if (opened.size !== undefined && opened.size < offset) {
      await opened.handle.close();
      return { changed: path };
    }
    return { found: opened };
  }
  return undefined;
}

/**
 * A copy of the saved file's content under another inode (copytruncate's `.1`, or a
 * gzip'ed rotation), still holding bytes at or beyond `offset`. Excluded paths are those
 * the pattern follows (see the header).
 */
export async function findCopy(
  id: FileIdentity,
  offset: number,
  candidates: string[],
  excluded: (path: string) => boolean,
): Promise<FoundFile | undefined> {
  // No bytes fingerprinted (the file was empty when last seen): any file would "match".
  if (id.fpLen === 0) return undefined;
  for (const path of candidates) {
    if (excluded(path)) continue;
    const opened = await openMatching(path, id).catch(() => undefined);
    if (!opened) continue;
    if (sameInode(id, opened)) {
      await opened.handle.close();
      continue;
    }
    if (opened.size === undefined || opened.size >= offset) return opened;
    await opened.handle.close();
  }
  return undefined;
}

/** Opens `path` and returns it when its first fpLen bytes (decompressed if gzip) match. */
async function openMatching(path: string, id: FileIdentity): Promise<FoundFile | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const st = await handle.stat({ bigint: true });
    const gzip = await isGzip(handle);
    const prefix = gzip ? await readGzipPrefix(handle, id.fpLen) : await readPrefix(handle, id.fpLen);
    if (prefixMatches(prefix, id)) {
      return { path, handle, gzip, dev: String(st.dev), ino: String(st.ino), size: gzip ? undefined : Number(st.size) };
    }
  } catch {
    // unreadable candidate: not a match
  }
  await handle.close();
  return undefined;
}
