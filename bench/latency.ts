// Live latency, append → outbox: `tripline run` as a child (file source + state store +
// file sink), lines appended to its file at a steady rate, and the time from each
// attack line's append to its alert's row in the outbox.
//
// How it is measured, and why it is honest:
// - The appender writes with writeSync on an O_APPEND fd and stamps each attack line's
//   wall time just before its write. Attack lines are S1 logins (`Accepted password for
//   latN from <public address>`), one alert each; N maps the alert back to its line.
// - The outbox row's `enqueued_ms` is tripline's wall clock when the commit that holds
//   the alert started (state/store.ts: one transaction for alerts + positions); the row
//   is durable a commit later (~an fsync). Latency = enqueued_ms − append time, same
//   machine clock. A poller reading the database (read-only, WAL) every POLL_MS also
//   records when it SAW each row: that figure adds up to POLL_MS and is the upper bound.
// - Steady phase: `rate` lines/s in 10 ms slices (catching up if a slice is late), one
//   attack every `attackEvery` lines, the rest benign sshd chatter with some internet
//   noise (one-off failures from random addresses, which fill S2 windows as in real
//   life). Burst phase: after the steady phase drains, `burst` attack lines in one write.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { mulberry32, syslogTime } from './gen.js';

export interface LatencyOptions {
  root: string;
  dir: string;
  rate: number;
  seconds: number;
  attackEvery: number;
  burst: number;
}

export interface Percentiles {
  n: number;
  expected: number;
  p50: number;
  p99: number;
  max: number;
}

export interface LatencyResult {
  steady: Percentiles & { sentLines: number; achievedRate: number; observedP50: number; observedP99: number };
  burst: Percentiles & { observedP99: number; allInMs: number };
}

const POLL_MS = 20;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function percentiles(values: number[], expected: number): Percentiles {
  const v = [...values].sort((a, b) => a - b);
  const at = (q: number): number => (v.length === 0 ? Number.NaN : v[Math.min(v.length - 1, Math.ceil(q * v.length) - 1)]!);
  return { n: v.length, expected, p50: at(0.5), p99: at(0.99), max: v.length ? v[v.length - 1]! : Number.NaN };
}

