// issue 7 acceptance, against a real Apache Kafka broker (KRaft, loopback) of each pinned
// version (kafka-broker.ts; jars fetched by scripts/kafka/fetch.sh into the cache):
// - the golden multi-source scenario through `run --role collect` → two `--role detect`
//   replicas → `--role route`, each a child process of the built CLI, delivers exactly
//   the alerts of the embedded replay: same ids, each once (and the same content, but
//   for where the evidence line was read: a tail names the file, a replay does not);
// - one detect replica SIGKILLed mid-stream (the one owning the health partition, the
//   hardest to take over): the survivor takes its partitions and the delivered set is
//   still exactly the embedded one;
// - SASL (PLAIN, SCRAM-SHA-512) with kafkajs: admin calls, idempotent produce, a consumer
//   group; a wrong password is refused and no password reaches a log line.
// TRIPLINE_KAFKA_VERSIONS=4.0.2,4.1.1 runs the same against other releases.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../schemas/alert.js';
import { Config } from '../../schemas/config.js';
import type { InputKind } from '../../schemas/event.js';
import { runReplay } from '../../services/cli/replay-run.js';
import { createLog } from '../../services/lib/log.js';
import { ensureTopics, makeKafka, makeProducer, sendAll } from '../../services/kafka/client.js';
import { healthPartition } from '../../services/kafka/routing.js';
import { ROOT, startCli, waitFor, type Proc } from '../helpers/cli-process.js';
import { generateAuthLog } from '../helpers/gen-auth-log.js';
import { KAFKA_VERSIONS, startKafka, type KafkaBroker } from './kafka-broker.js';
import { SCENARIO_FILES, scenarioName } from '../../services/cli/run/scenario.js';

const SCENARIO = join(ROOT, 'test/fixtures/scenario');
const PARTITIONS = 4;
const quiet = new Writable({ write: (_c, _e, cb) => cb() });
const SASL_PASSWORD = 'sasl-SECRET-0f3a9c';

interface Src {
  name: string;
  kind: InputKind;
  path: string;
}

const scenario: Src[] = SCENARIO_FILES.map(({ kind, file }) => ({ kind, name: scenarioName(file), path: join(SCENARIO, file) }));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tripline-kafka-path-'));
  // The replicas run the built CLI: build what is checked out now.
  const tsc = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT, encoding: 'utf8' });
  if (tsc.status !== 0) throw new Error(`build failed:\n${tsc.stdout}${tsc.stderr}`);
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function replay(sources: Src[]): Promise<Alert[]> {
  const r = await runReplay({
    specs: sources.map((s) => ({ kind: s.kind, path: s.path, name: s.name })),
    config: Config.parse({ health: { wallClock: false } }),
    readOpts: { year: 2026 },
    io: { stderr: quiet, stdin: process.stdin, now: () => 0 },
  });
  expect(r.ioFailed).toBe(false);
  return r.alerts;
}

function delivered(path: string): Alert[] {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l.endsWith('}'))
    .map((l) => JSON.parse(l) as Alert);
}

/** An alert without the position its evidence was read at (a tail says "<path> line N", a replay "line N"). */
const comparable = (a: Alert) => JSON.stringify({ ...a, evidence: a.evidence.map((e) => ({ ...e, position: e.position.replace(/^.* (line \d+)$/, '$1') })) });

function expectExactly(got: Alert[], want: Alert[]): void {
  const ids = got.map((a) => a.id);
  expect(new Set(ids).size, 'each alert delivered once').toBe(ids.length);
  expect([...ids].sort()).toEqual(want.map((a) => a.id).sort());
  const byId = new Map(want.map((a) => [a.id, comparable(a)]));
  const differing = got.filter((a) => comparable(a) !== byId.get(a.id)).map((a) => `${a.rule} ${a.key}`);
  expect(differing).toEqual([]);
}

class Topology {
  readonly procs = new Map<string, Proc>();
  readonly sink: string;
  readonly config: string;

