import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { TriplineError } from '../../services/lib/errors.js';
import { StateStore, type CommitStage } from '../../services/state/store.js';
import { alert, fakeClock, openStore, tempDirs } from '../fixtures/state/helpers.js';

const dirs = tempDirs();
const open: StateStore[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
  dirs.cleanup();
});
const track = (s: StateStore) => (open.push(s), s);

function raw(dir: string, fn: (db: DatabaseSync) => void): void {
  const db = new DatabaseSync(join(dir, 'state.db'));
  try {
    fn(db);
  } finally {
    db.close();
  }
}

function caught(fn: () => unknown): TriplineError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TriplineError);
    return e as TriplineError;
  }
  throw new Error('expected a TriplineError');
}

describe('StateStore open', () => {
  it('creates the state dir and a WAL database with the schema version', () => {
    const dir = join(dirs.make(), 'nested', '.tripline');
    const s = new StateStore({ stateDir: dir });
    expect(s.open()).toEqual({ created: true, recovered: false });
    s.close();
    raw(dir, (db) => {
      expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
      expect(db.prepare(`SELECT value FROM meta WHERE key = 'schema_version'`).get()).toEqual({ value: '1' });
    });
    const again = track(new StateStore({ stateDir: dir }));
    expect(again.open()).toEqual({ created: false, recovered: false });
    expect(again.load()).toEqual({ positions: {}, engine: null, dropped: [] });
  });

  it('reports a state dir that cannot be created as TRIP_STATE_DIR with the path and OS code', () => {
    const base = dirs.make();
    writeFileSync(join(base, 'file'), 'x');
    const stateDir = join(base, 'file', 'state');
    const e = caught(() => new StateStore({ stateDir }).open());
    expect(e.code).toBe('TRIP_STATE_DIR');
    expect(e.message).toContain(stateDir);
    expect(e.message).toContain('ENOTDIR');
  });

  it('refuses a database written by a newer schema and leaves the file in place', () => {
    const dir = dirs.make();
    openStore({ stateDir: dir }).close();
    raw(dir, (db) => db.exec(`UPDATE meta SET value = '9' WHERE key = 'schema_version'`));
    const e = caught(() => new StateStore({ stateDir: dir }).open());
    expect(e.code).toBe('TRIP_STATE_VERSION');
    expect(e.message).toContain('schema version 9');
    expect(existsSync(join(dir, 'state.db.corrupt-1'))).toBe(false);
    expect(existsSync(join(dir, 'lock'))).toBe(false); // released on the failed open
  });

  it('throws on use before open and after close', () => {
    const s = new StateStore({ stateDir: dirs.make() });
    expect(() => s.load()).toThrow(/not open/);
    s.open();
    s.close();
    s.close(); // idempotent
    expect(() => s.commit({ positions: {}, alerts: [] })).toThrow(/not open/);
    expect(() => s.outbox).toThrow(/not open/);
  });
});

