// tripline run as a real process: operations endpoint, SIGHUP reload (valid and
// invalid), the embedded-defaults message, and --demo.
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, jsonlIds, runCli, startCli, waitFor } from '../helpers/cli-process.js';
import { writeRunConfig } from '../helpers/run-config.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tripline-runcli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const attack = (n: number) => `Jun 10 00:00:${String(n).padStart(2, '0')} pve sshd[${100 + n}]: Accepted password for mallory${n} from 198.51.100.${n} port 4${n}000 ssh2`;

function writeConfig(path: string, input: string, sink: string, extra?: string): void {
  writeRunConfig(path, { input, sink, http: '"127.0.0.1:0"', checkpoint: null, extra: extra === undefined ? [] : [extra] });
}

describe('tripline run (process)', () => {
  it('serves /metrics, /healthz and /readyz, and reloads on SIGHUP (an invalid config keeps the old one)', async () => {
    const input = join(dir, 'auth.log');
    const sink = join(dir, 'alerts.jsonl');
    const config = join(dir, 'config.yaml');
    writeFileSync(input, '');
    writeConfig(config, input, sink);
    const p = startCli(['run', '--config', config, '--state-dir', join(dir, 'state'), '--year', '2026']);
    await waitFor(() => /"port":(\d+)/.test(p.stderr()), 15_000, 'the HTTP port in the log');
    const port = Number(/"port":(\d+)/.exec(p.stderr())![1]);
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    await waitFor(() => true, 0, 'nothing');
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { detail: { sources: Record<string, unknown> } }).detail.sources).toHaveProperty('auth');

    appendFileSync(input, `${attack(1)}\n`);
    await waitFor(() => jsonlIds(sink).length === 1, 15_000, 'the first alert');
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/tripline_alerts_total\{rule="S1",severity="critical"\} 1/);
    expect(metrics).toMatch(/tripline_events_parsed_total\{source="auth"\} 1/);

    // An invalid config on SIGHUP is refused and logged; the old config keeps running.
    writeFileSync(config, 'networks: { trusted: [not-a-cidr] }\n');
    p.child.kill('SIGHUP');
    await waitFor(() => p.stderr().includes('reload refused'), 15_000, 'the refused reload');
    appendFileSync(input, `${attack(2)}\n`);
    await waitFor(() => jsonlIds(sink).length === 2, 15_000, 'the second alert, under the old config');

    // A valid config that trusts 198.51.100.0/24 applies from the next line on.
    writeConfig(config, input, sink, 'networks: { trusted: [198.51.100.0/24] }');
    p.child.kill('SIGHUP');
    await waitFor(() => p.stderr().includes('config reloaded'), 15_000, 'the reload');
    appendFileSync(input, `${attack(3)}\n${attack(4).replace('198.51.100.4', '203.0.113.4')}\n`);
    await waitFor(() => jsonlIds(sink).length === 3, 15_000, 'the alert from an address still outside');
    const ids = jsonlIds(sink);
    expect(ids).toHaveLength(3);

    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
  });

  it('a SIGTERM or SIGHUP while modules still load is acted on, not fatal (the bin entry holds them)', async () => {
    // The signal is sent as soon as the process catches SIGHUP (SigCgt in /proc): Node
    // catches SIGINT and SIGTERM itself from the start (to restore the terminal), SIGHUP
    // only once something listens, which the bin entry arranges on its first line, long
    // before the commands have loaded.
    const caught = (pid: number, signal: number): boolean => {
      try {
        const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^SigCgt:\s*([0-9a-f]+)$/m);
        return line !== null && (BigInt(`0x${line[1]}`) & (1n << BigInt(signal - 1))) !== 0n;
      } catch {
        return false;
      }
    };
    const input = join(dir, 'early.log');
    const sink = join(dir, 'early.jsonl');
    const config = join(dir, 'early.yaml');
    writeFileSync(input, '');
    writeConfig(config, input, sink);
    for (const signal of ['SIGHUP', 'SIGTERM'] as const) {
      const p = startCli(['run', '--config', config, '--state-dir', join(dir, `early-${signal}`), '--http', 'off']);
      await waitFor(() => caught(p.child.pid!, 1), 15_000, 'SIGHUP caught');
      const loading = !p.stderr().includes('tripline run started') && !p.stderr().includes('"msg"');
      p.child.kill(signal);
      if (signal === 'SIGHUP') {
        // A reload during start-up is applied once running; the process keeps going.
        await waitFor(() => p.stderr().includes('config reloaded'), 15_000, 'the held reload');
        p.child.kill('SIGTERM');
      }
      const exit = await p.exited;
      expect({ signal, code: exit.code, killedBy: exit.signal, loading }).toEqual({ signal, code: 0, killedBy: null, loading: true });
      expect(p.stderr()).toContain('stopping: saving state');
    }
  });

  it('the package executable runs on its own, as `npx tripline` runs it (built executable, shebang)', () => {
    expect(statSync(CLI).mode & 0o111).not.toBe(0);
    const out = execFileSync(CLI, ['--version'], { encoding: 'utf8' });
    expect(out.trim()).toBe('tripline 0.1.0');
  });

  it('without a config, says which standard sources it found and skipped', async () => {
    const p = startCli(['run', '--state-dir', join(dir, 'state-defaults'), '--http', 'off'], { cwd: dir, env: { PATH: '/nonexistent' } });
    await waitFor(() => p.stderr().includes('skipped'), 15_000, 'the sources message');
    p.child.kill('SIGTERM');
    await p.exited;
    expect(p.stderr()).toMatch(/skipped sshd-journal +journalctl is not on PATH/);
  });

  it('--demo streams the bundled scenario and prints real alerts', async () => {
    const r = await runCli(['run', '--demo', '--speed', '20000']);
    expect(r.code, r.stderr).toBe(0);
    const rules = new Set(
      r.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { rule: string }).rule),
    );
    for (const id of ['K2', 'V1', 'S1', 'S2', 'N2', 'G1', 'I1']) expect(rules.has(id), id).toBe(true);
    expect(r.stderr).toMatch(/demo done: \d+ alerts raised/);
  });

  it('rejects a bad config with exit 2 and the path of every problem', async () => {
    const config = join(dir, 'bad.yaml');
    writeFileSync(config, 'sources:\n  - { name: x, kind: nope, path: /tmp/x }\nengine: { maxKeys: -1 }\n');
    const r = await runCli(['run', '--config', config, '--state-dir', join(dir, 's3')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/sources\[0\]\.kind: expected one of/);
    expect(r.stderr).toMatch(/engine\.maxKeys/);
  });
});