  constructor(
    readonly name: string,
    broker: KafkaBroker,
    sources: Src[],
  ) {
    const base = join(dir, name);
    this.sink = join(base, 'delivered.jsonl');
    this.config = join(base, 'config.yaml');
    spawnSync('mkdir', ['-p', base]);
    writeFileSync(
      this.config,
      [
        'sources:',
        ...sources.map((s) => `  - { name: ${s.name}, kind: ${s.kind}, path: ${JSON.stringify(s.path)}, startAt: beginning }`),
        `sinks: { file: { path: ${JSON.stringify(this.sink)} } }`,
        'http: { listen: false }',
        'health: { wallClock: false }',
        'engine: { checkpointInterval: 500ms }',
        'kafka:',
        `  brokers: [${JSON.stringify(broker.brokers[0])}]`,
        `  clientId: tripline-${name}`,
        `  groupId: ${name}`,
        `  topics: { events: ${name}.events, signals: ${name}.signals, alerts: ${name}.alerts, state: ${name}.state }`,
        `  partitions: ${PARTITIONS}`,
        // Longer than a failover (session timeout + rejoin): a source whose partition is
        // being taken over must hold the health lane back, not be taken for silent.
        '  idleTimeout: 20s',
        '  sessionTimeout: 6s',
      ].join('\n') + '\n',
    );
  }

  start(label: string, role: string, extra: string[] = []): Proc {
    const p = startCli(['run', '--role', role, '--config', this.config, ...extra], { env: { TRIPLINE_LOG_LEVEL: 'info' } });
    this.procs.set(label, p);
    return p;
  }

  async startAll(): Promise<void> {
    const base = join(dir, this.name);
    const route = this.start('route', 'route', ['--state-dir', join(base, 'route')]);
    await waitFor(() => route.stderr().includes('router started'), 60_000, 'the router');
    const a = this.start('detect-a', 'detect');
    const b = this.start('detect-b', 'detect');
    await waitFor(() => a.stderr().includes('detector replica started') && b.stderr().includes('detector replica started'), 60_000, 'two detector replicas');
    this.start('collect', 'collect', ['--state-dir', join(base, 'collect'), '--year', '2026']);
  }

  /** Waits for `n` delivered alerts, then for nothing more to arrive for `quietMs`. */
  async settle(n: number, timeoutMs: number, quietMs = 3000): Promise<Alert[]> {
    await waitFor(() => delivered(this.sink).length >= n, timeoutMs, `${n} delivered alerts (have ${delivered(this.sink).length})`);
    let count = delivered(this.sink).length;
    for (let still = Date.now(); Date.now() - still < quietMs; ) {
      await new Promise((r) => setTimeout(r, 250));
      const now = delivered(this.sink).length;
      if (now !== count) ((count = now), (still = Date.now()));
    }
    return delivered(this.sink);
  }

  /** SIGTERM to every live process; each must exit 0 within 5 s. */
  async stop(): Promise<Array<{ label: string; code: number | null; ms: number }>> {
    const out: Array<{ label: string; code: number | null; ms: number }> = [];
    await Promise.all(
      [...this.procs].map(async ([label, p]) => {
        if (p.child.exitCode !== null || p.child.signalCode !== null) return;
        const t0 = Date.now();
        p.child.kill('SIGTERM');
        const { code } = await p.exited;
        out.push({ label, code, ms: Date.now() - t0 });
      }),
    );
    return out;
  }

  logs(): string {
    return [...this.procs].map(([l, p]) => `---- ${l}\n${p.stderr().split('\n').slice(-30).join('\n')}`).join('\n');
  }
}

