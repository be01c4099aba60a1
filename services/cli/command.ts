// The command contract: each `tripline <name>` is one module in commands/, listed once
// in commands/index.ts (architecture convention 7). A command returns its exit code:
// 0 success, 1 I/O failure, 2 usage or config error.
import type { Writable } from 'node:stream';

export interface CommandIO {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  /** Injected wall clock (ms): progress reporting only, never event time. */
  now(): number;
}

export interface Command {
  name: string;
  summary: string;
  /** Full --help text. */
  usage: string;
  run(argv: string[], io: CommandIO): Promise<number>;
}
