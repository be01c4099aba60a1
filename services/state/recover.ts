// Opening state.db safely: load node:sqlite quietly, detect a damaged database, move it
// aside and start fresh, so that a bad file is reported once and never becomes a crash loop.
//
// What it writes: on damage, renames `state.db` (and its `-wal`/`-shm` companions) to
// `state.db.corrupt-<n>` (`-wal`, `-shm` suffixes kept, so the copy stays openable with the
// sqlite3 shell for forensics), then lets the caller create a fresh database at `state.db`.
//
// Invariants:
// - Only *evidence of damage* moves a file aside: SQLITE_CORRUPT, SQLITE_NOTADB, a failing
//   `PRAGMA quick_check`, an unrecognisable schema, or a -wal whose database is gone. Any
//   other failure (permissions, I/O, full disk, busy, a newer schema version) is thrown as a
//   TriplineError and the file is left alone: a transient problem must never cost the
//   outbox, whose loss would re-post or lose alerts.
// - Also here: the connection pragmas and schema versioning (applySchema), because telling
//   "not our database" from "a newer tripline's database" is part of deciding what is damage.
// - At most one recovery per open: if the fresh database also fails, that error is thrown.
// - Nothing is deleted: every damaged copy is kept under a new, unused number. The check
//   runs on a read-only connection, because closing a read-write one checkpoints the WAL
//   into the damaged file and deletes it.
//
// Why quick_check: it verifies b-tree structure and page formats in O(size) without the
// index-content cross-check of integrity_check; state.db is small (positions, one snapshot,
// a pruned outbox): measured 20 ms at start-up for a 28 MB database of 20,000 alerts.
import { existsSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { DatabaseSync } from 'node:sqlite';
import { TriplineError } from '../lib/errors.js';

type SqliteModule = typeof import('node:sqlite');
let sqliteModule: SqliteModule | undefined;

/**
 * node:sqlite, loaded on first use. Node 22.13-24.14 print "ExperimentalWarning: SQLite is
 * an experimental feature" when the module is first loaded (24.15+ mark it release
 * candidate and print nothing). A CLI must not put that on stderr, so the load runs with
 * process.emitWarning filtered for exactly that one warning and restored right after; all
 * other warnings pass through. A static `import` could not be wrapped this way.
 */
export function loadSqlite(): SqliteModule {
  if (sqliteModule) return sqliteModule;
  const original = process.emitWarning;
  process.emitWarning = function filtered(this: unknown, warning: string | Error, ...rest: unknown[]): void {
    const text = typeof warning === 'string' ? warning : warning.message;
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    const isSqliteWarning =
      (type === 'ExperimentalWarning' || (warning instanceof Error && warning.name === 'ExperimentalWarning')) &&
      text.startsWith('SQLite');
    if (!isSqliteWarning) (original as (...a: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    sqliteModule = createRequire(import.meta.url)('node:sqlite') as SqliteModule;
  } finally {
    process.emitWarning = original;
  }
  return sqliteModule;
}

/** The primary SQLite result code of an error thrown by node:sqlite (extended codes masked), or undefined. */
export function sqliteCode(e: unknown): number | undefined {
  const code = (e as { errcode?: unknown } | null)?.errcode;
  return typeof code === 'number' ? code & 0xff : undefined;
}

export const SQLITE = { ERROR: 1, BUSY: 5, LOCKED: 6, READONLY: 8, IOERR: 10, CORRUPT: 11, FULL: 13, CANTOPEN: 14, CONSTRAINT: 19, NOTADB: 26 } as const;

/** Thrown by the caller's `configure` when the file is a SQLite database but not ours. */
export class SchemaMismatch extends Error {
  override name = 'SchemaMismatch';
}

export interface RecoveryReport {
  /** Why the old file was set aside, in words a log reader understands. */
  reason: string;
  /** Where the damaged copy now lives. */
  movedTo: string;
}

export interface OpenedDatabase {
  db: DatabaseSync;
  recovery: RecoveryReport | null;
}

/**
 * Opens `dbPath`, checks it, and runs `configure` (pragmas, schema, prepared statements).
 * A damaged file is moved aside and a fresh one configured instead (see header).
 */
export function openVerified(dbPath: string, timeoutMs: number, configure: (db: DatabaseSync) => void): OpenedDatabase {
  const damage = tryOpen(dbPath, timeoutMs, configure);
  if (!('reason' in damage)) return { db: damage.db, recovery: null };
  const movedTo = moveAside(dbPath);
  const fresh = tryOpen(dbPath, timeoutMs, configure);
  if ('reason' in fresh) {
    throw new TriplineError(
      'TRIP_STATE_CORRUPT',
      `state store: a freshly created ${dbPath} is unusable too (${fresh.reason}); the damaged copy is at ${movedTo}. ` +
        'Check the disk and filesystem holding the state directory.',
    );
  }
  return { db: fresh.db, recovery: { reason: damage.reason, movedTo } };
}

function tryOpen(
  dbPath: string,
  timeoutMs: number,
  configure: (db: DatabaseSync) => void,
): { db: DatabaseSync } | { reason: string } {
  const { DatabaseSync } = loadSqlite();
  if (!existsSync(dbPath) && existsSync(`${dbPath}-wal`)) {
    // SQLite would replay this WAL into the new, empty database.
    return { reason: 'a state.db-wal without its state.db (was the database deleted by hand?)' };
  }
  let db: DatabaseSync | undefined;
  try {
    if (existsSync(dbPath)) {
      // Checked through a read-only connection: closing a read-write one would checkpoint
      // the WAL into the damaged file and delete it, destroying the evidence we keep.
      let rows: Array<Record<string, unknown>>;
      try {
        db = new DatabaseSync(dbPath, { readOnly: true, timeout: timeoutMs });
        rows = db.prepare('PRAGMA quick_check(5)').all() as Array<Record<string, unknown>>;
      } catch (e) {
        // issue 9 (hardening): SQLITE_READONLY here is not damage: the file needs a writer
        // first (a hot rollback journal left by a kill -9 while the new database was being
        // created, before WAL mode: SQLITE_READONLY_ROLLBACK; or a WAL index that needs
        // recovery). The read-only check failed and tripline refused to start, for good,
        // blaming permissions. A read-write connection rolls back or recovers, then checks.
        if (sqliteCode(e) !== SQLITE.READONLY) throw e;
        db?.close();
        db = new DatabaseSync(dbPath, { timeout: timeoutMs });
        rows = db.prepare('PRAGMA quick_check(5)').all() as Array<Record<string, unknown>>;
      }
      db.close();
      db = undefined;
      const problems = rows.map((r) => String(Object.values(r)[0])).filter((t) => t !== 'ok');
      if (problems.length > 0) return { reason: `PRAGMA quick_check failed: ${problems.join('; ').slice(0, 300)}` };
    }
    db = new DatabaseSync(dbPath, { timeout: timeoutMs });
    configure(db);
    return { db };
  } catch (e) {
    try {
      db?.close();
    } catch {
      // already unusable; the error below is what matters
    }
    if (e instanceof SchemaMismatch) return { reason: `unexpected schema: ${e.message}` };
    const code = sqliteCode(e);
    if (code === SQLITE.CORRUPT) return { reason: `database disk image is malformed (SQLITE_CORRUPT): ${(e as Error).message}` };
    if (code === SQLITE.NOTADB) return { reason: 'not a SQLite database (SQLITE_NOTADB)' };
    throw openError(dbPath, e);
  }
}

export interface DbSettings {
  synchronous: 'full' | 'normal';
  maxDbBytes?: number | undefined;
}

/**
 * Connection pragmas, then the schema: created at `version` in an empty database, accepted
 * as is when its meta row says `version` or older (migrations go here), refused when newer
 * (TRIP_STATE_VERSION: a newer tripline's state is not damage and must not be moved aside),
 * and reported as SchemaMismatch when the file is some other SQLite database. Returns true
 * if the schema was created now.
 */
export function applySchema(db: DatabaseSync, dbPath: string, schemaSql: string, version: number, settings: DbSettings): boolean {
  const mode = (db.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode: string }).journal_mode;
  if (mode !== 'wal') {
    throw new TriplineError('TRIP_STATE_IO', `state store: ${dbPath} cannot use WAL mode (got "${mode}"). Put --state-dir on a local filesystem.`);
  }
  db.exec(`PRAGMA synchronous = ${settings.synchronous.toUpperCase()}`);
  db.exec('PRAGMA foreign_keys = ON');
  db.exec('PRAGMA journal_size_limit = 16777216'); // truncate the WAL back to 16 MiB after checkpoints
  if (settings.maxDbBytes !== undefined) {
    const pageSize = (db.prepare('PRAGMA page_size').get() as { page_size: number }).page_size;
    db.exec(`PRAGMA max_page_count = ${Math.max(1, Math.floor(settings.maxDbBytes / pageSize))}`);
  }
  const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as Array<{ name: string }>).map((r) => r.name);
  const created = !tables.includes('meta');
  if (created && tables.length > 0) throw new SchemaMismatch(`tables ${tables.join(', ')} but no meta table`);
  if (!created) {
    const row = db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).get() as { value: string } | undefined;
    const found = Number(row?.value);
    if (!Number.isInteger(found) || found < 1) throw new SchemaMismatch(`schema_version ${JSON.stringify(row?.value)}`);
    if (found > version) {
      throw new TriplineError(
        'TRIP_STATE_VERSION',
        `state store: ${dbPath} has schema version ${found}, written by a newer tripline (this one knows ${version}). ` +
          'Run the newer tripline, or pass a fresh --state-dir (the outbox in this one would then be ignored).',
      );
    }
  }
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec(schemaSql);
    db.prepare(`INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)`).run(String(version));
    db.exec('COMMIT');
  } catch (e) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw e;
  }
  return created;
}

