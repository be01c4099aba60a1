// Shared pieces of the chaos tests: a config for `tripline run` over one syslog file with a
// file sink, the clean replay's alert ids, and a runner that SIGKILLs the CLI at seeded
// random instants.
import { writeFileSync } from 'node:fs';
import { expect } from 'vitest';
import { runCli, startCli, waitFor, type Proc } from '../../helpers/cli-process.js';

export function runConfig(o: { input: string; sink: string; extra?: string[] }): string {
  return [
    'sources:',
    `  - { name: auth, kind: syslog, path: ${JSON.stringify(o.input)}, startAt: beginning }`,
    `sinks: { file: { path: ${JSON.stringify(o.sink)} } }`,
    'http: { listen: false }',
    'engine: { checkpointInterval: 100ms }',
    // The input is from June: wall-clock silence would differ from the replay by design.
    'health: { wallClock: false }',
    ...(o.extra ?? []),
  ].join('\n');
}

export function writeRunConfig(path: string, o: { input: string; sink: string; extra?: string[] }): void {
  writeFileSync(path, `${runConfig(o)}\n`);
}

/** Alert ids of a clean `tripline replay` of `input` (the reference every chaos run must match). */
export async function replayIds(input: string, kind = 'syslog'): Promise<string[]> {
  const r = await runCli(['replay', '--input', `${kind}=${input}`, '--year', '2026', '--format', 'jsonl']);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { id: string }).id);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the CLI, waits `delayMs`, SIGKILLs it; returns its output so far. */
export async function killAfter(args: string[], delayMs: number, opts: { env?: NodeJS.ProcessEnv; beforeKill?: (p: Proc) => Promise<void>; after?: RegExp } = {}): Promise<{ stderr: string; stdout: string; died: boolean; signal: NodeJS.Signals | null; code: number | null }> {
  const p = startCli(args, { env: opts.env });
  // `after`: count the delay from the first stderr line matching it (a stage of start-up).
  if (opts.after) await waitFor(() => opts.after!.test(p.stderr()) || p.child.exitCode !== null, 60_000, `${opts.after} in the output`);
  const exitedEarly = await Promise.race([p.exited.then(() => true), sleep(delayMs).then(() => false)]);
  if (!exitedEarly) {
    await opts.beforeKill?.(p);
    p.child.kill('SIGKILL');
  }
  const { signal, code } = await p.exited;
  return { stderr: p.stderr(), stdout: p.stdout(), died: signal === 'SIGKILL', signal, code };
}

/** What no run may ever print: a crash, an unhandled rejection, a stack. */
export function expectNoCrash(stderr: string, what: string): void {
  expect(stderr, what).not.toMatch(/unexpected failure|UnhandledPromiseRejection|Unhandled 'error' event|\n\s+at .+\(.+:\d+:\d+\)|RangeError|TypeError|TRIP_STATE_RECOVERED/);
}
