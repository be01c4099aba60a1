// Issue 9, chaos on the state directory:
// - a full disk under the state dir: a real one (a 4 MB tmpfs, in a user namespace of the
//   test's own, so no root is needed) under `tripline run`, and the store's own size cap (maxDbBytes, always):
//   commits fail with the clear TRIP_STATE_DISK_FULL, the batch is held (nothing skipped,
//   nothing half-written), state.db stays intact, and everything goes through once space
//   returns;
// - state files truncated or garbled by hand: tripline recovers (moves the damaged file
//   aside, or drops the unreadable row), says so, and carries on; the file sink (its own
//   delivered-id log) still never gets an alert twice.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../schemas/alert.js';
import { Config } from '../../schemas/config.js';
import { rules } from '../../rules/index.js';
import { Engine } from '../../services/engine/engine.js';
import { LivePipeline } from '../../services/cli/run/pipeline.js';
import { DeadLetters } from '../../services/cli/run/dead-letters.js';
import { Metrics } from '../../services/lib/metrics.js';
import { createLog } from '../../services/lib/log.js';
import { StateStore } from '../../services/state/store.js';
import { generateAuthLog, mulberry32 } from '../helpers/gen-auth-log.js';
import { jsonlIds, startCli, waitFor } from '../helpers/cli-process.js';
import { replayIds, sleep, writeRunConfig } from './support/chaos.js';
import { report } from './support/report.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tripline-chaos-state-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const figures: Record<string, unknown> = {};
afterAll(() => report('chaos: state directory', figures));

