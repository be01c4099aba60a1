// Issue 9, chaos: Kafka going away and coming back under the scale-out roles (`run --role
// collect`, `--role detect`, `--role route`, built CLI), against a real Apache Kafka broker
// (KRaft, test/integration/kafka-broker.ts) that requires SASL/PLAIN with a distinctive
// fake password given through ${KAFKA_PASSWORD}.
//
// Two outages, both longer than kafka.sessionTimeout (6 s, the broker's default
// group.min.session.timeout.ms), while alerts keep firing:
//   1. the broker is frozen (SIGSTOP: every connection hangs, as in a partition or a long
//      GC pause) for 40 s, past the session timeout and kafkajs's 30 s request timeout,
//      then thawed (SIGCONT);
//   2. the broker is killed (SIGKILL: connections refused) for 20 s, then started again on
//      the same ports and storage.
// Each time the coordinator drops the group members. A consumer whose next OffsetCommit
// meets that (UNKNOWN_MEMBER_ID, wrapped non-retriable) is stopped for good by kafkajs;
// that used to end the detect and route roles with TRIP_KAFKA_FATAL (a supervisor restart
// lost nothing). Now the role recreates the consumer after a backoff and rejoins
// (services/kafka/consumer-supervisor.ts). Whether a heartbeat or a commit meets the
// expired member first is timing (after a heartbeat kafkajs rejoins by itself): the commit
// came first in 5 of the first 6 runs, so the report says how often it happened; the
// fake-clock unit tests (test/kafka/consumer-supervisor.test.ts) cover that path every time.
// So: no role process exits, every alert is delivered exactly once (the ids of the
// embedded replay, none missing, none twice), every consumer kafkajs gave up on is
// recreated and back in its group, /readyz reports the Kafka link as reconnecting during
// an outage and ready after it, and no role prints the SASL password.
import { appendFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KAFKA_VERSIONS, cacheDir, startKafka, type KafkaBroker } from '../integration/kafka-broker.js';
import { jsonlIds, startCli, waitFor, type Proc } from '../helpers/cli-process.js';
import { replayIds, sleep, writeRunConfig } from './support/chaos.js';
import { SECRET, expectNoSecrets } from './support/secrets.js';
import { report } from './support/report.js';

const VERSION = KAFKA_VERSIONS[0] ?? '3.9.2';
const haveKafka = existsSync(join(cacheDir(), `kafka-${VERSION}`, '.complete'));
const ROLES = ['route', 'detect', 'collect'] as const;
type Role = (typeof ROLES)[number];

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
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

interface Ready {
  ready: boolean;
  detail: { kafka?: Record<string, string> };
}

/** /readyz of a role (null: no answer). */
async function readyz(port: number): Promise<Ready | null> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2000) });
    return (await r.json()) as Ready;
  } catch {
    return null;
  }
}

/**
 * /readyz once it has said ready for `stableMs` on end (a frozen broker's clients notice
 * nothing until a heartbeat or commit fails: "ready" right after a thaw may not last), or
 * its last answer after `ms`.
 */
async function readyWithin(port: number, ms: number, stableMs = 0): Promise<Ready | null> {
  const deadline = Date.now() + ms;
  let since: number | null = null;
  for (;;) {
    const r = await readyz(port);
    since = r?.ready ? (since ?? Date.now()) : null;
    if ((since !== null && Date.now() - since >= stableMs) || Date.now() > deadline) return r;
    await sleep(250);
  }
}

async function metric(port: number, name: string): Promise<string[]> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
  return text.split('\n').filter((l) => l.startsWith(name));
}

