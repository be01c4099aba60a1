// Issue 6 acceptance against a real Grafana Loki (single binary, built from its Go
// module by scripts/loki/build.sh; see loki-server.ts):
// 1. 100,000 lines of four sources with deliberately colliding timestamps pushed into
//    Loki: `replay --loki` yields exactly the alerts of `replay --input` (same ids).
// 2. Live: `tripline run` tails Loki while a writer pushes attack lines; every attack's
//    alert reaches the outbox (latency p50/p99 printed: figures for the report, the
//    test asserts correctness); a SIGTERM restart resumes without gaps or repeats (lines
//    read across both runs = lines pushed), a SIGKILL restart delivers each alert once.
// 3. The alerts the Loki sink pushed can be queried back from Loki.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InputKind } from '../../schemas/event.js';
import { parsers } from '../../services/parsers/index.js';
import { LokiClient, type PushStream } from '../../services/loki/client.js';
import { jsonlIds, ROOT, runCli, startCli, waitFor, type Proc } from '../helpers/cli-process.js';
import { syslogTime } from '../helpers/gen-auth-log.js';
import { generateLokiCorpus } from './loki-corpus.js';
import { lokiBinaryPath, startLoki, type LokiServer } from './loki-server.js';

let loki: LokiServer;
let client: LokiClient;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tripline-lokiit-'));
  const t0 = Date.now();
  loki = await startLoki();
  console.log(`loki ready in ${Date.now() - t0} ms at ${loki.url}`);
  client = new LokiClient({ url: loki.url, timeoutMs: 60_000 });
});

