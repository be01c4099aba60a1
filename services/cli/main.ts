#!/usr/bin/env node
// tripline's entry point: dispatches to the command registry and turns errors into
// exit codes (2 for usage and config errors, 1 for I/O failures).
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { commands } from './commands/index.js';
import { TriplineError } from '../lib/errors.js';
import type { CommandIO } from './command.js';
import { releaseEarlySignals } from './early-signals.js';

const HELP = `tripline: log-streaming security anomaly detector

Usage: tripline <command> [options]

Commands:
${Object.values(commands)
  .map((c) => `  ${c.name.padEnd(10)} ${c.summary}`)
  .join('\n')}

Run 'tripline <command> --help' for a command's options.`;

/** tripline needs node:sqlite and current undici: Node 22.12 or newer (package.json engines). */
function nodeTooOld(version = process.versions.node): boolean {
  const [major, minor] = version.split('.').map(Number) as [number, number];
  return major < 22 || (major === 22 && minor < 12);
}

export async function main(argv: string[], io: CommandIO): Promise<number> {
  if (nodeTooOld()) {
    io.stderr.write(`tripline needs Node.js 22.12 or newer (this is ${process.version}); install Node 24 LTS and run it again\n`);
    return 1;
  }
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${HELP}\n`);
    return name ? 0 : 2;
  }
  if (name === '--version') {
    io.stdout.write('tripline 0.1.0\n');
    return 0;
  }
  const cmd = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!cmd) {
    io.stderr.write(`tripline: unknown command "${name}"\n\n${HELP}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(`${cmd.usage}\n`);
    return 0;
  }
  // Signals held during start-up (bin.ts): `run` takes them over; any other command meets them now.
  if (name !== 'run') releaseEarlySignals();
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof TriplineError) {
      io.stderr.write(`tripline ${name}: ${e.message}\n`);
      return e.exitCode;
    }
    io.stderr.write(`tripline ${name}: unexpected failure: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}

/** Runs tripline on this process's arguments and sets its exit code (bin.ts, or main.js run directly). */
export function runAsEntry(): void {
  const io: CommandIO = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, now: () => Date.now() };
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`tripline: ${String(e)}\n`);
      process.exitCode = 1;
    },
  );
}

// main.js run directly (older scripts, the tests' child processes) works too, without the
// early hold that bin.ts gives; not when imported by tests.
function isEntry(): boolean {
  try {
    return !!process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}
if (isEntry()) runAsEntry();
