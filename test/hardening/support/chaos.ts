// Shared pieces of the chaos tests: a config for `tripline run` over one syslog file with a
// file sink (test/helpers/run-config.ts), the clean replay's alert ids, and a runner that SIGKILLs the CLI at seeded
// random instants.
import { expect } from 'vitest';
import { runCli, startCli, waitFor, type Proc } from '../../helpers/cli-process.js';
export { runConfig, writeRunConfig } from '../../helpers/run-config.js';

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
