// Issue 9, chaos: SIGKILL at seeded random instants during `tripline replay`, during
// outbox delivery of `tripline run`, and right after a config reload (SIGHUP). The
// 100,000-line `run` case is test/integration/crash-safety.test.ts; these add the rest.
//
// After the kills, one clean run finishes the work, and the result must equal a clean
// replay's: every alert delivered, none twice (lost 0, duplicates 0), the state never
// damaged (no TRIP_STATE_RECOVERED), and no run ever crashed on its own.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAuthLog, mulberry32 } from '../helpers/gen-auth-log.js';
import { jsonlIds, runCli, startCli, waitFor } from '../helpers/cli-process.js';
import { expectNoCrash, killAfter, replayIds, sleep, writeRunConfig } from './support/chaos.js';
import { report } from './support/report.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tripline-chaos-kill-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const survived: Record<string, unknown> = {};
afterAll(() => report('chaos: SIGKILL runs survived', survived));

/** Finishes with one clean run and checks the file sink against the clean replay. */
async function finishAndCompare(args: string[], sink: string, want: string[], what: string): Promise<{ lost: number; duplicates: number }> {
  const final = startCli(args);
  await waitFor(() => final.stderr().includes('source opened'), 60_000, `the final run to start (${what})`);
  await waitFor(() => jsonlIds(sink).length >= want.length, 180_000, `${want.length} delivered alerts (${what})`);
  await sleep(300); // anything extra (a duplicate) would land now
  final.child.kill('SIGTERM');
  expect((await final.exited).code, final.stderr()).toBe(0);
  expectNoCrash(final.stderr(), `${what}: final run`);
  const got = jsonlIds(sink);
  const lost = want.filter((id) => !got.includes(id)).length;
  const duplicates = got.length - new Set(got).size;
  expect(duplicates, `${what}: duplicates`).toBe(0);
  expect([...new Set(got)].sort(), `${what}: delivered set`).toEqual([...want].sort());
  return { lost, duplicates };
}

describe('SIGKILL during replay', () => {
  it('12 kills of `tripline replay --state-dir`: every later run prints the same alerts, the state holds each once', async () => {
    const log = generateAuthLog(200_000, 150, 11);
    const input = join(dir, 'replay.log');
    writeFileSync(input, `${log.lines.join('\n')}\n`);
    const t0 = Date.now();
    const clean = await runCli(['replay', '--input', `syslog=${input}`, '--year', '2026', '--format', 'jsonl']);
    const cleanMs = Date.now() - t0;
    expect(clean.code).toBe(0);
    const stateDir = join(dir, 'replay-state');
    const args = ['replay', '--input', `syslog=${input}`, '--year', '2026', '--format', 'jsonl', '--state-dir', stateDir];
    const rand = mulberry32(9);
    let killed = 0;
    let attempts = 0;
    // Until 12 kills have landed (a run that finished first does not count), at most 40 tries.
    while (killed < 12 && attempts < 40) {
      // Anywhere from start-up to the end, where the state is written.
      const r = await killAfter(args, 50 + Math.floor(rand() * cleanMs));
      attempts++;
      if (r.died) killed++;
      expectNoCrash(r.stderr, `replay kill ${attempts}`);
    }
    // Re-runnable: two complete runs after the kills print exactly the clean output.
    for (let i = 0; i < 2; i++) {
      const r = await runCli(args);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout, `complete run ${i}`).toBe(clean.stdout);
      expectNoCrash(r.stderr, `complete replay ${i}`);
    }
    const db = new DatabaseSync(join(stateDir, 'state.db'), { readOnly: true });
    const rows = db.prepare('SELECT id FROM outbox').all() as Array<{ id: string }>;
    const check = (db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check;
    db.close();
    const want = clean.stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { id: string }).id);
    expect(check).toBe('ok');
    expect(rows.map((r) => r.id).sort()).toEqual([...want].sort());
    survived['replay'] = { kills: killed, attempts, cleanRunMs: cleanMs, alerts: want.length, lost: 0, duplicates: 0, outputIdentical: true };
    expect(killed).toBe(12);
  });
});

