// `tripline parse`: prints normalized events for the given inputs, one SecurityEvent
// per line (jsonl) or a readable table. Bad lines are counted by error code, written
// to the dead-letter file with source and position, and summarized on stderr; the run
// never stops on a bad line.
import { createWriteStream } from 'node:fs';
import type { InputKind, SecurityEvent } from '../../../schemas/event.js';
import { UsageError } from '../../lib/errors.js';
import { checkInput, openInput, readInput, type InputSpec } from '../../collectors/file-input.js';
import { INPUT_KINDS } from '../../parsers/index.js';
import { parseCommandArgs, splitKindPath } from '../args.js';
import type { Command } from '../command.js';
import { LineWriter, Progress, terminalSafe } from '../output.js';
import { inputOptions, readOptionsFrom } from './input-options.js';

const USAGE = `Usage: tripline parse --input KIND=PATH [--input KIND=PATH ...] [options]

Reads log files and prints one normalized SecurityEvent per line.

  --input KIND=PATH     an input; KIND is one of ${INPUT_KINDS.join(', ')};
                        PATH may be a .gz file or - for stdin (repeatable)
  --format jsonl|table  output format (default: table on a terminal, else jsonl)
  --dead-letter FILE    write lines that fail to parse to FILE (jsonl)
  --year YYYY           year for timestamps printed without one (RFC 3164, alert_fast);
                        default: from each file's modification time
  --date YYYY-MM-DD     date for time-only swarm lines before any full timestamp
  -h, --help            show this help

Exit status: 0 after a complete run (whatever failed to parse), 2 on usage errors,
1 when an input cannot be read.`;

export const parseCommand: Command = {
  name: 'parse',
  summary: 'print normalized events for log files (jsonl or table)',
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseCommandArgs(
      argv,
      { ...inputOptions, format: { type: 'string' }, 'dead-letter': { type: 'string' } },
      USAGE,
    );
    const specs: InputSpec[] = (values.input ?? []).map((s) => {
      const { kind, path } = splitKindPath(s, INPUT_KINDS, USAGE);
      return { kind: kind as InputKind, path };
    });
    if (specs.length === 0) throw new UsageError(`at least one --input KIND=PATH is required\n\n${USAGE}`);
    const format = values.format ?? (io.stdout.isTTY ? 'table' : 'jsonl');
    if (format !== 'jsonl' && format !== 'table') throw new UsageError(`--format must be jsonl or table (got "${format}")`);
    const readOpts = readOptionsFrom(values, USAGE);
    for (const spec of specs) await checkInput(spec);

    const out = new LineWriter(io.stdout);
    const dead = values['dead-letter'] ? new LineWriter(createWriteStream(values['dead-letter'])) : undefined;
    const progress = new Progress(io.stderr, io.now);
    const summary: string[] = [];
    let failed = false;
    for (const spec of specs) {
      const errors = new Map<string, number>();
      let events = 0;
      try {
        const opened = await openInput(spec, io.stdin);
        for await (const batch of readInput(spec, opened, { ...readOpts, stdin: io.stdin })) {
          for (const { result } of batch) {
            if (result.ok) {
              events++;
              await out.line(format === 'jsonl' ? JSON.stringify(result.event) : tableRow(result.event));
            } else {
              errors.set(result.error.code, (errors.get(result.error.code) ?? 0) + 1);
              await dead?.line(JSON.stringify(result.error));
            }
          }
          progress.tick(() => `${spec.path}: ${events} events, ${opened.bytesRead()} bytes read`);
        }
      } catch (e) {
        failed = true;
        io.stderr.write(`tripline parse: reading ${spec.path} failed: ${(e as Error).message}\n`);
      }
      const errText = [...errors].map(([c, n]) => `${c}=${n}`).join(' ');
      const errTotal = [...errors.values()].reduce((a, b) => a + b, 0);
      summary.push(`${spec.kind}=${spec.path}: ${events} events, ${errTotal} parse errors${errText ? ` (${errText})` : ''}`);
    }
    await out.flush();
    await dead?.flush();
    progress.done();
    io.stderr.write(`${summary.join('\n')}\n`);
    return failed ? 1 : 0;
  },
};

function tableRow(e: SecurityEvent): string {
  const target = e.target.path ?? ([e.target.namespace, e.target.name].filter(Boolean).join('/') || e.target.address || '');
  return [
    e.ts.padEnd(30),
    e.source.kind.padEnd(11),
    terminalSafe(e.host ?? '-', 24).padEnd(16),
    e.action.padEnd(16),
    e.outcome.padEnd(7),
    terminalSafe(e.actor.name ?? '-', 40).padEnd(24),
    terminalSafe(e.client.addrs.join(',') || '-', 60).padEnd(16),
    terminalSafe(target, 80),
  ].join(' ');
}
