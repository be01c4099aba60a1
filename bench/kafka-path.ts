// The Kafka path's throughput (issue 7), for `npm run bench` (issue 8) to report as a
// ratio to the embedded path on the same input.
//
// What is measured: `tripline run --role collect` (one process) → tripline.events →
// `--role detect` × replicas (child processes of the built CLI, one consumer group) →
// tripline.signals → tripline.alerts → `--role route`. The clock starts when the first
// record reaches tripline.events and stops when the detector groups have committed every
// record: all of tripline.events (the record count is known: the input framed as the
// collector frames it) and all of tripline.signals produced from it. Signals offsets are
// committed at checkpoints, so the config checkpoints every 100 ms.
//
//   const r = await measureKafkaPath({ brokers: ['127.0.0.1:9092'], file, kind: 'k8s-audit' });
//   r.eventsPerSec
//
// Without `brokers` a throwaway broker of `version` (default: the first pinned one) is
// started from the jar cache (test/integration/kafka-broker.ts; scripts/kafka/fetch.sh).
// Fresh topic names and groups per run, removed with the temp dir (topics stay on a
// broker you pass in; they are named tripline-bench-<random>.*).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { InputKind } from '../schemas/event.js';
import { LineSplitter } from '../services/collectors/line-splitter.js';
import { FRAMERS } from '../services/collectors/record-framer.js';
import { packageRoot } from '../services/lib/package-root.js';
import { PINNED_KAFKA_VERSIONS, startKafka, type KafkaBroker } from '../test/integration/kafka-broker.js';

export interface KafkaPathBenchOptions {
  /** Bootstrap brokers; absent: start a throwaway broker of `version`. */
  brokers?: string[];
  version?: string;
  /** One input ... */
  file?: string;
  kind?: InputKind;
  /** ... or several. */
  inputs?: Array<{ kind: InputKind; path: string; name?: string }>;
  /** Detector replicas (default 2). */
  replicas?: number;
  /** Partitions of the topics (default 4). */
  partitions?: number;
  year?: number;
  /** Package root holding dist/ (default: found from this module). */
  root?: string;
  timeoutMs?: number;
}

export interface KafkaPathBenchResult {
  eventsPerSec: number;
  records: number;
  seconds: number;
  replicas: number;
  partitions: number;
  brokers: string[];
  brokerVersion: string | null;
  /** CPU seconds each process used during the measurement (Linux /proc; absent elsewhere). */
  cpuSeconds?: Record<string, number>;
}

/** utime + stime of a process, in seconds (Linux), or null. */
function cpuOf(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // fields 14, 15 (utime, stime) in clock ticks (USER_HZ = 100)
  } catch {
    return null;
  }
}

async function countRecords(kind: InputKind, path: string): Promise<number> {
  const splitter = new LineSplitter();
  const framer = FRAMERS[kind]();
  let n = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) for (const l of splitter.push(chunk as Buffer)) n += framer.push(l).length;
  for (const l of splitter.end()) n += framer.push(l).length;
  return n + framer.end().length;
}