function integrity(dbPath: string): string {
  // Checked on a copy: the original may sit on a tmpfs that is about to go.
  const copy = join(dir, `check-${Math.random().toString(36).slice(2)}`);
  mkdirSync(copy);
  for (const f of readdirSync(join(dbPath, '..'))) if (f.startsWith('state.db')) copyFileSync(join(dbPath, '..', f), join(copy, f));
  const db = new DatabaseSync(join(copy, 'state.db'));
  const r = (db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check;
  db.close();
  rmSync(copy, { recursive: true, force: true });
  return r;
}

/** A small tmpfs; release() removes it. */
interface Tmpfs {
  /** Where the CLI sees it (started with `wrap`). */
  path: string;
  /** Where this process reaches it (plain file operations). */
  here: string;
  /** What to start the CLI under so it sees the mount ([] when it is mounted for everyone). */
  wrap: string[];
  how: string;
  release(): void;
}

/**
 * A tmpfs of `size` without needing root: mounted in a user and mount namespace of its own
 * (unshare -Urm), which any user may create where unprivileged user namespaces are allowed
 * (the Linux default). The CLI joins that namespace (nsenter); this process reaches the
 * files through the holder's /proc/PID/root (SQLite cannot: it resolves that link). As
 * root without unshare, a plain mount. Neither: an error that says what to change.
 */
async function mountTmpfs(at: string, size: string): Promise<Tmpfs> {
  mkdirSync(at, { recursive: true });
  // The holder waits on its stdin: if this process dies, the pipe closes and the mount goes with it.
  const holder = spawn('unshare', ['--user', '--map-root-user', '--mount', 'sh', '-c', `mount -t tmpfs -o size=${size} tmpfs "$0" && echo ready && read _`, at], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  holder.stdout.on('data', (d: Buffer) => (out += d.toString()));
  holder.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((res) => {
    holder.on('exit', () => res());
    holder.on('error', (e) => ((err += e.message), res()));
  });
  await Promise.race([exited, waitFor(() => out.includes('ready'), 10_000, 'the tmpfs holder').catch(() => undefined)]);
  if (out.includes('ready') && holder.exitCode === null) {
    return {
      path: at,
      here: `/proc/${holder.pid}/root${at}`,
      wrap: ['nsenter', '--target', String(holder.pid), '--user', '--mount', '--preserve-credentials', '--'],
      how: 'user namespace',
      release: () => holder.kill('SIGKILL'),
    };
  }
  holder.kill('SIGKILL');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', at], { stdio: 'ignore' });
    return { path: at, here: at, wrap: [], how: 'mount', release: () => execFileSync('umount', [at], { stdio: 'ignore' }) };
  } catch {
    throw new Error(`this test needs a small tmpfs and could not get one: unshare -Urm failed (${err.trim().slice(0, 200)}) and mount needs root; allow unprivileged user namespaces (user.max_user_namespaces > 0, or kernel.unprivileged_userns_clone=1) or run as root`);
  }
}

describe('a full disk under the state directory', () => {
  it('tripline run on a 4 MB tmpfs: TRIP_STATE_DISK_FULL while full, no corruption, everything delivered once when space returns', async () => {
    const fs = await mountTmpfs(join(dir, 'tmpfs'), '4m');
    try {
      const log = generateAuthLog(20_000, 600, 21);
      const input = join(dir, 'disk.log');
      writeFileSync(input, `${log.lines.join('\n')}\n`);
      const sink = join(dir, 'disk.jsonl');
      const config = join(dir, 'disk.yaml');
      writeRunConfig(config, { input, sink, http: '"127.0.0.1:0"' });
      const want = await replayIds(input);
      // Leave ~640 KB: enough to open the store and start, not enough for 600 alerts.
      const filler = join(fs.here, 'filler');
      const fd = openSync(filler, 'w');
      const chunk = Buffer.alloc(64 * 1024, 7);
      for (let i = 0; i < (4 * 1024 * 1024 - 640 * 1024) / chunk.length; i++) writeSync(fd, chunk);
      closeSync(fd);
      // The CLI's view of the state dir, and this process's (the same files).
      const stateDir = join(fs.path, 'state');
      const stateHere = join(fs.here, 'state');
      const p = startCli(['run', '--config', config, '--state-dir', stateDir, '--year', '2026'], { wrap: fs.wrap });
      await waitFor(() => p.stderr().includes('TRIP_STATE_DISK_FULL') || p.child.exitCode !== null, 60_000, 'a disk-full commit failure');
      expect(p.child.exitCode, p.stderr()).toBeNull(); // still running, holding the batch
      const line = p.stderr().split('\n').find((l) => l.includes('TRIP_STATE_DISK_FULL'))!;
      expect(line).toMatch(/no space left/);
      expect(line).toMatch(/rolled back and tripline retries it/);
      const port = Number(/"port":(\d+)/.exec(p.stderr())![1]);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(/tripline_state_commit_failures_total\{code="TRIP_STATE_DISK_FULL"\} [1-9]/);
      const deliveredWhileFull = jsonlIds(sink).length;
      await sleep(1500);
      expect(integrity(join(stateHere, 'state.db'))).toBe('ok');
      // Space returns.
      unlinkSync(filler);
      await waitFor(() => jsonlIds(sink).length >= want.length, 120_000, `${want.length} alerts after space returned`);
      await sleep(300);
      p.child.kill('SIGTERM');
      expect((await p.exited).code, p.stderr()).toBe(0);
      const got = jsonlIds(sink);
      expect(got.length - new Set(got).size).toBe(0);
      expect([...got].sort()).toEqual([...want].sort());
      expect(integrity(join(stateHere, 'state.db'))).toBe('ok');
      const failures = (p.stderr().match(/TRIP_STATE_DISK_FULL/g) ?? []).length;
      figures['full disk (tmpfs 4 MB)'] = { mountedBy: fs.how, alerts: want.length, deliveredWhileFull, diskFullErrorsLogged: failures, lost: 0, duplicates: 0, integrity: 'ok' };
    } finally {
      try {
        fs.release();
      } catch {
        // already gone
      }
    }
  });

  it('the store size cap (maxDbBytes): commits fail clearly, the batch is held and retried, then goes through once', async () => {
    const stateDir = join(dir, 'cap');
    const store = new StateStore({ stateDir, maxDbBytes: 192 * 1024 });
    store.open();
    const config = Config.parse({ health: { wallClock: false } });
    const engine = new Engine({ rules, config, sources: [{ name: 'auth', kind: 'syslog' }] });
    const metrics = new Metrics();
    const logged: string[] = [];
    const log = createLog({ level: 'error', destination: { write: (s: string) => (logged.push(s), true) } as unknown as NodeJS.WritableStream });
    let release: (() => void) | undefined;
    let sleeps = 0;
    const committed: Alert[] = [];
    const pipeline = new LivePipeline({
      engine,
      store,
      metrics,
      log,
      deadLetters: new DeadLetters(join(stateDir, 'dead-letter.jsonl'), metrics),
      now: () => Date.now(),
      // The retry wait: the test decides when it ends.
      sleep: () => {
        sleeps++;
        // The first retries pass at once; then the wait lasts until "space returns" below.
        return sleeps < 3 ? Promise.resolve() : new Promise<void>((r) => (release = r));
      },
      snapshotEveryMs: 0,
      onCommitted: (a) => committed.push(...a),
      year: 2026,
    });
    const log2 = generateAuthLog(6_000, 400, 22);
    const batches = [];
    for (let i = 0; i < log2.lines.length; i += 500) {
      batches.push({ source: 'auth', kind: 'syslog' as const, position: { next: i + 500 }, records: log2.lines.slice(i, i + 500).map((text, k) => ({ text, position: `line ${i + k + 1}`, invalidUtf8: false, truncated: false })) });
    }
    const done = Promise.all(batches.map((b) => pipeline.handle(b)));
    await waitFor(() => sleeps >= 3, 30_000, 'three failed commits');
    expect(logged.join('')).toMatch(/"code":"TRIP_STATE_DISK_FULL".*state commit failed; holding the batch and retrying/);
    expect(store.read((db) => (db.prepare('PRAGMA quick_check').get() as { quick_check: string }).quick_check)).toBe('ok');
    const heldAt = committed.length;
    // Space returns: lift the cap, end the wait.
    store.read((db) => db.exec('PRAGMA max_page_count = 1073741823'));
    const lift = setInterval(() => release?.(), 5);
    await done;
    clearInterval(lift);
    const ids = store.read((db) => (db.prepare('SELECT id FROM outbox').all() as Array<{ id: string }>).map((r) => r.id));
    expect(ids).toHaveLength(400);
    expect(new Set(committed.map((a) => a.id)).size).toBe(400);
    expect(committed).toHaveLength(400); // each alert committed once, none skipped
    const failures = await metrics.commitFailures.get();
    figures['full disk (maxDbBytes cap)'] = { alerts: 400, committedBeforeSpaceReturned: heldAt, failedCommits: failures.values.reduce((a, v) => a + v.value, 0), lost: 0, duplicates: 0 };
    store.close();
  });
});

// ---------------------------------------------------------------- damaged state files

type Damage = { name: string; expect: RegExp | null; damage: (stateDir: string) => void; killFirst?: boolean };

const rand = mulberry32(31);
const garble = (path: string, at: number, n: number) => {
  const fd = openSync(path, 'r+');
  const buf = Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256)));
  writeSync(fd, buf, 0, n, at);
  closeSync(fd);
};
const sql = (stateDir: string, statement: string) => {
  const db = new DatabaseSync(join(stateDir, 'state.db'));
  db.exec(statement);
  db.close();
};