export async function measureLatency(o: LatencyOptions): Promise<LatencyResult> {
  rmSync(o.dir, { recursive: true, force: true });
  mkdirSync(o.dir, { recursive: true });
  const log = join(o.dir, 'auth.log');
  writeFileSync(log, '');
  const config = join(o.dir, 'config.yaml');
  writeFileSync(
    config,
    [
      'sources:',
      `  - { name: auth, kind: syslog, path: ${JSON.stringify(log)}, startAt: beginning }`,
      `sinks: { file: { path: ${JSON.stringify(join(o.dir, 'delivered.jsonl'))} } }`,
      'http: { listen: false }',
    ].join('\n'),
  );
  const stateDir = join(o.dir, 'state');
  const year = new Date().getUTCFullYear();
  const child = spawn(process.execPath, [join(o.root, 'dist/services/cli/main.js'), 'run', '--config', config, '--state-dir', stateDir, '--year', String(year)], {
    cwd: o.dir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    const t0 = Date.now();
    while (!stderr.includes('source opened')) {
      if (Date.now() - t0 > 20_000 || child.exitCode !== null) throw new Error(`tripline run did not start:\n${stderr.slice(-2000)}`);
      await sleep(50);
    }
    const appended = new Map<number, number>();
    const seen = new Map<number, { enqueuedMs: number; observedMs: number }>();
    let db: DatabaseSync | undefined;
    let lastSeq = 0;
    const poll = (): void => {
      if (!db) {
        if (!existsSync(join(stateDir, 'state.db'))) return;
        db = new DatabaseSync(join(stateDir, 'state.db'), { readOnly: true });
      }
      const now = Date.now();
      const rows = db.prepare('SELECT seq, enqueued_ms, alert_json FROM outbox WHERE seq > ? ORDER BY seq').all(lastSeq) as Array<{ seq: number; enqueued_ms: number; alert_json: string | null }>;
      for (const r of rows) {
        lastSeq = Math.max(lastSeq, Number(r.seq));
        const m = r.alert_json ? /Accepted password for lat(\d+) from/.exec(r.alert_json) : null;
        if (m) seen.set(Number(m[1]), { enqueuedMs: Number(r.enqueued_ms), observedMs: now });
      }
    };
    const poller = setInterval(() => {
      try {
        poll();
      } catch {
        // the database is being created: next time
      }
    }, POLL_MS);

    const fd = openSync(log, 'a');
    const rand = mulberry32(99);
    let seq = 0;
    let sent = 0;
    const line = (attack: boolean): string => {
      const t = syslogTime(Date.now());
      const pid = 10_000 + Math.floor(rand() * 50_000);
      if (attack) {
        const n = ++seq;
        return `${t} pve sshd[${pid}]: Accepted password for lat${n} from 203.0.${(n >> 8) & 0xff}.${n & 0xff} port ${40_000 + (n % 20_000)} ssh2`;
      }
      const x = rand();
      const lan = `192.168.1.${2 + Math.floor(rand() * 60)}`;
      const port = 30_000 + Math.floor(rand() * 30_000);
      if (x < 0.05) return `${t} pve sshd[${pid}]: Invalid user admin from ${1 + Math.floor(rand() * 222)}.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}.${1 + Math.floor(rand() * 253)} port ${port}`;
      if (x < 0.4) return `${t} pve sshd[${pid}]: Accepted publickey for root from ${lan} port ${port} ssh2: ED25519 SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG`;
      if (x < 0.7) return `${t} pve sshd[${pid}]: pam_unix(sshd:session): session opened for user root(uid=0) by root(uid=0)`;
      return `${t} pve sshd[${pid}]: Disconnected from user root ${lan} port ${port}`;
    };

    // Steady phase.
    const start = Date.now();
    const end = start + o.seconds * 1000;
    while (Date.now() < end) {
      const due = Math.floor(((Date.now() - start) / 1000) * o.rate);
      let chunk = '';
      const stamps: number[] = [];
      while (sent < due) {
        sent++;
        const attack = sent % o.attackEvery === 0;
        chunk += `${line(attack)}\n`;
        if (attack) stamps.push(seq);
      }
      if (chunk) {
        const at = Date.now();
        for (const s of stamps) appended.set(s, at);
        writeSync(fd, chunk);
      }
      await sleep(10);
    }
    const achievedRate = sent / ((Date.now() - start) / 1000);
    const steadyIds = [...appended.keys()];
    const waitFor = async (ids: number[], ms: number): Promise<void> => {
      const until = Date.now() + ms;
      while (Date.now() < until && ids.some((i) => !seen.has(i))) await sleep(POLL_MS);
    };
    await waitFor(steadyIds, 15_000);
    await sleep(1000);

    // Burst phase: `burst` attack lines in one write.
    let chunk = '';
    const burstIds: number[] = [];
    for (let i = 0; i < o.burst; i++) {
      chunk += `${line(true)}\n`;
      burstIds.push(seq);
    }
    const burstAt = Date.now();
    for (const s of burstIds) appended.set(s, burstAt);
    writeSync(fd, chunk);
    await waitFor(burstIds, 30_000);
    clearInterval(poller);
    poll();
    closeSync(fd);
    db?.close();

    const lat = (ids: number[], f: (s: { enqueuedMs: number; observedMs: number }) => number): number[] =>
      ids.filter((i) => seen.has(i)).map((i) => f(seen.get(i)!) - appended.get(i)!);
    const steady = percentiles(lat(steadyIds, (s) => s.enqueuedMs), steadyIds.length);
    const steadyObs = percentiles(lat(steadyIds, (s) => s.observedMs), steadyIds.length);
    const burst = percentiles(lat(burstIds, (s) => s.enqueuedMs), burstIds.length);
    const burstObs = percentiles(lat(burstIds, (s) => s.observedMs), burstIds.length);
    return {
      steady: { ...steady, sentLines: sent, achievedRate, observedP50: steadyObs.p50, observedP99: steadyObs.p99 },
      burst: { ...burst, observedP99: burstObs.p99, allInMs: burstObs.max },
    };
  } finally {
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(6000)]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}
