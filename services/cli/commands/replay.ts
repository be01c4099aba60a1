// `tripline replay`: forensics over historical logs. Inputs are merged by event time
// and run through the same engine and rules as the live path, so the alerts are the
// ones a live run would have raised. jsonl output is deterministic: the same input
// gives byte-identical output.
import type { Alert } from '../../../schemas/alert.js';
import type { InputKind } from '../../../schemas/event.js';
import { UsageError } from '../../lib/errors.js';
import { parseRfc3339 } from '../../lib/time.js';
import { checkInput, type InputSpec } from '../../collectors/file-input.js';
import { INPUT_KINDS } from '../../parsers/index.js';
import { loadConfig } from '../../config/load.js';
import { parseCommandArgs, splitKindPath } from '../args.js';
import type { Command } from '../command.js';
import { LineWriter } from '../output.js';
import { inputOptions, readOptionsFrom } from './input-options.js';
import { runReplay } from '../replay-run.js';
import { alertTableRow } from '../alert-table.js';

const USAGE = `Usage: tripline replay --input KIND=PATH [--input KIND=PATH ...] [options]

Runs the rule catalogue over historical logs, merged by event time, and prints the
alerts a live run would have raised.

  --input KIND=PATH     an input; KIND is one of ${INPUT_KINDS.join(', ')};
                        PATH may be a .gz file or - for stdin (repeatable)
  --config FILE         configuration (YAML); default: the embedded defaults
  --from ISO            only events at or after this time (RFC 3339)
  --to ISO              only events before this time (RFC 3339)
  --format table|jsonl  output (default: table on a terminal, else jsonl)
  --year YYYY           year for timestamps printed without one
  --date YYYY-MM-DD     date for time-only swarm lines before any full timestamp
  -h, --help            show this help

Progress goes to stderr on runs longer than two seconds, and a summary at the end.
Exit status: 0 after a complete run whatever fired, 2 on usage or config errors,
1 when an input cannot be read.`;

export const replayCommand: Command = {
  name: 'replay',
  summary: 'run the rules over historical logs and print the alerts',
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseCommandArgs(
      argv,
      { ...inputOptions, config: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, format: { type: 'string' } },
      USAGE,
    );
    const specs: InputSpec[] = (values.input ?? []).map((s) => {
      const { kind, path } = splitKindPath(s, INPUT_KINDS, USAGE);
      return { kind: kind as InputKind, path };
    });
    if (specs.length === 0) throw new UsageError(`at least one --input KIND=PATH is required\n\n${USAGE}`);
    if (specs.filter((s) => s.path === '-').length > 1) throw new UsageError('only one --input may read stdin (-)');
    const format = values.format ?? (io.stdout.isTTY ? 'table' : 'jsonl');
    if (format !== 'jsonl' && format !== 'table') throw new UsageError(`--format must be jsonl or table (got "${format}")`);
    const fromMs = timeOption('--from', values.from);
    const toMs = timeOption('--to', values.to);
    if (fromMs !== undefined && toMs !== undefined && toMs <= fromMs) throw new UsageError('--to must be after --from');
    const readOpts = { ...readOptionsFrom(values, USAGE), stdin: io.stdin };
    const config = await loadConfig(values.config, io.env);
    for (const spec of specs) await checkInput(spec);

    const result = await runReplay({ specs, config, readOpts, fromMs, toMs, io });
    const out = new LineWriter(io.stdout);
    for (const alert of result.alerts) await out.line(format === 'jsonl' ? JSON.stringify(alert) : alertTableRow(alert));
    await out.flush();
    io.stderr.write(`${result.summary}\n`);
    return result.ioFailed ? 1 : 0;
  },
};

function timeOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const t = parseRfc3339(value);
  if (!t) throw new UsageError(`${name} takes an RFC 3339 time such as 2026-06-10T00:00:00Z (got "${value}")`);
  return t.ms;
}

export type { Alert };