/** Polls /readyz of the roles until stop(): which roles were seen reconnecting (not ready, a Kafka client "reconnecting"). */
function watchReadiness(ports: Partial<Record<Role, number>>) {
  const seen = new Set<Role>();
  let on = true;
  const loop = (async () => {
    while (on) {
      for (const [role, port] of Object.entries(ports) as Array<[Role, number]>) {
        const r = await readyz(port);
        if (r && !r.ready && Object.values(r.detail.kafka ?? {}).includes('reconnecting')) seen.add(role);
      }
      await sleep(250);
    }
  })();
  return {
    seen,
    stop: async () => {
      on = false;
      await loop;
    },
  };
}

/** On failure: each role's log to <tmpdir>/tripline-chaos-kafka-<role>.log, and its tail printed. */
function dumpLogs(live: Partial<Record<Role, Proc>>): void {
  for (const [role, p] of Object.entries(live)) {
    const path = join(tmpdir(), `tripline-chaos-kafka-${role}.log`);
    writeFileSync(path, p.stderr());
    console.log(`---- ${role} (full log: ${path})\n${p.stderr().split('\n').slice(-25).join('\n')}`);
  }
}

describe.skipIf(!haveKafka)(`Kafka ${VERSION} going away (frozen, then killed) and coming back`, () => {
  it('the roles ride out two outages longer than the session timeout: none exits, every alert is delivered once, no role prints the SASL password', async () => {
    const live = {} as Record<Role, Proc>;
    try {
      await outages(live);
    } catch (e) {
      dumpLogs(live);
      throw e;
    }
  });
});