/** Maps a non-damage failure at open to an actionable TriplineError. */
function openError(dbPath: string, e: unknown): Error {
  if (e instanceof TriplineError) return e;
  const code = sqliteCode(e);
  const msg = (e as Error).message;
  if (code === SQLITE.FULL) {
    return new TriplineError(
      'TRIP_STATE_DISK_FULL',
      `state store: the disk holding ${dbPath} is full (SQLITE_FULL) while opening it. Free space there or point --state-dir elsewhere.`,
    );
  }
  if (code === SQLITE.CANTOPEN || code === SQLITE.READONLY || code === SQLITE.IOERR) {
    return new TriplineError(
      'TRIP_STATE_DIR',
      `state store: cannot open ${dbPath} for writing (${msg}). Check that the state directory exists, is writable by this user and is on a local filesystem, or pass another --state-dir.`,
    );
  }
  if (code === SQLITE.BUSY || code === SQLITE.LOCKED) {
    return new TriplineError(
      'TRIP_STATE_LOCKED',
      `state store: ${dbPath} is locked by another process (${msg}). Stop the other tripline or sqlite3 session using it.`,
    );
  }
  return new TriplineError('TRIP_STATE_IO', `state store: cannot open ${dbPath}: ${msg}`);
}

/**
 * Maps a failed write (commit, delivery mark, prune) to an actionable TriplineError; other
 * errors are returned unchanged. The caller has already rolled the transaction back.
 */
