// Issue 9, chaos: the wall clock jumps (an NTP step, a VM restored from a snapshot, a
// mis-set clock corrected) while `tripline run` delivers to Slack and a file.
//
// The injected clock here behaves as a real host does: timers run on MONOTONIC time (as
// setTimeout does) while `now()` (the wall clock the runtime reads) jumps backwards and
// forwards by hours and days. Across jumps back 2 h and 1 day, forward 3 days, a 429 with
// Retry-After straddling a jump and the 09:00 digest slot passing several times: no crash,
// every alert posted exactly once and written once, each digest slot posted at most once,
// and delivery never stalls for the length of a jump.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../schemas/config.js';
import { LiveRuntime } from '../../services/cli/run/runtime.js';
import { buildSinks } from '../../services/cli/run/build-sinks.js';
import { silentLog } from '../../services/lib/log.js';
import { FakeCollector } from '../helpers/fake-collector.js';
import { makeIO } from '../helpers/io.js';
import { jsonlIds } from '../helpers/cli-process.js';
import { SlackServer, idsIn, rateLimited } from '../helpers/slack-server.js';
import { report } from './support/report.js';

/** Wall time = monotonic time + offset; timers fire on monotonic time only. */
class JumpClock {
  mono = 0;
  offset: number;
  private seq = 0;
  private timers: Array<{ at: number; seq: number; fn: () => void; live: boolean }> = [];

  constructor(wallStart: number) {
    this.offset = wallStart;
  }

  now = (): number => this.mono + this.offset;

  setTimer = (fn: () => void, ms: number): { cancel(): void } => {
    const t = { at: this.mono + Math.max(0, ms), seq: this.seq++, fn, live: true };
    this.timers.push(t);
    return { cancel: () => void (t.live = false) };
  };

  jump(deltaMs: number): void {
    this.offset += deltaMs;
  }

  async advance(ms: number, settle: () => Promise<void>): Promise<void> {
    const target = this.mono + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.live && t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      due.live = false;
      this.mono = Math.max(this.mono, due.at);
      due.fn();
      await settle();
    }
    this.timers = this.timers.filter((t) => t.live);
    this.mono = target;
    await settle();
  }
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tripline-clock-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const attack = (n: number) => `2026-06-10T08:${String(10 + Math.floor(n / 60)).padStart(2, '0')}:${String(n % 60).padStart(2, '0')}Z pve sshd[${100 + n}]: Accepted password for intruder${n} from 203.0.113.${n} port ${40_000 + n} ssh2`;

describe('wall-clock jumps during delivery', () => {
  it('back 2 h, a 429 across a jump back 1 h, forward 3 days, back 1 day: each alert posted once, no stall, each digest slot once', async () => {
    const clock = new JumpClock(Date.parse('2026-06-10T08:58:00Z'));
    const server = new SlackServer(clock.now);
    await server.start();
    const file = join(dir, 'alerts.jsonl');
    const config = Config.parse({ sinks: { slack: { webhookUrl: server.url }, file: { path: file } }, route: { groupWait: '5s' }, health: { wallClock: false } });
    const { io } = makeIO();
    const lines = Array.from({ length: 50 }, (_, i) => attack(i + 1));
    const collector = new FakeCollector('auth', 'syslog', lines);
    const runtime = new LiveRuntime({
      config,
      sources: [{ name: 'auth', kind: 'syslog', path: 'auth', startAt: 'beginning' }],
      makeCollector: () => collector,
      sinks: buildSinks(config, { ...io, now: clock.now }),
      stateDir: join(dir, 'state'),
      httpListen: false,
      log: silentLog,
      now: clock.now,
      setTimer: clock.setTimer,
      year: 2026,
    });
    await runtime.start();
    const stack = (runtime as unknown as { deliverer: { idle(): Promise<void> } }).deliverer;
    const settle = async () => {
      await stack.idle();
      await new Promise<void>((r) => setImmediate(r));
      await stack.idle();
    };
    const postedCount = () => server.received.filter((r) => r.answer !== 'reset' && r.answer.status === 200).flatMap((r) => idsIn(r.body)).length;
    const phases: Array<{ phase: string; posted: number; written: number }> = [];
    const note = (phase: string) => phases.push({ phase, posted: postedCount(), written: jsonlIds(file).length });

    await collector.feed(10);
    await clock.advance(20_000, settle);
    note('10 alerts, no jump');

    clock.jump(-2 * 3_600_000);
    await collector.feed(10);
    await clock.advance(30_000, settle); // a real host's timers keep running: 30 s later all 20 must be out
    note('wall clock back 2 h');

    let first429 = true;
    server.answer = () => {
      if (first429) {
        first429 = false;
        return rateLimited(30);
      }
      return { status: 200, body: 'ok' };
    };
    await collector.feed(10);
    await clock.advance(6_000, settle); // the 429 arrives: blocked for 30 s
    clock.jump(-3_600_000);
    await clock.advance(60_000, settle); // 30 s of Retry-After are over, whatever the wall clock says
    note('429 Retry-After 30 s, then back 1 h');

    clock.jump(3 * 24 * 3_600_000);
    await collector.feed(10);
    await clock.advance(30_000, settle);
    note('forward 3 days');

    clock.jump(-24 * 3_600_000);
    await collector.feed(10);
    await clock.advance(60_000, settle);
    note('back 1 day');
    await clock.advance(10 * 60_000, settle);
    note('10 minutes later');

    const messages = server.received.filter((r) => r.answer !== 'reset' && r.answer.status === 200);
    const digests = messages.filter((r) => JSON.stringify(r.body).includes('tripline daily digest'));
    const posted = messages.flatMap((r) => idsIn(r.body));
    const written = jsonlIds(file);
    const slots = digests.map((d) => /24 h from ([^·]+) to ([^·"]+)/.exec(JSON.stringify(d.body))?.slice(1).join(' → '));
    report('chaos: clock jumps', { phases, slackMessages: messages.length, digests: slots, posted: posted.length, written: written.length, duplicates: posted.length - new Set(posted).size });

    expect(written).toHaveLength(50);
    expect(new Set(written).size).toBe(50);
    expect(posted.length - new Set(posted).size).toBe(0); // no alert posted twice
    expect([...new Set(posted)].sort()).toEqual([...written].sort()); // every alert posted (distinct fingerprints)
    expect(new Set(slots).size).toBe(slots.length); // no digest slot twice
    // No stall as long as the jump: each phase delivered what it was given.
    expect(phases.map((p) => p.posted)).toEqual([10, 20, 30, 40, 50, 50]);
    await runtime.stop();
    await server.stop();
  });
});
