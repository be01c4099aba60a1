// The single-process lock of a state directory: one `tripline run` per `--state-dir`.
//
// What it writes: `<stateDir>/lock`, a small JSON file `{ pid, host, startedAt }`, created
// atomically with its content (written to `lock.<pid>.tmp`, then hard-linked into place:
// link(2) fails with EEXIST when a lock exists, so no reader ever sees an empty lock).
// Removed on release only if it is still ours.
//
// Invariants:
// - A live holder (its PID exists on this host, even as another user: EPERM; or it is this
//   very process, opening the store twice) means refusal with TRIP_STATE_LOCKED naming the
//   PID, host and state dir.
// - A lock whose PID is gone on this host is stale (a kill -9 or a crash left it): it is
//   broken and taken over, reported through `LockInfo.staleFrom`.
// - A lock written on another host (a shared network state dir) cannot be checked and is
//   treated as live: refusing is safer than two writers on one outbox.
// - Breaking a stale lock first renames it to a private name and re-reads it; if the
//   renamed file is not the stale one we read (another starter took the lock in between),
//   it is linked back. Two starters racing over the same stale lock therefore cannot both
//   win; the remaining window (three starters at once) is documented, not closed.
//
// Why a lock file rather than SQLite's exclusive locking mode: it names the holder in the
// error, and it leaves state.db readable by sqlite3 for inspection while tripline runs.
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { TriplineError } from '../lib/errors.js';

export interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
}

export interface LockOptions {
  /** Defaults to process.pid. */
  pid?: number;
  /** Liveness probe; defaults to `process.kill(pid, 0)` (EPERM counts as alive). */
  isAlive?: (pid: number) => boolean;
  /** Wall clock for `startedAt`; defaults to Date.now. */
  now?: () => number;
}

export interface LockInfo {
  path: string;
  owner: LockOwner;
  /** The dead holder whose stale lock was taken over, if any. */
  staleFrom: LockOwner | null;
}

export function defaultIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock of `stateDir` or throws TRIP_STATE_LOCKED / TRIP_STATE_DIR. */
export function acquireLock(stateDir: string, options: LockOptions = {}): LockInfo {
  const path = join(stateDir, 'lock');
  const owner: LockOwner = {
    pid: options.pid ?? process.pid,
    host: hostname(),
    startedAt: new Date((options.now ?? Date.now)()).toISOString(),
  };
  const isAlive = options.isAlive ?? defaultIsAlive;
  const tmp = join(stateDir, `lock.${owner.pid}.tmp`);
  try {
    writeFileSync(tmp, `${JSON.stringify(owner)}\n`, { mode: 0o644 });
  } catch (e) {
    throw dirError(stateDir, e);
  }
  let staleFrom: LockOwner | null = null;
  try {
    // Two rounds: the second one follows a stale-lock break.
    for (let round = 0; round < 2; round++) {
      try {
        linkSync(tmp, path);
        return { path, owner, staleFrom };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw dirError(stateDir, e);
      }
      const text = readOrNull(path);
      if (text === null) continue; // released meanwhile: try again
      const holder = parseOwner(text);
      const sameHost = holder !== null && holder.host === owner.host;
      const live = holder !== null && (!sameHost || holder.pid === owner.pid || isAlive(holder.pid));
      if (live) throw lockedError(stateDir, path, holder, sameHost);
      // Stale (dead PID on this host) or unreadable (not written by tripline's lock code).
      if (!breakStale(path, text, owner.pid)) continue;
      staleFrom = holder ?? { pid: 0, host: 'unknown', startedAt: 'unknown' };
    }
    const holder = parseOwner(readOrNull(path) ?? '');
    throw lockedError(stateDir, path, holder ?? { pid: 0, host: 'unknown', startedAt: 'unknown' }, true);
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // best effort: a leftover lock.<pid>.tmp is harmless
    }
  }
}

/** Removes the lock if it is still ours. */
export function releaseLock(info: LockInfo): void {
  const text = readOrNull(info.path);
  const holder = text === null ? null : parseOwner(text);
  if (holder && holder.pid === info.owner.pid && holder.startedAt === info.owner.startedAt && holder.host === info.owner.host) {
    try {
      unlinkSync(info.path);
    } catch {
      // already gone
    }
  }
}

/** Moves the stale lock out of the way; false if it changed under us (then it is restored). */
function breakStale(path: string, staleText: string, pid: number): boolean {
  const claim = `${path}.breaking.${pid}`;
  try {
    renameSync(path, claim);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true; // someone else broke it
    throw e;
  }
  const taken = readOrNull(claim);
  if (taken !== staleText) {
    // We renamed a fresh lock written between our read and our rename: put it back.
    try {
      linkSync(claim, path);
    } catch {
      // a third starter holds `path` now; leave theirs
    }
    unlinkSync(claim);
    return false;
  }
  unlinkSync(claim);
  return true;
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function parseOwner(text: string): LockOwner | null {
  try {
    const v = JSON.parse(text) as Partial<LockOwner>;
    if (typeof v.pid === 'number' && Number.isInteger(v.pid) && v.pid > 0 && typeof v.host === 'string') {
      return { pid: v.pid, host: v.host, startedAt: typeof v.startedAt === 'string' ? v.startedAt : 'unknown' };
    }
  } catch {
    // not ours
  }
  return null;
}

function lockedError(stateDir: string, path: string, holder: LockOwner, sameHost: boolean): TriplineError {
  const where = sameHost ? `PID ${holder.pid}` : `PID ${holder.pid} on host ${holder.host}`;
  return new TriplineError(
    'TRIP_STATE_LOCKED',
    `state directory ${stateDir} is in use by another tripline (${where}, started ${holder.startedAt}). ` +
      `Stop that process or pass a different --state-dir. If no such process exists, delete ${path}.`,
  );
}

export function dirError(stateDir: string, e: unknown): TriplineError {
  const code = (e as NodeJS.ErrnoException).code ?? 'unknown';
  return new TriplineError(
    'TRIP_STATE_DIR',
    `state directory ${stateDir} cannot be created or written (${code}: ${(e as Error).message}). ` +
      'Create it with write permission for this user, or pass another --state-dir.',
  );
}
