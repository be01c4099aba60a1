import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as sqlite from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { TriplineError } from '../../services/lib/errors.js';
import { loadSqlite } from '../../services/state/recover.js';
import { StateStore } from '../../services/state/store.js';
import { alert, openStore, tempDirs } from '../fixtures/state/helpers.js';

const dirs = tempDirs();
const open: StateStore[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
  dirs.cleanup();
});
const track = (s: StateStore) => (open.push(s), s);

/** A state dir holding a real, checkpointed database with some rows. */
function populated(): string {
  const dir = dirs.make();
  const s = openStore({ stateDir: dir });
  const line = 'x'.repeat(2000);
  s.commit({
    positions: { a: { offset: 1 } },
    alerts: Array.from({ length: 200 }, (_, i) =>
      alert(`p${i}`, { evidence: [{ source: 's', kind: 'syslog', position: 'p', ts: 't', line, truncated: false }] }),
    ),
    engineSnapshot: { v: 1 },
  });
  s.close();
  return dir;
}

function expectFreshAndUsable(s: StateStore): void {
  expect(s.load()).toEqual({ positions: {}, engine: null, dropped: [] });
  s.commit({ positions: { a: { offset: 2 } }, alerts: [alert('after')] });
  expect(s.outbox.pending('slack', 10, 0).map((p) => p.alert.id)).toEqual(['after']);
}

describe('recovery from a damaged state.db', () => {
  it('moves a file of garbage bytes aside unchanged, creates a fresh database and reports it', () => {
    const dir = dirs.make();
    const garbage = Buffer.alloc(8192, 'tripline? no. ');
    writeFileSync(join(dir, 'state.db'), garbage);
    const s = track(new StateStore({ stateDir: dir }));
    const report = s.open();
    expect(report).toMatchObject({ created: true, recovered: true, movedTo: join(dir, 'state.db.corrupt-1') });
    expect(report.reason).toMatch(/not a SQLite database/);
    expect(readFileSync(join(dir, 'state.db.corrupt-1')).equals(garbage)).toBe(true);
    expectFreshAndUsable(s);
  });

  it('recovers from a truncated database and numbers successive copies', () => {
    const dir = populated();
    const full = statSync(join(dir, 'state.db')).size;
    truncateSync(join(dir, 'state.db'), Math.floor(full / 2));
    const s = new StateStore({ stateDir: dir });
    const first = s.open();
    expect(first).toMatchObject({ recovered: true, movedTo: join(dir, 'state.db.corrupt-1') });
    expect(first.reason).toMatch(/malformed|quick_check/);
    expect(statSync(join(dir, 'state.db.corrupt-1')).size).toBe(Math.floor(full / 2));
    expectFreshAndUsable(s);
    s.close();
    truncateSync(join(dir, 'state.db'), 50); // a torn header this time
    const t = track(new StateStore({ stateDir: dir }));
    expect(t.open()).toMatchObject({ recovered: true, movedTo: join(dir, 'state.db.corrupt-2') });
    expect(existsSync(join(dir, 'state.db.corrupt-1'))).toBe(true);
    expectFreshAndUsable(t);
  });

  it('recovers from pages overwritten in the middle of the file', () => {
    const dir = populated();
    const path = join(dir, 'state.db');
    const bytes = readFileSync(path);
    bytes.fill(0xa5, 4096 * 3, 4096 * 3 + 3000);
    writeFileSync(path, bytes);
    const s = track(new StateStore({ stateDir: dir }));
    const report = s.open();
    expect(report.recovered).toBe(true);
    expect(report.reason).toMatch(/malformed|quick_check/);
    expectFreshAndUsable(s);
  });

  it('moves the WAL along with the database so the fresh one never replays it', () => {
    const dir = dirs.make();
    writeFileSync(join(dir, 'state.db'), Buffer.alloc(4096, 7));
    writeFileSync(join(dir, 'state.db-wal'), 'old wal');
    const s = track(new StateStore({ stateDir: dir }));
    expect(s.open()).toMatchObject({ recovered: true, movedTo: join(dir, 'state.db.corrupt-1') });
    expect(readFileSync(join(dir, 'state.db.corrupt-1-wal'), 'utf8')).toBe('old wal');
    expectFreshAndUsable(s);
  });

  it('sets aside a WAL whose database was deleted instead of replaying it into a fresh one', () => {
    const dir = dirs.make();
    writeFileSync(join(dir, 'state.db.corrupt-1'), 'an older copy');
    writeFileSync(join(dir, 'state.db-wal'), 'orphan wal');
    const s = track(new StateStore({ stateDir: dir }));
    const report = s.open();
    expect(report).toMatchObject({ recovered: true, movedTo: join(dir, 'state.db.corrupt-2') });
    expect(report.reason).toMatch(/state.db-wal without its state.db/);
    expect(readFileSync(join(dir, 'state.db.corrupt-2-wal'), 'utf8')).toBe('orphan wal');
    expect(readFileSync(join(dir, 'state.db.corrupt-1'), 'utf8')).toBe('an older copy');
    expectFreshAndUsable(s);
  });

  it('sets aside a SQLite database that is not a tripline state store', () => {
    const dir = dirs.make();
    const foreign = new sqlite.DatabaseSync(join(dir, 'state.db'));
    foreign.exec('CREATE TABLE users (name TEXT)');
    foreign.close();
    const s = track(new StateStore({ stateDir: dir }));
    const report = s.open();
    expect(report).toMatchObject({ recovered: true, movedTo: join(dir, 'state.db.corrupt-1') });
    expect(report.reason).toBe('unexpected schema: tables users but no meta table');
    expectFreshAndUsable(s);
  });

  it('treats an empty file as a new database, not as damage', () => {
    const dir = dirs.make();
    writeFileSync(join(dir, 'state.db'), '');
    expect(track(new StateStore({ stateDir: dir })).open()).toEqual({ created: true, recovered: false });
    expect(existsSync(join(dir, 'state.db.corrupt-1'))).toBe(false);
  });

  it('does not move anything aside on a failure that is not damage', () => {
    const dir = dirs.make();
    mkdirSync(join(dir, 'state.db')); // cannot be opened as a file at all
    let err: unknown;
    try {
      new StateStore({ stateDir: dir }).open();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TriplineError);
    expect((err as TriplineError).code).toBe('TRIP_STATE_DIR');
    expect((err as TriplineError).message).toContain(join(dir, 'state.db'));
    expect(statSync(join(dir, 'state.db')).isDirectory()).toBe(true);
    expect(existsSync(join(dir, 'state.db.corrupt-1'))).toBe(false);
    expect(existsSync(join(dir, 'lock'))).toBe(false);
  });

  it('loads node:sqlite once and restores process.emitWarning', () => {
    const before = process.emitWarning;
    expect(loadSqlite().DatabaseSync).toBe(sqlite.DatabaseSync);
    expect(process.emitWarning).toBe(before);
  });
});