describe('SIGKILL during outbox delivery', () => {
  it('15 kills while 1,500 alerts flow to the file sink: no alert lost, none written twice', async () => {
    // Alert-heavy input: delivery (the outbox → file sink) is most of the work.
    const log = generateAuthLog(30_000, 1_500, 12);
    const input = join(dir, 'delivery.log');
    writeFileSync(input, `${log.lines.join('\n')}\n`);
    const sink = join(dir, 'delivery.jsonl');
    const config = join(dir, 'delivery.yaml');
    writeRunConfig(config, { input, sink });
    const want = await replayIds(input);
    expect(want).toHaveLength(1_500);
    const args = ['run', '--config', config, '--state-dir', join(dir, 'delivery-state'), '--year', '2026'];
    const rand = mulberry32(13);
    const deliveredAtKill: number[] = [];
    let killed = 0;
    for (let i = 0; i < 15; i++) {
      const r = await killAfter(args, 150 + Math.floor(rand() * 900));
      if (r.died) killed++;
      expectNoCrash(r.stderr, `delivery kill ${i}`);
      const ids = jsonlIds(sink);
      deliveredAtKill.push(ids.length);
      expect(ids.length - new Set(ids).size, `duplicates after kill ${i}`).toBe(0);
    }
    // Several kills landed mid-delivery (some but not all alerts written).
    const midDelivery = deliveredAtKill.filter((n) => n > 0 && n < want.length).length;
    const res = await finishAndCompare(args, sink, want, 'delivery');
    survived['delivery (file sink)'] = { kills: killed, midDelivery, deliveredAtEachKill: deliveredAtKill, alerts: want.length, ...res };
    expect(midDelivery).toBeGreaterThanOrEqual(3);
  });
});

describe('SIGKILL right after a config reload', () => {
  it('12 runs: SIGHUP with a new config (valid, or invalid), then SIGKILL at once or shortly after: nothing lost or doubled, state intact', async () => {
    const log = generateAuthLog(40_000, 400, 14);
    const input = join(dir, 'reload.log');
    writeFileSync(input, `${log.lines.join('\n')}\n`);
    const sink = join(dir, 'reload.jsonl');
    const config = join(dir, 'reload.yaml');
    // Each variant changes settings that do not change which alerts this input raises.
    const variants: Array<string[] | 'invalid'> = [
      ['route: { repeatInterval: 5h }'],
      ['rules: { K5: { enabled: false } }'],
      'invalid',
      ['engine: { checkpointInterval: 100ms, allowedLateness: 45s }', 'health: { wallClock: false, maxSilence: { auth: 2h } }'],
      ['networks: { lab: [192.0.2.0/24] }'],
    ];
    writeRunConfig(config, { input, sink });
    const want = await replayIds(input);
    const args = ['run', '--config', config, '--state-dir', join(dir, 'reload-state'), '--year', '2026'];
    const rand = mulberry32(15);
    let killed = 0;
    let reloadsSeen = 0;
    for (let i = 0; i < 12; i++) {
      const variant = variants[i % variants.length]!;
      // From the moment the run command is past module loading (the state is being opened:
      // its first log line) to well after start-up (signals during module loading itself:
      // test/integration/run-cli.test.ts).
      const r = await killAfter(args, Math.floor(rand() * 600), {
        after: /engine state restored|source opened|state was damaged|"level"/,
        beforeKill: async (p) => {
          if (variant === 'invalid') writeFileSync(config, 'engine: { maxKeys: -1 }\nsinks: nope\n');
          else writeRunConfig(config, { input, sink, extra: variant });
          p.child.kill('SIGHUP');
          await sleep(Math.floor(rand() * 250)); // 0-250 ms: during or after the swap
        },
      });
      if (r.died) killed++;
      else expect.fail(`reload run ${i} ended by itself: exit ${r.code}, signal ${r.signal}\n${r.stderr.slice(-600)}`);
      if (/config reloaded|reload refused/.test(r.stderr)) reloadsSeen++;
      expectNoCrash(r.stderr, `reload kill ${i}`);
      writeRunConfig(config, { input, sink }); // the next run starts from a valid config
    }
    const res = await finishAndCompare(args, sink, want, 'reload');
    survived['config reload (SIGHUP then SIGKILL)'] = { kills: killed, reloadsCompletedBeforeKill: reloadsSeen, alerts: want.length, ...res };
    expect(killed).toBe(12); // a SIGHUP during start-up used to kill the process (default action)
    expect(reloadsSeen).toBeGreaterThanOrEqual(3);
    expect(readFileSync(sink, 'utf8').endsWith('\n')).toBe(true);
  });
});
