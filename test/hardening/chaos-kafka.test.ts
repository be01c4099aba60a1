// Issue 9, chaos: Kafka going away and coming back under the scale-out roles (`run --role
// collect`, `--role detect`, `--role route`, built CLI), against a real Apache Kafka broker
// (KRaft, test/integration/kafka-broker.ts) that requires SASL/PLAIN with a distinctive
// fake password given through ${KAFKA_PASSWORD}.
//
// The broker is frozen (SIGSTOP: every connection hangs, as in a partition or a long GC
// pause) for 40 s while alerts fire, then thawed (SIGCONT). Every alert must then be
// delivered exactly once, and no role may print the SASL password.
//
// Found here (open, reported in issue 9 for the Kafka roles): after an outage longer than
// kafka.sessionTimeout, the group coordinator has dropped the members; the next
// OffsetCommit answers UNKNOWN_MEMBER_ID, kafkajs crashes the consumer without restart
// ("The coordinator is not aware of this member", wrapped non-retriable), and the detect
// and route roles exit 1 (TRIP_KAFKA_FATAL) instead of re-joining. Under a supervisor that
// restarts failed processes (systemd Restart=on-failure, a Kubernetes Deployment) nothing
// is lost or doubled; this test plays that supervisor and counts the restarts.
import { appendFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KAFKA_VERSIONS, cacheDir, startKafka, type KafkaBroker } from '../integration/kafka-broker.js';
import { jsonlIds, startCli, waitFor, type Proc } from '../helpers/cli-process.js';
import { replayIds, sleep } from './support/chaos.js';
import { SECRET, expectNoSecrets } from './support/secrets.js';
import { report } from './support/report.js';

const VERSION = KAFKA_VERSIONS[0];
const haveKafka = existsSync(join(cacheDir(), `kafka-${VERSION}`, '.complete'));

let dir: string;
let broker: KafkaBroker | undefined;
const procs: Proc[] = [];
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tripline-chaos-kafka-'));
  if (haveKafka) broker = await startKafka(VERSION, { sasl: { username: 'tripline', password: SECRET.kafkaPassword } });
}, 180_000);
afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  if (broker?.pid) process.kill(broker.pid, 'SIGCONT');
  await broker?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const attack = (n: number) => `Jun 10 00:${String(Math.floor(n / 60)).padStart(2, '0')}:${String(n % 60).padStart(2, '0')} pve sshd[${100 + n}]: Accepted password for intruder${n} from 203.0.113.${n} port ${40_000 + n} ssh2`;

describe.skipIf(!haveKafka)(`Kafka ${VERSION} going away (frozen) and coming back`, () => {
  it('alerts fired while the broker is frozen are delivered once after it thaws; no role prints the SASL password', async () => {
    const b = broker!;
    const input = join(dir, 'auth.log');
    const sink = join(dir, 'alerts.jsonl');
    const config = join(dir, 'config.yaml');
    writeFileSync(input, '');
    writeFileSync(
      config,
      [
        'sources:',
        `  - { name: auth, kind: syslog, path: ${JSON.stringify(input)}, startAt: beginning }`,
        `sinks: { file: { path: ${JSON.stringify(sink)} } }`,
        'http: { listen: false }',
        'health: { wallClock: false }',
        'engine: { checkpointInterval: 500ms }',
        'kafka:',
        `  brokers: [${JSON.stringify(b.saslBrokers[0])}]`,
        '  sasl: { mechanism: plain, username: tripline, password: "${KAFKA_PASSWORD}" }',
        '  groupId: chaos',
        '  topics: { events: chaos.events, signals: chaos.signals, alerts: chaos.alerts, state: chaos.state }',
        '  partitions: 2',
        '  idleTimeout: 20s',
        '  sessionTimeout: 6s',
      ].join('\n') + '\n',
    );
    const env = { KAFKA_PASSWORD: SECRET.kafkaPassword, TRIPLINE_LOG_LEVEL: 'debug' };
    const logs: Record<string, string[]> = { route: [], detect: [], collect: [] };
    const restarts: Record<string, number> = { route: 0, detect: 0, collect: 0 };
    const live: Record<string, Proc> = {};
    let supervising = true;
    const start = (role: string, extra: string[] = []): Proc => {
      const p = startCli(['run', '--role', role, '--config', config, ...extra], { env });
      procs.push(p);
      live[role] = p;
      // The supervisor: a role that exits on its own (TRIP_KAFKA_FATAL) is started again.
      void p.exited.then(({ code }) => {
        logs[role]!.push(p.stderr());
        if (!supervising) return;
        expect(p.stderr(), `${role} exited ${code} without saying why`).toMatch(/TRIP_KAFKA_FATAL/);
        restarts[role]!++;
        start(role, extra);
      });
      return p;
    };
    const route = start('route', ['--state-dir', join(dir, 'route')]);
    await waitFor(() => route.stderr().includes('router started'), 90_000, 'the router');
    const detect = start('detect');
    await waitFor(() => detect.stderr().includes('detector replica started'), 90_000, 'a detector replica');
    start('collect', ['--state-dir', join(dir, 'collect'), '--year', '2026']);

    appendFileSync(input, `${[1, 2, 3, 4, 5].map(attack).join('\n')}\n`);
    await waitFor(() => jsonlIds(sink).length >= 5, 120_000, 'the first 5 alerts through Kafka');

    // The broker freezes; 10 more alerts fire; it thaws 40 s later: past the consumer
    // session timeout (6 s) and kafkajs's request timeout (30 s), so sessions expire and
    // requests fail, not just wait.
    const frozeAt = Date.now();
    process.kill(b.pid!, 'SIGSTOP');
    appendFileSync(input, `${[6, 7, 8, 9, 10, 11, 12, 13, 14, 15].map(attack).join('\n')}\n`);
    await sleep(40_000);
    const deliveredWhileFrozen = jsonlIds(sink).length;
    process.kill(b.pid!, 'SIGCONT');
    const thawedAt = Date.now();
    await waitFor(() => jsonlIds(sink).length >= 15, 240_000, 'all 15 alerts after the broker came back');
    const recoveredMs = Date.now() - thawedAt;
    await sleep(3000); // a duplicate would land now

    const want = await replayIds(input);
    const got = jsonlIds(sink);
    supervising = false;
    for (const role of ['collect', 'detect', 'route']) {
      live[role]!.child.kill('SIGTERM');
      await live[role]!.exited;
    }
    expect(deliveredWhileFrozen).toBe(5);
    expect(got.length - new Set(got).size, 'duplicates').toBe(0);
    expect([...got].sort()).toEqual([...want].sort());
    await sleep(200);
    expectNoSecrets(Object.fromEntries(Object.entries(logs).map(([role, l]) => [`${role} stderr`, l.join('\n')])));
    report('chaos: Kafka frozen and thawed', { version: VERSION, sasl: 'PLAIN', frozenSeconds: Math.round((thawedAt - frozeAt) / 1000), recoveredSecondsAfterThaw: Math.round(recoveredMs / 1000), roleRestartsBySupervisor: restarts, alerts: want.length, firedWhileFrozen: 10, lost: 0, duplicates: 0, secretsInOutput: 0 });
  });
});