// ---- kill -9 ---------------------------------------------------------------------------

const CHILD = fileURLToPath(new URL('../fixtures/state/crash-child.mjs', import.meta.url));
const PER_BATCH = 40;
type ChildMsg =
  | { type: 'start'; report: { staleLock?: { pid: number }; recovered: boolean }; resumeFrom: number; latest: number; snapshot: unknown }
  | { type: 'ack'; batch: number; inserted: number; duplicates: number };

/** Runs the child until it has acknowledged `acks` commits, then SIGKILLs it and waits for its exit. */
function runAndKill(dir: string, acks: number): Promise<{ pid: number; msgs: ChildMsg[]; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--no-warnings', '--experimental-transform-types', CHILD, dir, String(PER_BATCH)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const msgs: ChildMsg[] = [];
    let buf = '';
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        msgs.push(JSON.parse(buf.slice(0, nl)) as ChildMsg);
        buf = buf.slice(nl + 1);
      }
      if (!killed && msgs.filter((m) => m.type === 'ack').length >= acks) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (!killed) reject(new Error(`child exited on its own (code ${code}): ${stderr}`));
      else resolve({ pid: child.pid!, msgs, signal });
    });
  });
}

describe('kill -9 during commits', () => {
  it('loses no acknowledged commit, leaves no partial one, and re-processing adds no duplicate', async () => {
    const dir = dirs.make();
    let committed = 0; // batches durable in the store after the previous kill
    for (let round = 0; round < 3; round++) {
      const { pid, msgs, signal } = await runAndKill(dir, 12);
      expect(signal).toBe('SIGKILL');
      const start = msgs[0]!;
      expect(start.type).toBe('start');
      if (start.type !== 'start') return;
      expect(start.report.recovered).toBe(false);
      // The child resumed from the engine checkpoint: the last multiple of 3 committed.
      expect(start.resumeFrom).toBe(Math.floor(committed / 3) * 3);
      expect(start.latest).toBe(committed);
      const acks = msgs.filter((m): m is Extract<ChildMsg, { type: 'ack' }> => m.type === 'ack');
      // Re-processed batches find their alert ids already in the outbox; new ones insert all.
      for (const a of acks) {
        expect([a.batch, a.inserted, a.duplicates]).toEqual(
          a.batch <= committed ? [a.batch, 0, PER_BATCH] : [a.batch, PER_BATCH, 0],
        );
      }
      const lastAck = acks.at(-1)!.batch;

      const s = new StateStore({ stateDir: dir });
      const report = s.open();
      expect(report.staleLock?.pid).toBe(pid); // the dead child's lock was taken over
      expect(report.recovered).toBe(false);
      const loaded = s.load();
      const batch = (loaded.positions.src as { batch: number }).batch;
      // Every acknowledged commit survived; at most the one in flight also made it.
      expect([lastAck, lastAck + 1]).toContain(batch);
      // No partial commit: exactly the alerts of batches 1..batch, in order.
      const expected = Array.from({ length: batch }, (_, b) => Array.from({ length: PER_BATCH }, (_, i) => `b${b + 1}-a${i}`)).flat();
      expect(s.outbox.stats([]).outboxRows).toBe(expected.length);
      expect(s.outbox.pending('slack', 100_000, 0).map((p) => p.alert.id)).toEqual(expected);
      // The checkpoint and its positions were written together.
      const checkpoint = Math.floor(batch / 3) * 3;
      expect(loaded.engine).toMatchObject({ snapshot: { lastBatch: checkpoint }, positions: { src: { batch: checkpoint } } });
      expect(loaded.dropped).toEqual([]);
      s.close();
      committed = batch;
    }
  });
});