const DAMAGES: Damage[] = [
  { name: 'state.db truncated to half', expect: /TRIP_STATE_RECOVERED/, damage: (d) => truncateSync(join(d, 'state.db'), Math.floor(statSync(join(d, 'state.db')).size / 2)) },
  { name: 'state.db garbled in the middle (16 KB of noise)', expect: /TRIP_STATE_RECOVERED/, damage: (d) => garble(join(d, 'state.db'), Math.floor(statSync(join(d, 'state.db')).size / 3), 16 * 1024) },
  { name: 'state.db header garbled', expect: /TRIP_STATE_RECOVERED/, damage: (d) => garble(join(d, 'state.db'), 0, 100) },
  { name: 'state.db emptied (0 bytes)', expect: null, damage: (d) => truncateSync(join(d, 'state.db'), 0) },
  { name: 'state.db deleted, its WAL left behind', expect: /TRIP_STATE_RECOVERED/, killFirst: true, damage: (d) => unlinkSync(join(d, 'state.db')) },
  { name: 'the WAL garbled', expect: null, killFirst: true, damage: (d) => garble(join(d, 'state.db-wal'), 32, 4096) },
  { name: 'a position row garbled', expect: /TRIP_STATE_DROPPED/, damage: (d) => sql(d, `UPDATE positions SET position_json = '{"offset": 12,'`) },
  { name: 'the engine checkpoint garbled', expect: /TRIP_STATE_DROPPED/, damage: (d) => sql(d, `UPDATE engine SET snapshot_json = 'not json', positions_json = '[1,2'`) },
  { name: 'an outbox row garbled', expect: null, damage: (d) => sql(d, `UPDATE outbox SET alert_json = '{"id":' WHERE seq = (SELECT max(seq) FROM outbox)`) },
  { name: 'the lock file holds garbage', expect: null, damage: (d) => writeFileSync(join(d, 'lock'), '\u0000\u0001garbage{') },
  {
    name: 'a hot rollback journal (killed while creating the database)',
    expect: null,
    damage: (d) => {
      for (const f of ['state.db', 'state.db-wal', 'state.db-shm']) rmSync(join(d, f), { force: true });
      const db = join(d, 'state.db');
      spawnSync(process.execPath, ['-e', `const { DatabaseSync } = require('node:sqlite'); const d = new DatabaseSync(${JSON.stringify(db)}); d.exec('BEGIN'); d.exec('CREATE TABLE t(x)'); for (let i = 0; i < 3000; i++) d.exec("INSERT INTO t VALUES ('" + 'x'.repeat(1000) + "')"); process.kill(process.pid, 'SIGKILL');`]);
      if (!existsSync(`${db}-journal`)) throw new Error('no hot journal was left');
    },
  },
  { name: 'silences.json garbled', expect: /TRIP_SILENCE_FILE/, damage: (d) => writeFileSync(join(d, 'silences.json'), '{"version":1,"silences":[{') },
];

