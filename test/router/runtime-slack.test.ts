// `tripline run` wiring (issue 5): the live runtime with the Slack sink from config (real
// client, local server), a file sink, the router, the health recorder and the digest
// scheduler, on an injected clock, fed the scenario's Kubernetes audit log.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Config } from '../../schemas/config.js';
import { LiveRuntime } from '../../services/cli/run/runtime.js';
import { buildSinks } from '../../services/cli/run/build-sinks.js';
import { silentLog } from '../../services/lib/log.js';
import { FakeCollector } from '../helpers/fake-collector.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { makeIO } from '../helpers/io.js';
import { REPO_ROOT } from '../helpers/alerts.js';
import { SlackServer, idsIn } from '../helpers/slack-server.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

describe('tripline run with Slack', () => {
  it('posts each fingerprint once (grouped per rule), keeps every alert in the file, and posts the 09:00 digest with source health', async () => {
    const clock = new FakeClock(Date.parse('2026-06-10T08:58:00Z'));
    const server = new SlackServer(clock.now);
    await server.start();
    cleanup.push(() => server.stop());
    const dir = mkdtempSync(join(tmpdir(), 'tripline-run-slack-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'alerts.jsonl');
    const config = Config.parse({ sinks: { slack: { webhookUrl: server.url }, file: { path: file } } });
    const { io } = makeIO();
    const lines = readFileSync(join(REPO_ROOT, 'test/fixtures/scenario/k8s-audit.log'), 'utf8').split('\n').filter(Boolean);
    const collector = new FakeCollector('k8s', 'k8s-audit', lines);
    const runtime = new LiveRuntime({
      config,
      sources: [{ name: 'k8s', kind: 'k8s-audit', path: 'k8s', startAt: 'beginning' }],
      makeCollector: () => collector,
      sinks: buildSinks(config, { ...io, now: clock.now }),
      stateDir: dir,
      httpListen: false,
      log: silentLog,
      now: clock.now,
      setTimer: clock.setTimer,
    });
    await runtime.start();
    let stopped = false;
    cleanup.push(async () => {
      if (!stopped) await runtime.stop();
    });
    // The runtime's router stack (private): waiting for its rounds is what settles real HTTP.
    const stack = (runtime as unknown as { deliverer: { idle(): Promise<void> } }).deliverer;
    const settle = async () => {
      await stack.idle();
      await new Promise<void>((r) => setImmediate(r));
      await stack.idle();
    };
    while (collector.remaining > 0) {
      await collector.feed(50);
      await clock.advance(200, settle);
    }
    await clock.advance(60_000, settle); // group waits end; 1 message a second
    const alerts = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: string; rule: string; key: string });
    const messages = server.received.filter((r) => !JSON.stringify(r.body).includes('daily digest'));
    const posted = messages.flatMap((m) => idsIn(m.body));
    // Each fingerprint (rule + key) posted once: its first alert; repeats only counted.
    const firstOfFp = new Map<string, string>();
    for (const a of alerts) if (!firstOfFp.has(`${a.rule} ${a.key}`)) firstOfFp.set(`${a.rule} ${a.key}`, a.id);
    expect(new Set(posted).size).toBe(posted.length);
    expect([...posted].sort()).toEqual([...firstOfFp.values()].sort());
    // One message per rule (they arrived within 30 s of each other in this fast feed).
    expect(messages.length).toBe(new Set(alerts.map((a) => a.rule)).size);
    for (let i = 1; i < server.received.length; i++) expect(server.received[i]!.atMs - server.received[i - 1]!.atMs).toBeGreaterThanOrEqual(1000);

    await clock.advance(2 * 60_000, settle); // past 09:00 UTC
    const digests = server.received.filter((r) => JSON.stringify(r.body).includes('daily digest'));
    expect(digests.length).toBe(1);
    const text = JSON.stringify(digests[0]!.body);
    expect(text).toMatch(/`k8s` \(k8s-audit\): 832 events, 0 parse errors, last event 2026-06-10 0[12]:\d\d UTC/);
    expect(text).toContain(`${alerts.length} alerts`);
    await runtime.stop();
    stopped = true;
  });
});
