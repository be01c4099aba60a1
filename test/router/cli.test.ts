// The router's commands (issue 5): `tripline silence add|list|expire`, `tripline digest`
// (printed, as Slack JSON, and posted through the real client) over replayed state from
// `tripline replay --state-dir`, and the Slack config errors of `tripline run`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../services/cli/main.js';
import { loadSilences } from '../../services/router/silence-file.js';
import { makeIO } from '../helpers/io.js';
import { REPO_ROOT } from '../helpers/alerts.js';
import { SlackServer, rateLimited } from '../helpers/slack-server.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'tripline-cli-'));
  cleanup.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

describe('tripline silence', () => {
  it('add, list, expire; list --all keeps the history', async () => {
    const dir = tmp();
    const t = makeIO();
    expect(await main(['silence', 'add', '--rule', 'K4', '--match', 'actor=kubernetes-admin', '--for', '7d', '--reason', 'cluster upgrade', '--state-dir', dir], t.io)).toBe(0);
    const [s] = loadSilences(dir);
    expect(s).toMatchObject({ rule: 'K4', matchers: [{ field: 'actor', value: 'kubernetes-admin' }], reason: 'cluster upgrade', createdAt: '2023-11-14T22:13:20.000Z', endsAt: '2023-11-21T22:13:20.000Z', expiredAt: null });
    expect(t.out()).toBe(`${s!.id}  K4 actor=kubernetes-admin  until 2023-11-21T22:13:20.000Z  (cluster upgrade)\n`);

    const l = makeIO();
    expect(await main(['silence', 'list', '--state-dir', dir], l.io)).toBe(0);
    expect(l.out()).toMatch(new RegExp(`^${s!.id}  active   K4 actor=kubernetes-admin  until 2023-11-21T22:13:20.000Z  by .*: cluster upgrade\\n$`));

    const e = makeIO();
    expect(await main(['silence', 'expire', s!.id, '--state-dir', dir], e.io)).toBe(0);
    expect(e.out()).toBe(`${s!.id} expired at 2023-11-14T22:13:20.000Z\n`);
    const l2 = makeIO();
    await main(['silence', 'list', '--state-dir', dir], l2.io);
    expect(l2.out()).toBe('no active silences (--all lists expired ones too)\n');
    const l3 = makeIO();
    await main(['silence', 'list', '--all', '--state-dir', dir], l3.io);
    expect(l3.out()).toContain(`${s!.id}  expired  K4 actor=kubernetes-admin`);
  });

  it('bad input is a usage error (exit 2) that says what to fix', async () => {
    const dir = tmp();
    const cases: Array<[string[], string]> = [
      [['silence', 'add', '--rule', 'K99', '--for', '1h', '--reason', 'x'], '--rule takes a rule id'],
      [['silence', 'add', '--rule', 'K4', '--match', 'user=x', '--for', '1h', '--reason', 'x'], '--match takes FIELD=VALUE with FIELD one of actor, address, target, host, key, source'],
      [['silence', 'add', '--rule', 'K4', '--for', 'soon', '--reason', 'x'], '--for takes a duration'],
      [['silence', 'add', '--rule', 'K4', '--for', '1h'], '--reason is required'],
      [['silence', 'add', '--rule', '*', '--for', '1h', '--reason', 'x'], 'needs at least one --match'],
      [['silence', 'expire', 's-deadbeef'], 'no silence with id "s-deadbeef"'],
      [['silence', 'mute'], 'silence takes add, list or expire'],
    ];
    for (const [argv, msg] of cases) {
      const t = makeIO();
      expect(await main([...argv, '--state-dir', dir], t.io), argv.join(' ')).toBe(2);
      expect(t.err()).toContain(msg);
    }
  });

  it('a damaged silences file is reported with its path, not ignored', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'silences.json'), '{"version":1,"silences":[{"id":"nope"}]}');
    const t = makeIO();
    expect(await main(['silence', 'list', '--state-dir', dir], t.io)).toBe(1);
    expect(t.err()).toContain(join(dir, 'silences.json'));
  });
});

