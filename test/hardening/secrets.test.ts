// Issue 9, secrets: the Slack webhook URL, the Loki password and the Kafka SASL password
// (distinctive fakes, put in the config through ${ENV} as the docs say) never appear in
// anything tripline prints or exposes: `tripline check` (valid configs, and invalid ones
// where the secrets sit in the wrong fields), `run` refusing a bad config, `run` with a
// Slack webhook that answers 404/500, `run --role collect` against an unreachable Kafka,
// `replay --loki` against an unreachable Loki (credentials in the config and in the URL),
// and `digest --post` to a dead webhook. (Sinks failing mid-run: chaos-sinks.test.ts; Kafka
// with SASL: chaos-kafka.test.ts.)
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, waitFor } from '../helpers/cli-process.js';
import { SlackServer } from '../helpers/slack-server.js';
import { LOKI_USER, SECRET, expectNoSecrets, slackUrl } from './support/secrets.js';
import { sleep } from './support/chaos.js';
import { report } from './support/report.js';

let dir: string;
let deadPort: number;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tripline-secrets-'));
  // A port nothing listens on: connections are refused.
  deadPort = await new Promise<number>((res) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const checked: string[] = [];
afterAll(() => report('secrets: commands and outputs searched, none leaked', { places: checked.length, list: checked }));

function env(slackPort = deadPort): NodeJS.ProcessEnv {
  return { SLACK_WEBHOOK_URL: slackUrl(slackPort), LOKI_PASSWORD: SECRET.lokiPassword, KAFKA_PASSWORD: SECRET.kafkaPassword, TRIPLINE_LOG_LEVEL: 'debug' };
}

function write(name: string, lines: string[]): string {
  const p = join(dir, name);
  writeFileSync(p, `${lines.join('\n')}\n`);
  return p;
}

const SECRET_BLOCKS = [
  'sinks:',
  '  slack: { webhookUrl: "${SLACK_WEBHOOK_URL}", timeout: 1s }',
  `  loki: { url: "http://127.0.0.1:DEAD", auth: { username: ${LOKI_USER}, password: "\${LOKI_PASSWORD}" }, timeout: 1s }`,
  `loki: { url: "http://127.0.0.1:DEAD", auth: { username: ${LOKI_USER}, password: "\${LOKI_PASSWORD}" }, timeout: 1s, retries: 1 }`,
  'kafka:',
  '  brokers: ["127.0.0.1:DEAD"]',
  '  sasl: { mechanism: plain, username: tripline, password: "${KAFKA_PASSWORD}" }',
];
const blocks = () => SECRET_BLOCKS.map((l) => l.replaceAll('DEAD', String(deadPort)));

function expectClean(what: string, texts: Record<string, string>): void {
  const named = Object.fromEntries(Object.entries(texts).map(([k, v]) => [`${what}: ${k}`, v]));
  checked.push(...Object.keys(named));
  expectNoSecrets(named);
}

describe('secrets never printed or exposed', () => {
  it('tripline check: a valid config, and an invalid one with every secret in a wrong field', async () => {
    const good = write('good.yaml', blocks());
    const ok = await runCli(['check', '--config', good], { env: env() });
    expect(ok.code, ok.stderr).toBe(0);
    expectClean('check (valid)', { stdout: ok.stdout, stderr: ok.stderr });

    const bad = write('bad.yaml', [
      ...blocks(),
      'engine: { maxKeys: "${KAFKA_PASSWORD}" }',
      'route: { timezone: "${LOKI_PASSWORD}", digest: { at: "${SLACK_WEBHOOK_URL}" }, runbookBaseUrl: "${KAFKA_PASSWORD}" }',
      'networks: { trusted: ["${SLACK_WEBHOOK_URL}", "${LOKI_PASSWORD}/8"] }',
      'rules: { S1: { severity: "${LOKI_PASSWORD}", cooldown: "${KAFKA_PASSWORD}" } }',
      'health: { maxSilence: { auth: "${KAFKA_PASSWORD}" } }',
      'grafana: { url: "${LOKI_PASSWORD}" }',
      'hosts: { maintenance: [{ from: "${SLACK_WEBHOOK_URL}", to: "${LOKI_PASSWORD}" }] }',
      'identities: { humans: "${KAFKA_PASSWORD}" }',
      'swarm: { approvedDrones: [{ a: "${LOKI_PASSWORD}" }] }',
      'http: { listen: "${KAFKA_PASSWORD}" }',
    ]
      .join('\n')
      .replace('webhookUrl: "${SLACK_WEBHOOK_URL}"', 'webhookUrl: "${LOKI_PASSWORD}"')
      .replace('brokers: ["127.0.0.1:' + deadPort + '"]', 'brokers: ["${KAFKA_PASSWORD}"]')
      .split('\n'));
    const r = await runCli(['check', '--config', bad], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n').length).toBeGreaterThan(10); // every problem reported...
    expect(r.stderr).toMatch(/\$\{LOKI_PASSWORD\}/); // ...naming the variable, not its value
    expectClean('check (invalid)', { stdout: r.stdout, stderr: r.stderr });

    const run = await runCli(['run', '--config', bad, '--state-dir', join(dir, 's-bad')], { env: env() });
    expect(run.code).toBe(2);
    expectClean('run (invalid config)', { stdout: run.stdout, stderr: run.stderr });
  });

  it('tripline run: Slack answering 404 no_service, then 500, Loki unreachable; /metrics and /readyz while failing', async () => {
    const slack = new SlackServer(() => Date.now());
    let n = 0;
    slack.answer = () => (n++ === 0 ? { status: 404, body: 'no_service' } : { status: 500, body: 'rollup_error' });
    await slack.start();
    try {
      const input = write('auth.log', [1, 2, 3].map((i) => `Jun 10 00:00:0${i} pve sshd[${i}]: Accepted password for x${i} from 203.0.113.${i} port 2${i} ssh2`));
      const config = write('run.yaml', [
        'sources:',
        `  - { name: auth, kind: syslog, path: ${JSON.stringify(input)}, startAt: beginning }`,
        ...blocks().filter((l) => !l.startsWith('kafka') && !l.startsWith('  brokers') && !l.startsWith('  sasl')),
        'route: { groupWait: 0s }',
        'http: { listen: "127.0.0.1:0" }',
        'health: { wallClock: false }',
      ]);
      const stateDir = join(dir, 's-run');
      const p = startCli(['run', '--config', config, '--state-dir', stateDir, '--year', '2026'], { env: env(slack.port) });
      await waitFor(() => /"port":(\d+)/.test(p.stderr()), 30_000, 'the HTTP port');
      await waitFor(() => /TRIP_SINK_SLACK_4XX/.test(p.stderr()) && /TRIP_SINK_SLACK_5XX/.test(p.stderr()) && /TRIP_SINK_LOKI/.test(p.stderr()), 30_000, 'Slack 404, 500 and Loki failures logged');
      const base = `http://127.0.0.1:${/"port":(\d+)/.exec(p.stderr())![1]}`;
      const texts = { metrics: await (await fetch(`${base}/metrics`)).text(), readyz: await (await fetch(`${base}/readyz`)).text(), healthz: await (await fetch(`${base}/healthz`)).text() };
      p.child.kill('SIGTERM');
      await p.exited;
      const files = Object.fromEntries(readdirSync(stateDir).map((f) => [`state dir ${f}`, readFileSync(join(stateDir, f)).toString('latin1')]));
      expect(slack.received.length).toBeGreaterThanOrEqual(2);
      expectClean('run (sinks failing)', { stderr: p.stderr(), stdout: p.stdout(), ...texts, ...files });
    } finally {
      await slack.stop();
    }
  });

  it('tripline run --role collect: a Kafka that is not there, with a SASL password', async () => {
    const input = write('collect.log', ['Jun 10 00:00:01 pve sshd[1]: Accepted password for x from 203.0.113.1 port 22 ssh2']);
    const config = write('collect.yaml', [
      'sources:',
      `  - { name: auth, kind: syslog, path: ${JSON.stringify(input)}, startAt: beginning }`,
      ...blocks().filter((l) => l.startsWith('kafka') || l.startsWith('  brokers') || l.startsWith('  sasl')),
      'http: { listen: false }',
    ]);
    const p = startCli(['run', '--role', 'collect', '--config', config, '--state-dir', join(dir, 's-collect'), '--year', '2026'], { env: env() });
    await waitFor(() => /kafka/i.test(p.stderr()) || p.child.exitCode !== null, 60_000, 'kafka connection errors');
    await sleep(4000);
    p.child.kill('SIGTERM');
    await p.exited;
    expect(p.stderr()).toMatch(/ECONNREFUSED|Connection error|connect/i);
    expectClean('run --role collect (kafka down)', { stderr: p.stderr(), stdout: p.stdout() });
  });

  it('tripline replay --loki: Loki unreachable, credentials from the config and inside the URL', async () => {
    const config = write('replay.yaml', blocks().filter((l) => l.startsWith('loki')));
    const a = await runCli(['replay', '--config', config, '--query', '{job="sshd"}', '--parser', 'syslog', '--from', '2026-06-10T00:00:00Z', '--to', '2026-06-10T01:00:00Z'], { env: env() });
    expect(a.code).not.toBe(0);
    const b = await runCli(['replay', '--loki', `http://${LOKI_USER}:${encodeURIComponent(SECRET.lokiPassword)}@127.0.0.1:${deadPort}`, '--query', '{job="sshd"}', '--parser', 'syslog', '--from', '2026-06-10T00:00:00Z', '--to', '2026-06-10T01:00:00Z'], { env: env() });
    expect(b.code).not.toBe(0);
    expect(`${a.stderr}${b.stderr}`).toMatch(/TRIP_LOKI_UNREACHABLE|ECONNREFUSED|unreachable/i);
    expectClean('replay --loki', { 'stderr (config auth)': a.stderr, 'stdout (config auth)': a.stdout, 'stderr (URL auth)': b.stderr, 'stdout (URL auth)': b.stdout });
  });

  it('tripline digest --post to a dead webhook', async () => {
    const config = write('digest.yaml', blocks().filter((l) => l.startsWith('sinks') || l.startsWith('  slack')));
    const r = await runCli(['digest', '--post', '--config', config, '--state-dir', join(dir, 's-digest')], { env: env() });
    expect(r.code).not.toBe(0);
    expectClean('digest --post (webhook down)', { stdout: r.stdout, stderr: r.stderr });
  });
});