describe('state files truncated or garbled by hand', () => {
  it(`${DAMAGES.length} kinds of damage: each recovered, reported and continued from; no alert delivered twice`, async () => {
    const first = generateAuthLog(8_000, 120, 23);
    const second = generateAuthLog(4_000, 60, 24, Date.UTC(2026, 5, 11));
    const base = join(dir, 'damage');
    mkdirSync(base);
    const results: Record<string, string> = {};
    for (const [i, d] of DAMAGES.entries()) {
      const caseDir = join(base, String(i));
      mkdirSync(caseDir);
      const input = join(caseDir, 'auth.log');
      const sink = join(caseDir, 'alerts.jsonl');
      const config = join(caseDir, 'c.yaml');
      const stateDir = join(caseDir, 'state');
      writeFileSync(input, `${first.lines.join('\n')}\n`);
      writeRunConfig(config, { input, sink });
      const args = ['run', '--config', config, '--state-dir', stateDir, '--year', '2026'];
      // A healthy run first: all of the first part delivered, then stopped (or killed, leaving a WAL).
      const a = startCli(args);
      await waitFor(() => jsonlIds(sink).length >= first.attacks, 60_000, `case ${i}: the first alerts`);
      await sleep(300);
      a.child.kill(d.killFirst ? 'SIGKILL' : 'SIGTERM');
      await a.exited;
      if (d.killFirst) expect(existsSync(join(stateDir, 'state.db-wal')), `case ${i}: a WAL to damage`).toBe(true);
      d.damage(stateDir);
      // More lines arrive; tripline starts on the damaged state.
      appendFileSync(input, `${second.lines.join('\n')}\n`);
      const want = await replayIds(input);
      const b = startCli(args);
      await waitFor(() => jsonlIds(sink).length >= want.length || b.child.exitCode !== null, 90_000, `case ${i} (${d.name}): all alerts after the damage`);
      await sleep(300);
      b.child.kill('SIGTERM');
      const { code } = await b.exited;
      expect(code, `${d.name}: exit\n${b.stderr().slice(-2000)}`).toBe(0);
      if (d.expect) expect(b.stderr(), `${d.name}: reported`).toMatch(d.expect);
      expect(b.stderr(), d.name).not.toMatch(/unexpected failure|\n\s+at .+:\d+:\d+/);
      const got = jsonlIds(sink);
      expect(got.length - new Set(got).size, `${d.name}: duplicates`).toBe(0);
      expect([...got].sort(), `${d.name}: delivered`).toEqual([...want].sort());
      if (d.expect?.source === 'TRIP_STATE_RECOVERED') expect(readdirSync(stateDir).some((f) => f.startsWith('state.db.corrupt-')), `${d.name}: damaged copy kept`).toBe(true);
      results[d.name] = d.expect ? `recovered, reported ${d.expect.source}` : 'recovered silently (nothing lost)';
    }
    figures['damaged state files'] = { cases: DAMAGES.length, results, lost: 0, duplicates: 0 };
  });
});
