// Issue 4 acceptance: `tripline run` as a child process over 100,000 lines holding 200
// attacks, SIGKILLed at 20 random instants and restarted each time; the delivered
// alerts must equal those of a clean replay: same ids, none missing, none twice.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAuthLog, mulberry32 } from '../helpers/gen-auth-log.js';
import { jsonlIds, runCli, startCli, waitFor } from '../helpers/cli-process.js';
import { writeRunConfig } from '../helpers/run-config.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tripline-crash-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('crash safety of tripline run', () => {
  it('20 SIGKILLs during 100,000 lines: delivered alerts equal the clean replay, each exactly once', async () => {
    const log = generateAuthLog(100_000, 200, 42);
    const input = join(dir, 'auth.log');
    writeFileSync(input, `${log.lines.join('\n')}\n`);
    const sink = join(dir, 'delivered.jsonl');
    const config = join(dir, 'config.yaml');
    writeRunConfig(config, { input, sink });
    const args = ['run', '--config', config, '--state-dir', join(dir, 'state'), '--year', '2026'];
    const rand = mulberry32(2026);
    const killedAt: number[] = [];
    for (let i = 0; i < 20; i++) {
      const p = startCli(args);
      // Random instants from just after start-up to well into the processing.
      const delay = 150 + Math.floor(rand() * 600);
      await new Promise((r) => setTimeout(r, delay));
      p.child.kill('SIGKILL');
      const { signal } = await p.exited;
      expect(signal).toBe('SIGKILL');
      killedAt.push(jsonlIds(sink).length);
    }
    // The kills landed at different stages, several of them mid-stream.
    console.log(`delivered after each kill: ${killedAt.join(',')}`);
    expect(killedAt.filter((n) => n > 0 && n < 200).length).toBeGreaterThanOrEqual(3);

    const final = startCli(args);
    // Wait until the source is open (the kills above may have delivered all): this test is
    // about the stop of a running tripline (run-cli.test.ts covers signals during start-up).
    await waitFor(() => final.stderr().includes('source opened'), 60_000, 'the final run to open its source');
    await waitFor(() => jsonlIds(sink).length >= log.attacks, 120_000, `${log.attacks} delivered alerts`);
    const stopStart = Date.now();
    final.child.kill('SIGTERM');
    const { code } = await final.exited;
    expect(code).toBe(0);
    expect(Date.now() - stopStart).toBeLessThan(5000);

    const replay = await runCli(['replay', '--input', `syslog=${input}`, '--year', '2026', '--format', 'jsonl']);
    expect(replay.code).toBe(0);
    const want = replay.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { id: string }).id);
    const got = jsonlIds(sink);
    expect(want).toHaveLength(200);
    expect(new Set(got).size).toBe(got.length);
    expect([...got].sort()).toEqual([...want].sort());
  });
});