export function writeError(e: unknown, dbPath: string, what: string): unknown {
  const code = sqliteCode(e);
  const msg = (e as Error).message;
  if (code === SQLITE.FULL) {
    return new TriplineError(
      'TRIP_STATE_DISK_FULL',
      `state store: no space left for ${dbPath} (SQLITE_FULL: the disk is full, or the configured state size cap was reached) ` +
        `while ${what}. Nothing of it was written: the transaction was rolled back and tripline retries it. ` +
        'Free space on that filesystem, or move --state-dir to a larger one.',
    );
  }
  if (code === SQLITE.CORRUPT || code === SQLITE.NOTADB) {
    return new TriplineError(
      'TRIP_STATE_CORRUPT',
      `state store: ${dbPath} became damaged while ${what} (${msg}). Restart tripline: it moves the damaged file aside ` +
        'and starts a fresh one. Check the disk.',
    );
  }
  if (code === SQLITE.IOERR || code === SQLITE.READONLY || code === SQLITE.CANTOPEN) {
    return new TriplineError('TRIP_STATE_IO', `state store: I/O error on ${dbPath} while ${what} (${msg}). Check the disk and its permissions.`);
  }
  return e;
}

/** Renames the database and its companions to the first unused `<db>.corrupt-<n>`; returns that path. */
export function moveAside(dbPath: string): string {
  let n = 1;
  const taken = (t: string) => existsSync(t) || existsSync(`${t}-wal`) || existsSync(`${t}-shm`);
  while (taken(`${dbPath}.corrupt-${n}`)) n++;
  const target = `${dbPath}.corrupt-${n}`;
  try {
    // Companions first: a fresh state.db must never meet the old -wal (SQLite would replay it).
    for (const suffix of ['-wal', '-shm']) {
      if (existsSync(dbPath + suffix)) renameSync(dbPath + suffix, target + suffix);
    }
    if (existsSync(dbPath)) renameSync(dbPath, target);
  } catch (e) {
    throw new TriplineError(
      'TRIP_STATE_DIR',
      `state store: ${dbPath} is damaged and could not be moved aside to ${target} ` +
        `(${(e as NodeJS.ErrnoException).code ?? (e as Error).message}). Move or delete it by hand, then start again.`,
    );
  }
  return target;
}
