// Issue 9, chaos: Slack and Loki (the alert sinks) going away and coming back under a live
// `tripline run` (the built CLI): a local Slack stand-in answering as Slack does (real
// @slack/webhook client) and a Loki push stand-in, both stopped (connections refused) while
// alerts fire, then restarted on the same ports. Every alert must reach both exactly once
// afterwards (Slack: no duplicate post; Loki de-duplicates identical entries itself, the
// count is reported), and the file sink keeps every alert throughout.
//
// The webhook URL and the Loki password come from ${ENV} in the config; everything the run
// printed or exposed (stderr, stdout, /metrics, /readyz, the state directory's text files)
// is searched for them (support/secrets.ts) while the sinks were failing.
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonlIds, startCli, waitFor } from '../helpers/cli-process.js';
import { SlackServer, idsIn } from '../helpers/slack-server.js';
import { LokiPushServer } from './support/loki-push.js';
import { LOKI_USER, SECRET, expectNoSecrets, slackUrl } from './support/secrets.js';
import { sleep } from './support/chaos.js';
import { report } from './support/report.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tripline-chaos-sinks-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const attack = (n: number) => `Jun 10 00:${String(Math.floor(n / 60)).padStart(2, '0')}:${String(n % 60).padStart(2, '0')} pve sshd[${100 + n}]: Accepted password for intruder${n} from 203.0.113.${n} port ${40_000 + n} ssh2`;

describe('Slack and Loki going away and coming back', () => {
  it('alerts fired during the outage reach both once afterwards; nothing printed or exposed holds a secret', async () => {
    const slack = new SlackServer(() => Date.now());
    await slack.start();
    const loki = new LokiPushServer();
    await loki.start();
    const input = join(dir, 'auth.log');
    const file = join(dir, 'alerts.jsonl');
    const config = join(dir, 'config.yaml');
    const stateDir = join(dir, 'state');
    writeFileSync(input, '');
    writeFileSync(
      config,
      [
        'sources:',
        `  - { name: auth, kind: syslog, path: ${JSON.stringify(input)}, startAt: beginning }`,
        'sinks:',
        `  file: { path: ${JSON.stringify(file)} }`,
        '  slack: { webhookUrl: "${SLACK_WEBHOOK_URL}", timeout: 2s }',
        `  loki: { url: ${JSON.stringify(loki.url)}, auth: { username: ${LOKI_USER}, password: "\${LOKI_PASSWORD}" }, timeout: 2s }`,
        'route: { groupWait: 1s }',
        'http: { listen: "127.0.0.1:0" }',
        'health: { wallClock: false }',
      ].join('\n'),
    );
    const env = { SLACK_WEBHOOK_URL: slackUrl(slack.port), LOKI_PASSWORD: SECRET.lokiPassword, TRIPLINE_LOG_LEVEL: 'debug' };
    const p = startCli(['run', '--config', config, '--state-dir', stateDir, '--year', '2026'], { env });
    try {
      await waitFor(() => /"port":(\d+)/.test(p.stderr()), 30_000, 'the HTTP port');
      const base = `http://127.0.0.1:${/"port":(\d+)/.exec(p.stderr())![1]}`;
      const posted = () => slack.received.filter((r) => r.answer !== 'reset' && r.answer.status === 200).flatMap((r) => idsIn(r.body));

      // 1. Both up.
      appendFileSync(input, `${[1, 2, 3, 4, 5].map(attack).join('\n')}\n`);
      await waitFor(() => posted().length >= 5 && loki.ids().length >= 5, 30_000, 'the first 5 alerts in Slack and Loki');

      // 2. Both go away; 10 more alerts fire.
      await slack.stop();
      await loki.stop();
      appendFileSync(input, `${[6, 7, 8, 9, 10, 11, 12, 13, 14, 15].map(attack).join('\n')}\n`);
      await waitFor(() => jsonlIds(file).length >= 15, 30_000, 'the file sink to keep every alert');
      await waitFor(() => /TRIP_SINK_SLACK_NETWORK/.test(p.stderr()) && /TRIP_SINK_LOKI/.test(p.stderr()), 30_000, 'both sinks failing');
      await sleep(3000); // several retries while down
      const duringOutage = {
        stderr: p.stderr(),
        metrics: await (await fetch(`${base}/metrics`)).text(),
        readyz: await (await fetch(`${base}/readyz`)).text(),
      };
      expect(posted()).toHaveLength(5);

      // 3. Both come back on the same ports.
      await slack.start();
      await loki.start();
      await waitFor(() => new Set(posted()).size >= 15 && new Set(loki.ids()).size >= 15, 120_000, 'all 15 alerts in Slack and Loki after the outage');
      await sleep(1500); // a duplicate would land now
      const metrics = await (await fetch(`${base}/metrics`)).text();
      p.child.kill('SIGTERM');
      expect((await p.exited).code, p.stderr()).toBe(0);

      const all = jsonlIds(file);
      expect(all).toHaveLength(15);
      expect(posted().length, 'Slack posts').toBe(15); // exactly once each
      expect([...posted()].sort()).toEqual([...all].sort());
      expect([...new Set(loki.ids())].sort()).toEqual([...all].sort());
      expect([...loki.authorizations]).toEqual([`Basic ${Buffer.from(`${LOKI_USER}:${SECRET.lokiPassword}`).toString('base64')}`]); // the secret WAS used
      expect(metrics).toMatch(/tripline_delivery_failures_total\{sink="slack",code="TRIP_SINK_SLACK_NETWORK"\} [1-9]/);
      const stateTexts = Object.fromEntries(
        readdirSync(stateDir)
          .filter((f) => !f.startsWith('state.db'))
          .map((f) => [`state dir ${f}`, readFileSync(join(stateDir, f), 'utf8')]),
      );
      expectNoSecrets({
        'stderr during the outage': duringOutage.stderr,
        '/metrics during the outage': duringOutage.metrics,
        '/readyz during the outage': duringOutage.readyz,
        stderr: p.stderr(),
        stdout: p.stdout(),
        '/metrics': metrics,
        'state.db': readFileSync(join(stateDir, 'state.db')).toString('latin1'),
        ...stateTexts,
      });
      report('chaos: sinks going away and coming back', {
        slack: { alerts: 15, firedDuringOutage: 10, posts: posted().length, duplicates: posted().length - new Set(posted()).size, lost: 0 },
        loki: { alerts: 15, pushedLines: loki.lines.length, distinct: new Set(loki.ids()).size, lost: 0 },
        secretsInOutput: 0,
      });
    } finally {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      await slack.stop();
      await loki.stop();
    }
  });
});
