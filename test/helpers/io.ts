// In-memory CommandIO for command tests: stdout and stderr collect what a command writes,
// stdin is empty, env is an explicit object and the clock is fixed.
import { Readable, Writable } from 'node:stream';
import type { CommandIO } from '../../services/cli/command.js';

function sink(chunks: string[]): Writable {
  return new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
      done();
    },
  });
}

export function makeIO(env: NodeJS.ProcessEnv = {}): { io: CommandIO; out(): string; err(): string } {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIO = {
    stdout: sink(out),
    stderr: sink(err),
    stdin: Readable.from([]),
    env,
    now: () => 1_700_000_000_000,
  };
  return { io, out: () => out.join(''), err: () => err.join('') };
}