for (const version of KAFKA_VERSIONS) {
  describe(`Kafka ${version}: collect → detect ×2 → route`, () => {
    let broker: KafkaBroker;
    beforeAll(async () => {
      const t0 = Date.now();
      broker = await startKafka(version, { sasl: { username: 'tripline', password: SASL_PASSWORD } });
      console.log(`kafka ${version} up at ${broker.brokers[0]} in ${Date.now() - t0} ms`);
    }, 300_000);
    afterAll(async () => {
      await broker?.stop();
    });

    it('the golden scenario yields exactly the embedded replay alerts, each delivered once', async () => {
      const want = await replay(scenario);
      expect(want.length).toBeGreaterThan(600);
      const t = new Topology(`golden-${version.replaceAll('.', '-')}`, broker, scenario);
      try {
        const t0 = Date.now();
        await t.startAll();
        const got = await t.settle(want.length, 120_000);
        console.log(`kafka ${version}: ${got.length} alerts delivered ${Date.now() - t0} ms after start`);
        expectExactly(got, want);
        const stops = await t.stop();
        console.log(`kafka ${version}: stops ${JSON.stringify(stops)}`);
        for (const s of stops) {
          expect(s.code, `${s.label} exit code`).toBe(0);
          expect(s.ms, `${s.label} stop time`).toBeLessThan(5000);
        }
      } catch (e) {
        console.log(t.logs());
        throw e;
      } finally {
        await t.stop();
      }
    });

    it('SASL PLAIN and SCRAM-SHA-512: admin calls, idempotent produce, a consumer group; a wrong password is refused, no password logged', async () => {
      let logged = '';
      const log = createLog({ level: 'debug', destination: new Writable({ write: (c, _e, cb) => ((logged += String(c)), cb()) }) });
      for (const mechanism of ['plain', 'scram-sha-512'] as const) {
        const name = `sasl-${mechanism}-${version.replaceAll('.', '-')}`;
        const cfg = Config.parse({
          kafka: {
            brokers: broker.saslBrokers,
            sasl: { mechanism, username: 'tripline', password: SASL_PASSWORD },
            groupId: name,
            topics: { events: `${name}.events`, signals: `${name}.signals`, alerts: `${name}.alerts`, state: `${name}.state` },
            partitions: 2,
          },
        }).kafka!;
        const kafka = makeKafka(cfg, log);
        const admin = kafka.admin();
        await admin.connect();
        expect(await ensureTopics(admin, cfg, log)).toEqual({ events: 2, signals: 2, alerts: 2, state: 2 });
        const producer = makeProducer(kafka);
        await producer.connect();
        await sendAll(producer, [{ topic: cfg.topics.alerts, messages: [{ key: 'a', value: 'one' }, { key: 'b', value: 'two' }] }]);
        const consumer = kafka.consumer({ groupId: `${name}.g` });
        await consumer.connect();
        await consumer.subscribe({ topics: [cfg.topics.alerts], fromBeginning: true });
        const got: string[] = [];
        await consumer.run({ eachMessage: async ({ message }) => void got.push(String(message.value)) });
        await waitFor(() => got.length === 2, 60_000, 'two messages over SASL');
        expect(got.sort()).toEqual(['one', 'two']);
        await consumer.disconnect();
        await producer.disconnect();
        await admin.disconnect();

        const wrong = makeKafka({ ...cfg, sasl: { mechanism, username: 'tripline', password: 'wrong-SECRET-77' } }, log).admin();
        await expect(wrong.connect()).rejects.toThrow(/SASL|auth/i);
        await wrong.disconnect().catch(() => undefined);
      }
      expect(logged).not.toContain(SASL_PASSWORD);
      expect(logged).not.toContain('wrong-SECRET-77');
    });

    it('one detect replica SIGKILLed mid-stream: the survivor takes over, the delivered set is still exactly the embedded one', async () => {
      // The scenario plus a long sshd log (200 intrusions over 100,000 lines), so there is a
      // stream to kill in the middle of.
      const big = generateAuthLog(100_000, 200, 77);
      const bigPath = join(dir, `big-${version}.log`);
      writeFileSync(bigPath, `${big.lines.join('\n')}\n`);
      const sources = [...scenario, { name: 'bastion', kind: 'syslog' as const, path: bigPath }];
      const want = await replay(sources);
      const t = new Topology(`kill-${version.replaceAll('.', '-')}`, broker, sources);
      try {
        await t.startAll();
        // The victim: the replica that owns the health partition (H1/H2 state, the merge buffer).
        const hp = healthPartition(PARTITIONS);
        const owns = (label: string) => {
          const lines = t.procs.get(label)!.stderr().split('\n').filter((l) => l.includes('signals partitions assigned'));
          const last = lines.at(-1);
          return last ? (JSON.parse(last) as { partitions: number[] }).partitions.includes(hp) : false;
        };
        await waitFor(() => owns('detect-a') || owns('detect-b'), 30_000, 'the health partition to be assigned');
        const victim = owns('detect-a') ? 'detect-a' : 'detect-b';
        const survivor = victim === 'detect-a' ? 'detect-b' : 'detect-a';
        // Mid-stream: some intrusions delivered, most not yet.
        await waitFor(() => delivered(t.sink).length >= 40, 120_000, '40 delivered alerts');
        const v = t.procs.get(victim)!;
        v.child.kill('SIGKILL');
        expect((await v.exited).signal).toBe('SIGKILL');
        const atKill = delivered(t.sink).length;
        console.log(`kafka ${version}: killed ${victim} (health partition ${hp}) with ${atKill}/${want.length} alerts delivered`);
        expect(atKill).toBeLessThan(want.length);

        const got = await t.settle(want.length, 240_000, 5000);
        const took = t.procs.get(survivor)!.stderr();
        expect(took).toContain(`"partition":${hp},"from":"checkpoint"`);
        expectExactly(got, want);
      } catch (e) {
        console.log(t.logs());
        throw e;
      } finally {
        await t.stop();
      }
    });
  });
}