function startRole(cli: string, args: string[], logPath: string): { child: ChildProcess; log: () => string; label: string } {
  const child = spawn(process.execPath, [cli, 'run', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TRIPLINE_LOG_LEVEL: 'info' } });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-200_000)));
  child.on('exit', () => writeFileSync(logPath, err));
  return { child, log: () => err, label: basename(logPath, '.log') };
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string, everyMs = 50): Promise<void> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`kafka bench: timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function measureKafkaPath(o: KafkaPathBenchOptions): Promise<KafkaPathBenchResult> {
  const root = o.root ?? packageRoot();
  if (!root) throw new Error('kafka bench: cannot find the tripline package root');
  const cli = join(root, 'dist/services/cli/main.js');
  if (!existsSync(cli)) throw new Error(`kafka bench: ${cli} is missing: build first (npx tsc -p tsconfig.json)`);
  const inputs = o.inputs ?? (o.file && o.kind ? [{ kind: o.kind, path: o.file }] : []);
  if (inputs.length === 0) throw new Error('kafka bench: give file + kind, or inputs');
  const replicas = o.replicas ?? 2;
  const partitions = o.partitions ?? 4;
  const timeoutMs = o.timeoutMs ?? 30 * 60_000;

  let broker: KafkaBroker | undefined;
  const brokers = o.brokers ?? (broker = await startKafka(o.version ?? PINNED_KAFKA_VERSIONS[0])).brokers;
  const dir = mkdtempSync(join(tmpdir(), 'tripline-kafka-bench-'));
  const name = `tripline-bench-${randomBytes(4).toString('hex')}`;
  const topics = { events: `${name}.events`, signals: `${name}.signals`, alerts: `${name}.alerts`, state: `${name}.state` };
  const procs: Array<{ child: ChildProcess; log: () => string; label: string }> = [];
  const kafka = new Kafka({ clientId: `${name}-probe`, brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  try {
    const sources = inputs.map((i, n) => ({ ...i, name: (i.name ?? basename(i.path)).replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 60) || `input${n}` }));
    let records = 0;
    for (const s of sources) records += await countRecords(s.kind, s.path);
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      [
        'sources:',
        ...sources.map((s) => `  - { name: ${JSON.stringify(s.name)}, kind: ${s.kind}, path: ${JSON.stringify(s.path)}, startAt: beginning }`),
        `sinks: { file: { path: ${JSON.stringify(join(dir, 'alerts.jsonl'))} } }`,
        'http: { listen: false }',
        'health: { wallClock: false }',
        'engine: { checkpointInterval: 100ms }',
        'kafka:',
        `  brokers: ${JSON.stringify(brokers)}`,
        `  clientId: ${name}`,
        `  groupId: ${name}`,
        `  topics: ${JSON.stringify(topics)}`,
        `  partitions: ${partitions}`,
        '  idleTimeout: 5s',
        '  sessionTimeout: 10s',
      ].join('\n') + '\n',
    );
    mkdirSync(join(dir, 'logs'));
    const year = String(o.year ?? 2026);
    procs.push(startRole(cli, ['--role', 'route', '--config', config, '--state-dir', join(dir, 'route')], join(dir, 'logs/route.log')));
    for (let i = 0; i < replicas; i++) procs.push(startRole(cli, ['--role', 'detect', '--config', config], join(dir, `logs/detect-${i}.log`)));
    await until(() => procs.slice(1).every((p) => p.log().includes('detector replica started')), 120_000, 'the detector replicas');
    await admin.connect();

    procs.push(startRole(cli, ['--role', 'collect', '--config', config, '--state-dir', join(dir, 'collect'), '--year', year], join(dir, 'logs/collect.log')));
    const sum = async (topic: string) => (await admin.fetchTopicOffsets(topic)).reduce((a, p) => a + Number(p.high), 0);
    const committed = async (groupId: string, topic: string) =>
      (await admin.fetchOffsets({ groupId, topics: [topic] })).flatMap((t) => t.partitions).reduce((a, p) => a + Math.max(0, Number(p.offset)), 0);
    await until(async () => (await admin.listTopics()).includes(topics.events) && (await sum(topics.events)) > 0, 120_000, 'the first record on the events topic', 20);
    const t0 = performance.now();
    const cpuAt0 = new Map<string, number>();
    for (const p of procs) cpuAt0.set(p.label, cpuOf(p.child.pid) ?? 0);
    cpuAt0.set('broker', cpuOf(broker?.pid) ?? 0);
    await until(async () => (await committed(`${name}.detect.events`, topics.events)) >= records, timeoutMs, `${records} events consumed`, 100);
    const signals = await sum(topics.signals);
    await until(async () => (await committed(`${name}.detect.signals`, topics.signals)) >= signals, timeoutMs, `${signals} signals consumed`, 50);
    const seconds = (performance.now() - t0) / 1000;
    const cpuSeconds: Record<string, number> = {};
    for (const p of procs) {
      const c = cpuOf(p.child.pid);
      if (c !== null) cpuSeconds[p.label] = Math.round((c - (cpuAt0.get(p.label) ?? 0)) * 100) / 100;
    }
    const b = cpuOf(broker?.pid);
    if (b !== null) cpuSeconds['broker'] = Math.round((b - (cpuAt0.get('broker') ?? 0)) * 100) / 100;
    return {
      eventsPerSec: Math.round(records / seconds),
      records,
      seconds: Math.round(seconds * 1000) / 1000,
      replicas,
      partitions,
      brokers,
      brokerVersion: broker?.version ?? null,
      ...(Object.keys(cpuSeconds).length > 0 ? { cpuSeconds } : {}),
    };
  } finally {
    await Promise.all(
      procs.map(
        (p) =>
          new Promise<void>((res) => {
            if (p.child.exitCode !== null || p.child.signalCode !== null) return res();
            p.child.once('exit', () => res());
            p.child.kill('SIGTERM');
            setTimeout(() => p.child.kill('SIGKILL'), 8000).unref();
          }),
      ),
    );
    await admin.disconnect().catch(() => undefined);
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