describe('StateStore commit and load', () => {
  it('commits positions, alerts and the engine checkpoint with the full positions map', () => {
    const clock = fakeClock(1_000);
    const s = track(openStore({ stateDir: dirs.make(), now: clock.now }));
    expect(s.commit({ positions: { a: { offset: 10 } }, alerts: [alert('x1')] })).toEqual({ inserted: 1, duplicates: 0 });
    clock.ms = 2_000;
    s.commit({ positions: { b: { cursor: 'c1' } }, alerts: [], engineSnapshot: { windows: [1, 2] } });
    clock.ms = 3_000;
    s.commit({ positions: { a: { offset: 20 } }, alerts: [alert('x2')] });
    expect(s.load()).toEqual({
      positions: { a: { offset: 20 }, b: { cursor: 'c1' } },
      engine: { snapshot: { windows: [1, 2] }, positions: { a: { offset: 10 }, b: { cursor: 'c1' } }, writtenAtMs: 2_000 },
      dropped: [],
    });
    expect(s.outbox.pending('slack', 10, 0).map((p) => p.alert.id)).toEqual(['x1', 'x2']);
  });

  it('keeps positions, snapshot and outbox across close and reopen', () => {
    const dir = dirs.make();
    const s = openStore({ stateDir: dir });
    s.commit({ positions: { a: { ino: 7, offset: 99 } }, alerts: [alert('r1'), alert('r2')], engineSnapshot: { firstSeen: ['u1'] } });
    s.outbox.markDelivered('r1', 'slack');
    s.close();
    const t = track(openStore({ stateDir: dir }));
    expect(t.load()).toMatchObject({
      positions: { a: { ino: 7, offset: 99 } },
      engine: { snapshot: { firstSeen: ['u1'] }, positions: { a: { ino: 7, offset: 99 } } },
    });
    expect(t.outbox.pending('slack', 10, 0).map((p) => p.alert)).toEqual([alert('r2')]);
    expect(t.outbox.wasDelivered('r1', 'slack')).toBe(true);
  });

  it('INSERT OR IGNORE: re-committing the same alert ids adds nothing and keeps the first version', () => {
    const s = track(openStore({ stateDir: dirs.make() }));
    s.commit({ positions: { a: { offset: 1 } }, alerts: [alert('d1'), alert('d2')] });
    const again = s.commit({ positions: { a: { offset: 2 } }, alerts: [alert('d2', { summary: 'changed' }), alert('d1'), alert('d3')] });
    expect(again).toEqual({ inserted: 1, duplicates: 2 });
    const pending = s.outbox.pending('slack', 10, 0);
    expect(pending.map((p) => [p.seq, p.alert.id])).toEqual([[1, 'd1'], [2, 'd2'], [3, 'd3']]);
    expect(pending[1]!.alert.summary).toBe('alert d2');
    expect(s.load().positions).toEqual({ a: { offset: 2 } });
  });

  it.each<CommitStage>(['outbox', 'positions', 'engine'])('a commit that fails after the %s stage leaves nothing behind', (stage) => {
    let failAt: CommitStage | null = null;
    const s = track(
      openStore({
        stateDir: dirs.make(),
        hooks: { afterStage: (st) => { if (st === failAt) throw new Error(`injected at ${st}`); } },
      }),
    );
    s.commit({ positions: { a: { offset: 1 } }, alerts: [alert('ok1')], engineSnapshot: { v: 1 } });
    const before = s.load();
    failAt = stage;
    expect(() =>
      s.commit({ positions: { a: { offset: 2 }, b: { offset: 5 } }, alerts: [alert('bad1'), alert('bad2')], engineSnapshot: { v: 2 } }),
    ).toThrow(`injected at ${stage}`);
    expect(s.load()).toEqual(before);
    expect(s.outbox.pending('slack', 10, 0).map((p) => p.alert.id)).toEqual(['ok1']);
    // The store stays usable and the same batch commits on retry.
    failAt = null;
    expect(s.commit({ positions: { a: { offset: 2 } }, alerts: [alert('bad1'), alert('bad2')], engineSnapshot: { v: 2 } })).toEqual({
      inserted: 2,
      duplicates: 0,
    });
    expect(s.load().engine?.snapshot).toEqual({ v: 2 });
  });

  it('rejects a snapshot or position that cannot be serialized before writing anything', () => {
    const s = track(openStore({ stateDir: dirs.make() }));
    expect(() => s.commit({ positions: { a: { offset: 1 } }, alerts: [alert('z')], engineSnapshot: { n: 1n } })).toThrow(TypeError);
    expect(() => s.commit({ positions: { a: undefined as never }, alerts: [alert('z')] })).toThrow('position of a is not an object');
    expect(s.load().positions).toEqual({});
    expect(s.outbox.depth('slack')).toBe(0);
  });

  it('a full disk fails the commit with TRIP_STATE_DISK_FULL and rolls it back', () => {
    const dir = dirs.make();
    const s = track(openStore({ stateDir: dir, maxDbBytes: 128 * 1024 }));
    s.commit({ positions: { a: { offset: 1 } }, alerts: [alert('small')] });
    const big = Array.from({ length: 60 }, (_, i) =>
      alert(`big${i}`, { evidence: [{ source: 's', kind: 'syslog', position: 'p', ts: 't', line: 'x'.repeat(4000), truncated: false }] }),
    );
    const e = caught(() => s.commit({ positions: { a: { offset: 2 } }, alerts: big }));
    expect(e.code).toBe('TRIP_STATE_DISK_FULL');
    expect(e.message).toContain(join(dir, 'state.db'));
    expect(e.message).toMatch(/rolled back/);
    expect(e.message).toMatch(/Free space/);
    expect(s.load().positions).toEqual({ a: { offset: 1 } });
    expect(s.outbox.stats([]).outboxRows).toBe(1);
    expect(s.commit({ positions: { a: { offset: 3 } }, alerts: [alert('after')] })).toEqual({ inserted: 1, duplicates: 0 });
  });
});