afterAll(async () => {
  await client?.close();
  await loki?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Loki timestamps from the lines' own event times (a garbage line takes the previous line's). */
function stamp(kind: InputKind, lines: string[]): string[] {
  const ctx = { kind, sourceName: 'stamp', position: '', year: 2026, carry: {} };
  let prev = '0';
  return lines.map((line) => {
    const r = parsers[kind](line, ctx);
    if (r.ok) prev = (BigInt(r.event.tsMs) * 1_000_000n + BigInt(r.event.tsSubNs)).toString();
    return prev;
  });
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

describe('deploy/loki/loki.yaml (docker-compose.yml)', () => {
  it('is a config the pinned Loki accepts (loki -verify-config)', () => {
    const out = execFileSync(lokiBinaryPath(), [`-config.file=${join(ROOT, 'deploy/loki/loki.yaml')}`, '-verify-config'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).not.toMatch(/failed/);
  });
});

describe('Loki as a replay source (real Loki)', () => {
  it('100,000 lines of four sources with colliding timestamps: replay --loki gives exactly the alerts of replay --input', async () => {
    const corpus = generateLokiCorpus();
    expect(corpus.reduce((n, s) => n + s.lines.length, 0)).toBe(100_000);
    const t0 = Date.now();
    for (const s of corpus) {
      writeFileSync(join(dir, s.file), `${s.lines.join('\n')}\n`);
      const ts = stamp(s.kind, s.lines);
      // Colliding timestamps on purpose: report the largest group per source.
      const groups = new Map<string, number>();
      for (const t of ts) groups.set(t, (groups.get(t) ?? 0) + 1);
      console.log(`${s.kind}: ${s.lines.length} lines, ${groups.size} distinct timestamps, largest group ${Math.max(...groups.values())}`);
      for (let i = 0; i < s.lines.length; i += 2000) {
        const values = s.lines.slice(i, i + 2000).map((l, j): [string, string] => [ts[i + j]!, l]);
        await client.push([{ labels: s.labels, values } satisfies PushStream]);
      }
    }
    console.log(`pushed 100,000 lines in ${Date.now() - t0} ms`);

    // The flood second (2,602 sshd lines on one timestamp) is more than a page: the
    // pager must raise its limit against the real Loki (capped at 5000) and get them all.
    const limits: number[] = [];
    const paged = new LokiClient({ url: loki.url });
    const page = paged.queryPage.bind(paged);
    paged.queryPage = (req) => (limits.push(req.limit), page(req));
    const floodStart = (BigInt(Date.UTC(2026, 5, 10, 1, 12, 1)) * 1_000_000n).toString();
    let flood = 0;
    for await (const p of paged.queryRange({ query: '{job="sshd-pve"}', start: floodStart, end: (BigInt(floodStart) + 1_000_000_000n).toString(), pageLimit: 2000 })) flood += p.length;
    await paged.close();
    expect(flood).toBe(2602);
    expect(limits).toEqual([2000, 4000]);

    const common = ['replay', '--year', '2026', '--format', 'jsonl'];
    const t1 = Date.now();
    const files = await runCli([...common, ...corpus.flatMap((s) => ['--input', `${s.kind}=${s.file}`])], { cwd: dir });
    const fileMs = Date.now() - t1;
    expect(files.code, files.stderr).toBe(0);
    const selector = (l: Record<string, string>) => `{${Object.entries(l).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`;
    const t2 = Date.now();
    const fromLoki = await runCli(
      [
        ...common,
        '--loki',
        loki.url,
        '--from',
        '2026-06-10T00:00:00Z',
        '--to',
        '2026-06-10T02:00:01Z',
        // Named like the files, so even H1/H2 keys (source names) could match.
        ...corpus.flatMap((s) => ['--query', `${s.file}=${selector(s.labels)}`, '--parser', s.kind]),
      ],
      { cwd: dir },
    );
    const lokiMs = Date.now() - t2;
    expect(fromLoki.code, fromLoki.stderr).toBe(0);
    console.log(`replay --input: ${fileMs} ms; replay --loki: ${lokiMs} ms`);
    console.log(fromLoki.stderr.split('\n').filter((l) => l.startsWith('replay:')).slice(-1)[0] ?? '(no progress line)');

    const parse = (out: string) => out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: string; rule: string; key: string; ts: string; count: number });
    const want = parse(files.stdout);
    const got = parse(fromLoki.stdout);
    expect(want.length).toBeGreaterThan(10_000);
    const byRule = (a: typeof want) => a.reduce<Record<string, number>>((m, x) => ((m[x.rule] = (m[x.rule] ?? 0) + 1), m), {});
    console.log(`alerts: ${want.length} ${JSON.stringify(byRule(want))}`);
    for (const rule of ['K3', 'K4', 'K5', 'V4', 'V5', 'S1', 'S2', 'I1', 'I2']) expect(byRule(want)[rule], rule).toBeGreaterThan(0);
    const gotIds = new Set(got.map((a) => a.id));
    const wantIds = new Set(want.map((a) => a.id));
    const show = (a: (typeof want)[number]) => `${a.rule} ${a.key} ${a.ts} count=${a.count} ${a.id}`;
    const diff = [...want.filter((a) => !gotIds.has(a.id)).map((a) => `only in files: ${show(a)}`), ...got.filter((a) => !wantIds.has(a.id)).map((a) => `only in Loki: ${show(a)}`)];
    expect(diff).toEqual([]);
    expect(got.map((a) => a.id).sort()).toEqual(want.map((a) => a.id).sort());
    expect(got.map((a) => `${a.id} ${a.rule} ${a.key} ${a.ts} ${a.count}`).sort()).toEqual(want.map((a) => `${a.id} ${a.rule} ${a.key} ${a.ts} ${a.count}`).sort());
    // Same events and parse errors per source: every entry read exactly once.
    const counts = (stderr: string) => stderr.split('\n').filter((l) => /^ {2}\S+=\S+: \d+ events/.test(l)).map((l) => l.replace(/^ {2}[^=]+=/, '')).sort();
    expect(counts(fromLoki.stderr)).toEqual(counts(files.stderr));
  });
});

describe('Loki as a live source of tripline run (real Loki)', () => {
  it('tails Loki: alerts reach the outbox; restarts resume without gaps or repeats; the Loki sink\'s alerts query back', async () => {
    const live = join(dir, 'live');
    const state = join(live, 'state');
    const sinkFile = join(live, 'delivered.jsonl');
    rmSync(live, { recursive: true, force: true });
    mkdirSync(live, { recursive: true });
    const config = join(live, 'config.yaml');
    writeFileSync(
      config,
      [
        'sources:',
        `  - name: sshd-live`,
        `    kind: syslog`,
        `    loki: { url: ${JSON.stringify(loki.url)}, query: '{job="sshd-live"}' }`,
        'sinks:',
        `  file: { path: ${JSON.stringify(sinkFile)} }`,
        `  loki: { url: ${JSON.stringify(loki.url)} }`,
        'http: { listen: "127.0.0.1:0" }',
        'engine: { checkpointInterval: 200ms }',
      ].join('\n'),
    );

    const pushedAt = new Map<string, number>(); // attacker ip -> wall ms just before its push
    const upWhenPushed = new Set<string>();
    let pushed = 0;
    let attacks = 0;
    let pid = 5000;
    let tripline: Proc | undefined;
    let up = false;
    // One push = 1 attack + 9 benign lines, all on one Loki nanosecond (collisions).
    const pushOne = async (): Promise<void> => {
      const now = Date.now();
      const ip = `203.0.113.${++attacks}`;
      const t = syslogTime(now);
      const lines = [`${t} pve sshd[${pid++}]: Accepted password for intruder${attacks} from ${ip} port ${40000 + attacks} ssh2`];
      for (let i = 0; i < 9; i++) lines.push(`${t} pve sshd[${pid++}]: Disconnected from user viktor 192.168.1.7 port ${30000 + pid}`);
      const ts = (BigInt(now) * 1_000_000n).toString();
      pushedAt.set(ip, Date.now());
      if (up) upWhenPushed.add(ip);
      await client.push([{ labels: { job: 'sshd-live', host: 'pve' }, values: lines.map((l): [string, string] => [ts, l]) }]);
      pushed += lines.length;
    };
    const pushMany = async (n: number, everyMs: number) => {
      for (let i = 0; i < n; i++) {
        await pushOne();
        await new Promise((r) => setTimeout(r, everyMs));
      }
    };
    const start = async (): Promise<{ p: Proc; base: string }> => {
      const p = startCli(['run', '--config', config, '--state-dir', state]);
      await waitFor(() => /"port":(\d+)/.test(p.stderr()), 30_000, 'the HTTP port');
      const base = `http://127.0.0.1:${/"port":(\d+)/.exec(p.stderr())![1]}`;
      await waitFor(() => p.stderr().includes('"source opened"') || p.stderr().includes('source opened'), 30_000, 'the Loki source to open');
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status, await ready.text()).toBe(200);
      up = true;
      return { p, base };
    };
    const linesRead = async (base: string): Promise<number> => {
      const m = /tripline_lines_read_total\{source="sshd-live"\} (\d+)/.exec(await (await fetch(`${base}/metrics`)).text());
      return m ? Number(m[1]) : 0;
    };
    const settle = async (base: string, want: number) => {
      const t0 = Date.now();
      for (;;) {
        const n = await linesRead(base);
        if (n === want) break;
        if (n > want) throw new Error(`read ${n} lines, more than the ${want} pushed: a repeat`);
        if (Date.now() - t0 > 30_000) throw new Error(`read only ${n} of ${want} lines`);
        await new Promise((r) => setTimeout(r, 50));
      }
      await new Promise((r) => setTimeout(r, 500));
      expect(await linesRead(base)).toBe(want); // and nothing more trickles in
    };

    // Run 1: live tail while attacks are pushed.
    let run = await start();
    tripline = run.p;
    await pushMany(80, 60);
    await settle(run.base, pushed);
    const readRun1 = await linesRead(run.base);
    await waitFor(() => jsonlIds(sinkFile).length === 80, 30_000, '80 delivered alerts');
    tripline.child.kill('SIGTERM');
    up = false;
    expect((await tripline.exited).code).toBe(0);

    // Down: 40 more attacks land in Loki, some on the same nanosecond as the last one read.
    await pushMany(40, 20);

    // Run 2: catch-up from the saved position, then live again.
    run = await start();
    tripline = run.p;
    await pushMany(40, 60);
    await settle(run.base, pushed - readRun1);
    await waitFor(() => jsonlIds(sinkFile).length === 160, 30_000, '160 delivered alerts');

    // Run 3: SIGKILL mid-stream, restart: each alert delivered exactly once, none missing.
    // (These 40 measure recovery, not latency: they are left out of the latency figures.)
    up = false;
    const writer = pushMany(40, 40);
    await new Promise((r) => setTimeout(r, 700));
    tripline.child.kill('SIGKILL');
    await tripline.exited;
    await writer;
    run = await start();
    tripline = run.p;
    await pushMany(40, 60);
    await waitFor(() => jsonlIds(sinkFile).length >= 240, 60_000, '240 delivered alerts');
    await new Promise((r) => setTimeout(r, 1000));
    const delivered = jsonlIds(sinkFile);
    expect(new Set(delivered).size).toBe(delivered.length);
    expect(delivered).toHaveLength(240);

    // Latency: push → outbox (enqueued_ms is written by tripline in the commit).
    const db = new DatabaseSync(join(state, 'state.db'), { readOnly: true });
    const rows = db.prepare('SELECT enqueued_ms, alert_json FROM outbox').all() as Array<{ enqueued_ms: number; alert_json: string }>;
    db.close();
    const lat: number[] = [];
    for (const r of rows) {
      const a = JSON.parse(r.alert_json) as { rule: string; key: string };
      const ip = a.key.split(' ').at(-1)!;
      if (a.rule === 'S1' && upWhenPushed.has(ip)) lat.push(r.enqueued_ms - pushedAt.get(ip)!);
    }
    lat.sort((x, y) => x - y);
    console.log(`push -> outbox latency over ${lat.length} alerts pushed while tripline was up and not being killed: p50 ${quantile(lat, 0.5)} ms, p99 ${quantile(lat, 0.99)} ms, max ${lat.at(-1)} ms`);
    expect(lat).toHaveLength(160);

    // The Loki sink's alerts query back from Loki under {job="tripline"}.
    const fromMs = Math.min(...pushedAt.values()) - 60_000;
    const back = new Map<string, Record<string, string>>();
    const t0 = Date.now();
    while (back.size < 240 && Date.now() - t0 < 30_000) {
      for await (const page of client.queryRange({ query: '{job="tripline"}', start: (BigInt(fromMs) * 1_000_000n).toString(), end: (BigInt(Date.now() + 60_000) * 1_000_000n).toString() })) {
        for (const e of page) back.set((JSON.parse(e.line) as { id: string }).id, e.labels);
      }
      if (back.size < 240) await new Promise((r) => setTimeout(r, 250));
    }
    expect([...back.keys()].sort()).toEqual([...delivered].sort());
    expect([...back.values()].every((l) => l['rule'] === 'S1' && l['severity'] === 'critical' && l['job'] === 'tripline')).toBe(true);

    tripline.child.kill('SIGTERM');
    expect((await tripline.exited).code).toBe(0);
  });
});