describe('tripline digest over replayed state', () => {
  const INPUTS = ['k8s-audit=k8s-audit.log', 'vault-audit=vault-audit.log', 'syslog=auth.log', 'snort=snort-fast.log', 'swarm=swarm.log'].flatMap((s) => ['--input', s.replace('=', `=${join(REPO_ROOT, 'test/fixtures/scenario')}/`)]);

  async function replayInto(dir: string): Promise<void> {
    const t = makeIO();
    const code = await main(['replay', ...INPUTS, '--year', '2026', '--format', 'jsonl', '--state-dir', dir], t.io);
    expect(code, t.err()).toBe(0);
    expect(t.err()).toMatch(/replay state: \d+ new alert\(s\) kept in/);
  }

  it('replay --state-dir, then digest --until latest prints counts, repeats, Snort, drones, reboots and input health', async () => {
    const dir = tmp();
    await replayInto(dir);
    const t = makeIO();
    expect(await main(['digest', '--state-dir', dir, '--until', 'latest'], t.io)).toBe(0);
    const out = t.out();
    expect(out).toMatch(/^tripline daily digest · 2026-06-10\n24 h from 2026-06-09 0\d:\d\d UTC to 2026-06-10 0\d:\d\d UTC · \d+ alerts: /);
    expect(out).toContain('  - K2 critical · ServiceAccount token used outside the cluster ×2: posted 1, repeats 1, silenced 0');
    expect(out).toContain('  - K2 system:serviceaccount:ci:deployer 198.51.100.23 fired 1 more time since Jun 10 00:12 UTC');
    expect(out).toMatch(/by priority: 1 ×2, 2 ×\d+, 3 ×\d+/);
    expect(out).toContain('  - drone-io from 10.42.0.32, 16 cores');
    expect(out).toContain('  - swarm-gw: 3 unplanned boots');
    expect(out).toMatch(/k8s-audit\.log \(k8s-audit\): [\d,]+ events, 0 parse errors, last event 2026-06-10 0\d:\d\d UTC/);
    // Replaying the same logs again adds nothing.
    await replayInto(dir);
    const again = makeIO();
    await main(['digest', '--state-dir', dir, '--until', 'latest'], again.io);
    expect(again.out()).toBe(out);
  });

  it('--format slack prints the Block Kit that --post sends; --post uses the real client and reports 429', async () => {
    const dir = tmp();
    await replayInto(dir);
    const j = makeIO();
    expect(await main(['digest', '--state-dir', dir, '--until', 'latest', '--format', 'slack'], j.io)).toBe(0);
    const payload = JSON.parse(j.out()) as { blocks: unknown[]; text: string };
    expect(payload.blocks.length).toBeLessThanOrEqual(50);
    const server = new SlackServer(() => 0);
    await server.start();
    cleanup.push(() => server.stop());
    const env = { SLACK_WEBHOOK_URL: server.url };
    const config = join(dir, 'config.yaml');
    writeFileSync(config, 'sinks:\n  slack: {}\n');
    const p = makeIO(env);
    expect(await main(['digest', '--state-dir', dir, '--until', 'latest', '--post', '--config', config], p.io)).toBe(0);
    expect(server.received.map((r) => r.body)).toEqual([payload]);
    server.answer = () => rateLimited(3);
    const q = makeIO(env);
    expect(await main(['digest', '--state-dir', dir, '--until', 'latest', '--post', '--config', config], q.io)).toBe(1);
    expect(q.err()).toContain('TRIP_SINK_SLACK_429: Slack rate limit (429 rate_limited); Slack asks to wait 3 s');
    expect(q.err()).not.toContain(server.url);
  });

  it('no state, bad options and a missing webhook URL are clear errors', async () => {
    const dir = tmp();
    const a = makeIO();
    expect(await main(['digest', '--state-dir', join(dir, 'none')], a.io)).toBe(1);
    expect(a.err()).toContain('no tripline state at');
    const b = makeIO();
    expect(await main(['digest', '--since', 'yesterday'], b.io)).toBe(2);
    expect(b.err()).toContain('--since takes a duration');
    const config = join(dir, 'config.yaml');
    writeFileSync(config, 'sinks:\n  slack: {}\n');
    const c = makeIO();
    expect(await main(['digest', '--post', '--config', config, '--state-dir', dir], c.io)).toBe(2);
    expect(c.err()).toContain('sinks.slack.webhookUrl: no Slack webhook URL: set sinks.slack.webhookUrl');
  });
});