describe('StateStore damaged rows', () => {
  it('drops an unparseable engine snapshot with a report entry, once', () => {
    const dir = dirs.make();
    const s = openStore({ stateDir: dir });
    s.commit({ positions: { a: { offset: 5 } }, alerts: [], engineSnapshot: { ok: true } });
    s.close();
    raw(dir, (db) => db.exec(`UPDATE engine SET snapshot_json = '{"ok": tru'`));
    const t = track(openStore({ stateDir: dir }));
    const loaded = t.load();
    expect(loaded.engine).toBeNull();
    expect(loaded.positions).toEqual({ a: { offset: 5 } });
    expect(loaded.dropped).toHaveLength(1);
    expect(loaded.dropped[0]).toMatchObject({ table: 'engine', key: 'snapshot' });
    expect(loaded.dropped[0]!.reason).toMatch(/unparseable engine checkpoint/);
    expect(t.load().dropped).toEqual([]);
  });

  it('drops an engine row whose positions are not a map of objects', () => {
    const dir = dirs.make();
    const s = openStore({ stateDir: dir });
    s.commit({ positions: { a: { offset: 5 } }, alerts: [], engineSnapshot: {} });
    s.close();
    raw(dir, (db) => db.exec(`UPDATE engine SET positions_json = '{"a": 5}'`));
    const loaded = track(openStore({ stateDir: dir })).load();
    expect(loaded.engine).toBeNull();
    expect(loaded.dropped.map((d) => d.table)).toEqual(['engine']);
  });

  it('drops an unparseable position row and keeps the others', () => {
    const dir = dirs.make();
    const s = openStore({ stateDir: dir });
    s.commit({ positions: { a: { offset: 5 }, b: { offset: 6 } }, alerts: [] });
    s.close();
    raw(dir, (db) => db.exec(`UPDATE positions SET position_json = 'not json' WHERE source = 'b'`));
    const t = track(openStore({ stateDir: dir }));
    expect(t.load()).toEqual({
      positions: { a: { offset: 5 } },
      engine: null,
      dropped: [{ table: 'positions', key: 'b', reason: 'unparseable position: not json' }],
    });
    expect(t.load().dropped).toEqual([]);
  });
});

describe('StateStore lock', () => {
  it('a second store on the same dir fails with the holder PID, and succeeds once released', () => {
    const dir = dirs.make();
    const first = openStore({ stateDir: dir });
    expect(JSON.parse(readFileSync(join(dir, 'lock'), 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    const e = caught(() => new StateStore({ stateDir: dir }).open());
    expect(e.code).toBe('TRIP_STATE_LOCKED');
    expect(e.message).toContain(`PID ${process.pid}`);
    expect(e.message).toContain(dir);
    first.close();
    expect(existsSync(join(dir, 'lock'))).toBe(false);
    const second = track(new StateStore({ stateDir: dir }));
    expect(second.open()).toEqual({ created: false, recovered: false });
  });

  it('takes over a stale lock whose process is gone and reports it', () => {
    const dir = dirs.make();
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    writeFileSync(join(dir, 'lock'), JSON.stringify({ pid: dead, host: hostname(), startedAt: '2025-01-01T00:00:00.000Z' }));
    const s = track(new StateStore({ stateDir: dir }));
    expect(s.open()).toEqual({ created: true, recovered: false, staleLock: { pid: dead, host: hostname(), startedAt: '2025-01-01T00:00:00.000Z' } });
    expect(JSON.parse(readFileSync(join(dir, 'lock'), 'utf8')).pid).toBe(process.pid);
  });

  it('treats a lock from another host as live (it cannot be checked)', () => {
    const dir = dirs.make();
    writeFileSync(join(dir, 'lock'), JSON.stringify({ pid: 1234, host: 'elsewhere', startedAt: 'x' }));
    const e = caught(() => new StateStore({ stateDir: dir, lock: { isAlive: () => false } }).open());
    expect(e.code).toBe('TRIP_STATE_LOCKED');
    expect(e.message).toContain('PID 1234 on host elsewhere');
  });

  it('uses the injected liveness probe', () => {
    const dir = dirs.make();
    writeFileSync(join(dir, 'lock'), JSON.stringify({ pid: 4242, host: hostname(), startedAt: 'x' }));
    expect(() => new StateStore({ stateDir: dir, lock: { isAlive: (pid) => pid === 4242 } }).open()).toThrow(/PID 4242/);
    const s = track(new StateStore({ stateDir: dir, lock: { isAlive: () => false } }));
    expect(s.open().staleLock?.pid).toBe(4242);
    // This process's own lock is never stale, whatever the probe says.
    expect(() => new StateStore({ stateDir: dir, lock: { isAlive: () => false } }).open()).toThrow(`PID ${process.pid}`);
  });

  it('breaks a lock file that tripline did not write', () => {
    const dir = dirs.make();
    writeFileSync(join(dir, 'lock'), 'garbage');
    const s = track(new StateStore({ stateDir: dir }));
    expect(s.open().staleLock).toEqual({ pid: 0, host: 'unknown', startedAt: 'unknown' });
    expect(readdirSync(dir).sort()).toEqual(['lock', 'state.db', 'state.db-shm', 'state.db-wal']);
  });
});
