// A real Apache Kafka broker for integration tests: one combined broker+controller in
// KRaft mode on free 127.0.0.1 ports, run with the machine's Java from the jars that
// scripts/kafka/fetch.sh put in the cache (outside the repo; fetched on first use).
//
//   const k = await startKafka('3.9.2');   // k.brokers = ['127.0.0.1:<port>']
//   ...
//   await k.stop();
//
// Invariants: storage lives in a fresh temp dir removed on stop(); the broker listener
// (never the controller one, kafkajs#1651) is the only address handed out; the broker is
// reported ready only once its port accepts connections AND its log says it started.
// crash() kills the JVM but keeps its storage; restart() brings it back on the same ports
// with the same data (a broker outage, as clients see one).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../services/lib/package-root.js';

// From the sources (vitest) or compiled into dist/ (bench/kafka-path.ts imports this).
const ROOT = packageRoot() ?? process.cwd();

/** The pinned versions (scripts/kafka/fetch.sh PINNED; README "Supported Kafka versions"). */
export const PINNED_KAFKA_VERSIONS = ['3.9.2', '4.3.1'] as const;

/** The versions the integration tests run against: the pinned ones, or TRIPLINE_KAFKA_VERSIONS=4.0.2,4.1.1. */
export const KAFKA_VERSIONS: readonly string[] = process.env['TRIPLINE_KAFKA_VERSIONS']?.split(',').filter(Boolean) ?? PINNED_KAFKA_VERSIONS;

