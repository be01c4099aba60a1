// File identity for the tailer: device + inode + a fingerprint (sha256) of the file's
// first bytes. Reads only the first ≤ N bytes of a file: plain (positional reads) or the
// decompressed start of a gzip file (a rotated `.1.gz`).
// Invariants:
// - a fingerprint always records how many bytes it covers (fpLen), so a file first seen
//   shorter than N keeps a stable identity: a candidate is compared by hashing exactly
//   fpLen of its bytes; the fingerprint may later be extended (never changed) once the
//   file has grown and its first fpLen bytes still match;
// - dev/ino are decimal strings (bigint stat): 64-bit inode numbers exceed Number precision
//   and the position must survive a JSON round trip exactly.
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';

export interface FileIdentity {
  dev: string;
  ino: string;
  /** sha256 (hex, first 32 chars) of the first fpLen bytes (decompressed for gzip). */
  fingerprint: string;
  fpLen: number;
}

export const DEFAULT_FINGERPRINT_BYTES = 1024;

const GZIP_MAGIC = [0x1f, 0x8b] as const;

export function hashPrefix(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 32);
}

/** Reads up to `n` bytes from the start of an open file (fewer when the file is shorter). */
export async function readPrefix(fh: FileHandle, n: number): Promise<Buffer> {
  const buf = Buffer.alloc(n);
  let got = 0;
  while (got < n) {
    const { bytesRead } = await fh.read(buf, got, n - got, got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buf.subarray(0, got);
}

/** Whether an open file starts with the gzip magic bytes (a log line never does). */
export async function isGzip(fh: FileHandle): Promise<boolean> {
  const head = await readPrefix(fh, 2);
  return head.length === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
}

/**
 * The first `n` decompressed bytes of an open gzip file. A corrupt or still-being-written
 * archive yields what could be decompressed (the caller's fingerprint check decides).
 */
export async function readGzipPrefix(fh: FileHandle, n: number): Promise<Buffer> {
  const gunzip = fh.createReadStream({ start: 0, autoClose: false }).pipe(createGunzip());
  const parts: Buffer[] = [];
  let got = 0;
  try {
    for await (const chunk of gunzip) {
      const c = chunk as Buffer;
      parts.push(c.subarray(0, n - got));
      got += Math.min(c.length, n - got);
      if (got >= n) break;
    }
  } catch {
    // truncated or corrupt archive: keep what we have
  } finally {
    gunzip.destroy();
  }
  return Buffer.concat(parts, got);
}

/** The identity of an open file: its dev+ino and the fingerprint of up to `maxBytes` bytes. */
export async function identify(fh: FileHandle, maxBytes: number, gzip = false): Promise<FileIdentity> {
  const st = await fh.stat({ bigint: true });
  const prefix = gzip ? await readGzipPrefix(fh, maxBytes) : await readPrefix(fh, maxBytes);
  return { dev: String(st.dev), ino: String(st.ino), fingerprint: hashPrefix(prefix), fpLen: prefix.length };
}

/** Whether `prefix` (a file's first bytes, at least fpLen of them) carries the fingerprint. */
export function prefixMatches(prefix: Buffer, id: Pick<FileIdentity, 'fingerprint' | 'fpLen'>): boolean {
  return prefix.length >= id.fpLen && hashPrefix(prefix.subarray(0, id.fpLen)) === id.fingerprint;
}

export type PrefixCheck =
  | { kind: 'same' }
  | { kind: 'extended'; fingerprint: string; fpLen: number }
  | { kind: 'changed' };

/**
 * Re-checks a tracked file's first bytes: 'changed' means its content was replaced
 * (copytruncate, or rewritten in place); 'extended' means it still matches and has
 * grown, so the fingerprint can now cover more bytes (up to maxBytes).
 */
export function checkPrefix(prefix: Buffer, id: FileIdentity, maxBytes: number): PrefixCheck {
  if (!prefixMatches(prefix, id)) return { kind: 'changed' };
  const len = Math.min(prefix.length, maxBytes);
  if (len > id.fpLen) return { kind: 'extended', fingerprint: hashPrefix(prefix.subarray(0, len)), fpLen: len };
  return { kind: 'same' };
}

export function sameInode(a: Pick<FileIdentity, 'dev' | 'ino'>, b: Pick<FileIdentity, 'dev' | 'ino'>): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}