/** Both outages under the three roles; `live` is filled as they start (for dumpLogs). */
async function outages(live: Record<Role, Proc>): Promise<void> {
  const b = broker!;
  const input = join(dir, 'auth.log');
  const sink = join(dir, 'alerts.jsonl');
  const config = join(dir, 'config.yaml');
  writeFileSync(input, '');
  writeRunConfig(config, {
    input,
    sink,
    checkpoint: '500ms',
    extra: [
      'kafka:',
      `  brokers: [${JSON.stringify(b.saslBrokers[0])}]`,
      '  sasl: { mechanism: plain, username: tripline, password: "${KAFKA_PASSWORD}" }',
      '  groupId: chaos',
      '  topics: { events: chaos.events, signals: chaos.signals, alerts: chaos.alerts, state: chaos.state }',
      '  partitions: 2',
      '  idleTimeout: 20s',
      '  sessionTimeout: 6s',
    ],
  });
  const env = { KAFKA_PASSWORD: SECRET.kafkaPassword, TRIPLINE_LOG_LEVEL: 'debug' };
  const exitedEarly: string[] = [];
  let running = true;
  const start = (role: Role, extra: string[]): Proc => {
    const p = startCli(['run', '--role', role, '--config', config, '--http', '127.0.0.1:0', ...extra], { env });
    procs.push(p);
    live[role] = p;
    void p.exited.then(({ code, signal }) => {
      if (running) exitedEarly.push(`${role} exited ${code ?? signal}: ${p.stderr().match(/.*TRIP_KAFKA_FATAL.*/)?.[0] ?? '(no TRIP_KAFKA_FATAL line)'}`);
    });
    return p;
  };
  const count = (role: Role, code: string) => live[role].stderr().split('\n').filter((l) => l.includes(`"code":"${code}"`)).length;
  /** Consumers of `role` that kafkajs stopped for good (TRIP_KAFKA_RECONNECT), split by whether they rejoined afterwards. */
  const recreations = (role: Role, log: string) => {
    const lines = log.split('\n').filter((l) => l.includes('"code":"TRIP_KAFKA_')).map((l) => JSON.parse(l) as { code: string; client?: string; err?: string });
    const rejoined: string[] = [];
    const stranded: string[] = [];
    const memberExpired: string[] = [];
    lines.forEach((l, i) => {
      if (l.code !== 'TRIP_KAFKA_RECONNECT') return;
      const name = `${role}:${l.client}`;
      if (lines.slice(i + 1).some((m) => m.code === 'TRIP_KAFKA_REJOINED' && m.client === l.client)) rejoined.push(name);
      else stranded.push(name);
      if (/not aware of this member/.test(l.err ?? '')) memberExpired.push(name);
    });
    return { rejoined, stranded, memberExpired };
  };
  const httpPort = (p: Proc): number => Number(/"port":(\d+)[^\n]*serving \/metrics/.exec(p.stderr())?.[1]);
  const route = start('route', ['--state-dir', join(dir, 'route')]);
  await waitFor(() => route.stderr().includes('router started'), 90_000, 'the router');
  const detect = start('detect', []);
  await waitFor(() => detect.stderr().includes('detector replica started'), 90_000, 'a detector replica');
  start('collect', ['--state-dir', join(dir, 'collect'), '--year', '2026']);
  await waitFor(() => ROLES.every((r) => httpPort(live[r]) > 0), 30_000, 'every role serving /readyz');
  const ports = Object.fromEntries(ROLES.map((r) => [r, httpPort(live[r])])) as Record<Role, number>;
  const pids = ROLES.map((r) => live[r].child.pid);

  appendFileSync(input, `${range(1, 5).map(attack).join('\n')}\n`);
  await waitFor(() => jsonlIds(sink).length >= 5, 120_000, 'the first 5 alerts through Kafka');

  // Outage 1: frozen for 40 s (past the 6 s session timeout and kafkajs's 30 s request
  // timeout, so sessions expire and requests fail, not just wait); 10 alerts fire.
  const watch1 = watchReadiness({ route: ports.route, detect: ports.detect });
  const frozeAt = Date.now();
  process.kill(b.pid!, 'SIGSTOP');
  appendFileSync(input, `${range(6, 15).map(attack).join('\n')}\n`);
  await sleep(40_000);
  const deliveredWhileFrozen = jsonlIds(sink).length;
  process.kill(b.pid!, 'SIGCONT');
  const thawedAt = Date.now();
  await waitFor(() => jsonlIds(sink).length >= 15, 240_000, `all 15 alerts after the thaw (have ${jsonlIds(sink).length})`);
  const recovered1Ms = Date.now() - thawedAt;
  await watch1.stop();
  // Back in their groups before the next outage (else the two outages merge into one):
  // ready for 10 s on end, past a heartbeat interval (2 s) and the session timeout.
  const stable = await Promise.all((['route', 'detect'] as const).map(async (r) => [r, await readyWithin(ports[r], 120_000, 10_000)] as const));
  for (const [r, ready] of stable) expect(ready?.ready, `${r} ready again after the thaw: ${JSON.stringify(ready)}`).toBe(true);
  const ready1Ms = Date.now() - thawedAt;
  const rejoinsAfterFreeze = { route: count('route', 'TRIP_KAFKA_REJOINED'), detect: count('detect', 'TRIP_KAFKA_REJOINED') };

  // Outage 2: killed for 20 s, then started again on the same storage; 10 more alerts fire.
  const watch2 = watchReadiness({ route: ports.route, detect: ports.detect });
  await b.crash('SIGKILL');
  const killedAt = Date.now();
  appendFileSync(input, `${range(16, 25).map(attack).join('\n')}\n`);
  await sleep(20_000);
  const deliveredWhileDown = jsonlIds(sink).length;
  await b.restart();
  const backAt = Date.now();
  await waitFor(() => jsonlIds(sink).length >= 25, 240_000, `all 25 alerts after the restart (have ${jsonlIds(sink).length})`);
  const recovered2Ms = Date.now() - backAt;
  await sleep(3000); // a duplicate would land now
  await watch2.stop();

  // Ready again, every client up, nothing reconnecting.
  const after: Record<string, Ready | null> = {};
  for (const r of ROLES) after[r] = await readyWithin(ports[r], 30_000);
  const reconnects = Object.fromEntries(await Promise.all((['route', 'detect'] as const).map(async (r) => [r, (await metric(ports[r], 'tripline_kafka_reconnects_total{')).join('; ')] as const)));
  const reconnectingGauges = (await Promise.all(ROLES.map((r) => metric(ports[r], 'tripline_kafka_reconnecting{')))).flat();

  const want = await replayIds(input);
  const got = jsonlIds(sink);
  const stillRunning = ROLES.map((r) => live[r].child.pid);
  const logs = Object.fromEntries(ROLES.map((r) => [r, live[r].stderr()])) as Record<Role, string>;
  const rejoinsTotal = { route: count('route', 'TRIP_KAFKA_REJOINED'), detect: count('detect', 'TRIP_KAFKA_REJOINED') };
  const recreated = ROLES.map((r) => recreations(r, logs[r]));
  const stranded = recreated.flatMap((x) => x.stranded);
  const memberExpiredRecoveries = [...new Set(recreated.flatMap((x) => x.memberExpired))];
  running = false;
  for (const role of ROLES) {
    live[role].child.kill('SIGTERM');
    const { code } = await live[role].exited;
    expect(code, `${role} exit code on SIGTERM`).toBe(0);
  }

  expect(exitedEarly, 'no role may exit on its own').toEqual([]);
  expect(stillRunning).toEqual(pids);
  for (const role of ROLES) expect(logs[role]).not.toContain('TRIP_KAFKA_FATAL');
  expect(got.length - new Set(got).size, 'duplicates').toBe(0);
  expect(want.length).toBe(25);
  expect([...got].sort()).toEqual([...want].sort());
  expect(deliveredWhileFrozen).toBe(5);
  expect(deliveredWhileDown).toBe(15);
  // Every consumer kafkajs gave up on was recreated and is back in its group.
  expect(stranded, 'consumers recreated but never back in their group').toEqual([]);
  // Both roles lost their groups to the kill (connections refused) and came back.
  for (const role of ['route', 'detect'] as const) expect(rejoinsTotal[role], `${role} rejoined after the kill`).toBeGreaterThan(rejoinsAfterFreeze[role]);
  expect([...watch1.seen, ...watch2.seen].sort(), '/readyz said "reconnecting" during an outage').toEqual(expect.arrayContaining(['detect', 'route']));
  for (const r of ROLES) expect(after[r]?.ready, `${r} ready after the outages: ${JSON.stringify(after[r])}`).toBe(true);
  expect(reconnectingGauges.filter((l) => !l.endsWith(' 0')), 'no client still reconnecting').toEqual([]);
  await sleep(200);
  expectNoSecrets(Object.fromEntries(ROLES.map((role) => [`${role} stderr`, logs[role]])));
  report('chaos: Kafka frozen, then killed, and back', {
    version: VERSION,
    sasl: 'PLAIN',
    sessionTimeoutSeconds: 6,
    frozenSeconds: Math.round((thawedAt - frozeAt) / 1000),
    recoveredSecondsAfterThaw: Math.round(recovered1Ms / 1000),
    readySecondsAfterThaw: Math.round(ready1Ms / 1000),
    killedSeconds: Math.round((backAt - killedAt) / 1000),
    recoveredSecondsAfterRestart: Math.round(recovered2Ms / 1000),
    roleExits: exitedEarly.length,
    reconnectsLogged: Object.fromEntries(ROLES.map((r) => [r, count(r, 'TRIP_KAFKA_RECONNECT')])),
    rejoinsLogged: { afterFreeze: rejoinsAfterFreeze, total: rejoinsTotal },
    recreatedAndRejoined: recreated.flatMap((x) => x.rejoined).length,
    formerlyFatalCrashesRecovered: memberExpiredRecoveries,
    reconnectsMetric: reconnects,
    readyzReconnectingSeen: [...new Set([...watch1.seen, ...watch2.seen])],
    alerts: want.length,
    delivered: got.length,
    firedDuringOutages: 20,
    lost: want.filter((id) => !got.includes(id)).length,
    duplicates: got.length - new Set(got).size,
    secretsInOutput: 0,
  });
}