export interface KafkaBroker {
  version: string;
  /** The PLAINTEXT listener. */
  brokers: string[];
  /** With opts.sasl: a SASL_PLAINTEXT listener taking PLAIN and SCRAM-SHA-512 for that user. */
  saslBrokers: string[];
  dir: string;
  /** The broker JVM's process id (changes on restart()). */
  readonly pid: number | undefined;
  /** The broker's own log (server.log), for diagnosing a failed test. */
  logTail(lines?: number): string;
  /** Kills the broker (SIGKILL unless told), keeping its storage for restart(). */
  crash(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the broker again on the same ports and storage; resolves once it serves. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export function cacheDir(): string {
  return process.env['TRIPLINE_CACHE'] ?? join(homedir(), '.cache', 'tripline');
}

/** The jar directory of `version`, fetching it with scripts/kafka/fetch.sh when missing. */
export function kafkaLibs(version: string): string {
  const home = join(cacheDir(), `kafka-${version}`);
  if (!existsSync(join(home, '.complete'))) {
    const r = spawnSync('bash', [join(ROOT, 'scripts/kafka/fetch.sh'), version], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`scripts/kafka/fetch.sh ${version} failed (exit ${r.status})`);
  }
  return join(home, 'libs');
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => res(port));
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((res) => {
    const c = createConnection({ host: '127.0.0.1', port });
    c.once('connect', () => {
      c.destroy();
      res(true);
    });
    c.once('error', () => res(false));
  });
}

/** StorageTool's main class: kafka.tools.StorageTool (core) in 3.x and 4.x so far; probed so a later move is caught here. */
function storageToolClass(libs: string): string {
  const candidates = ['kafka.tools.StorageTool', 'org.apache.kafka.tools.StorageTool'];
  const jars = readdirSync(libs).filter((j) => /^kafka(_2\.13|-tools|-storage)-.*\.jar$/.test(j));
  for (const cls of candidates) {
    const entry = `${cls.replaceAll('.', '/')}.class`;
    for (const j of jars) {
      const r = spawnSync('unzip', ['-l', join(libs, j), entry], { encoding: 'utf8' });
      if (r.status === 0 && r.stdout.includes(entry)) return cls;
    }
  }
  return candidates[0]!;
}

function javaArgs(libs: string, dir: string): string[] {
  return [
    '-Xms128m',
    '-Xmx512m',
    '-XX:+UseG1GC',
    '-Djava.awt.headless=true',
    `-Dlog4j.configuration=file:${join(dir, 'log4j.properties')}`,
    `-Dlog4j2.configurationFile=${join(dir, 'log4j2.properties')}`,
    `-Dkafka.logs.dir=${dir}`,
    '-cp',
    `${libs}/*`,
  ];
}

export async function startKafka(version: string, opts: { partitions?: number; sasl?: { username: string; password: string } } = {}): Promise<KafkaBroker> {
  const libs = kafkaLibs(version);
  const dir = mkdtempSync(join(tmpdir(), `tripline-kafka-${version}-`));
  const [port, controllerPort, saslPort] = [await freePort(), await freePort(), await freePort()];
  const sasl = opts.sasl;
  const jaasQuote = (s: string) => JSON.stringify(s); // the JAAS config takes double-quoted strings
  mkdirSync(join(dir, 'data'));
  const props = join(dir, 'server.properties');
  writeFileSync(
    props,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}${sasl ? `,SASL://127.0.0.1:${saslPort}` : ''}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}${sasl ? `,SASL://127.0.0.1:${saslPort}` : ''}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      `listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT${sasl ? ',SASL:SASL_PLAINTEXT' : ''}`,
      ...(sasl
        ? [
            'sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-512',
            `listener.name.sasl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${sasl.username}=${jaasQuote(sasl.password)};`,
            'listener.name.sasl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
          ]
        : []),
      `log.dirs=${join(dir, 'data')}`,
      `num.partitions=${opts.partitions ?? 1}`,
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=4',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      // tripline creates its topics itself (admin API); a typo must not invent one.
      'auto.create.topics.enable=false',
      'log.flush.interval.messages=1000000',
    ].join('\n') + '\n',
  );
  const logFile = join(dir, 'server.log');
  writeFileSync(
    join(dir, 'log4j.properties'),
    [
      'log4j.rootLogger=INFO, F',
      'log4j.appender.F=org.apache.log4j.FileAppender',
      `log4j.appender.F.File=${logFile}`,
      'log4j.appender.F.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.F.layout.ConversionPattern=[%d] %p %m (%c)%n',
      'log4j.logger.kafka.request.logger=WARN',
      'log4j.logger.state.change.logger=WARN',
    ].join('\n') + '\n',
  );
  writeFileSync(
    join(dir, 'log4j2.properties'),
    [
      'appender.f.type=File',
      'appender.f.name=F',
      `appender.f.fileName=${logFile}`,
      'appender.f.layout.type=PatternLayout',
      'appender.f.layout.pattern=[%d] %p %m (%c)%n',
      'rootLogger.level=INFO',
      'rootLogger.appenderRef.f.ref=F',
    ].join('\n') + '\n',
  );

  const clusterId = randomBytes(16).toString('base64url');
  // SCRAM credentials are stored in the metadata log at format time (KIP-900).
  const scram = sasl ? ['--add-scram', `SCRAM-SHA-512=[name=${sasl.username},password=${sasl.password}]`] : [];
  const fmt = spawnSync('java', [...javaArgs(libs, dir), storageToolClass(libs), 'format', '-t', clusterId, '-c', props, ...scram], { encoding: 'utf8' });
  if (fmt.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`kafka ${version}: storage format failed (exit ${fmt.status}): ${fmt.stderr || fmt.stdout}`);
  }

  let child!: ChildProcess;
  let out = '';
  let exited = true;
  let exit: Promise<void> = Promise.resolve();
  const logTail = (n = 40) => {
    const text = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    return `${text.split('\n').slice(-n).join('\n')}\n${out}`;
  };
  const startedLines = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '').match(/Kafka ?Server started|\[KafkaRaftServer nodeId=1\] Kafka Server started/g)?.length ?? 0;

  const crash = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    if (exited) return;
    child.kill(signal);
    const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exit;
    clearTimeout(t);
  };

  const stop = async (): Promise<void> => {
    await crash('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };

  /** Spawns the JVM and waits for one more "started" line in server.log and the port. */
  const launch = async (): Promise<void> => {
    const before = startedLines();
    child = spawn('java', [...javaArgs(libs, dir), 'kafka.Kafka', props], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
    child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
    exited = false;
    const proc = child;
    exit = new Promise<void>((res) => proc.once('exit', () => ((exited = true), res())));
    const started = Date.now();
    for (;;) {
      if (startedLines() > before && (await portOpen(port))) return;
      if (exited || Date.now() - started > 90_000) {
        const tail = logTail();
        await stop();
        throw new Error(`kafka ${version} did not start (${exited ? 'exited' : 'timeout'}):\n${tail}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  await launch();
  return {
    version,
    brokers: [`127.0.0.1:${port}`],
    saslBrokers: sasl ? [`127.0.0.1:${saslPort}`] : [],
    dir,
    get pid() {
      return child.pid;
    },
    logTail,
    crash,
    restart: launch,
    stop,
  };
}
