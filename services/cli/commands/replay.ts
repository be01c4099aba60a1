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
// issue 5 (router): --state-dir keeps the replay's alerts and input health for `tripline digest`.
import { resolve as resolvePath } from 'node:path';
import { recordReplayState } from '../../router/replay-state.js';
// issue 6 (loki): --loki URL --query LOGQL --parser KIND inputs.
import { LokiClient } from '../../loki/client.js';
import { LokiReplaySource } from '../replay-loki.js';

const USAGE = `Usage: tripline replay --input KIND=PATH [--input KIND=PATH ...] [options]
       tripline replay --loki URL --query LOGQL --parser KIND [...] --from ISO [options]

Runs the rule catalogue over historical logs, merged by event time, and prints the
alerts a live run would have raised.

  --input KIND=PATH     an input; KIND is one of ${INPUT_KINDS.join(', ')};
                        PATH may be a .gz file or - for stdin (repeatable)
  --loki URL            read --query inputs from Grafana Loki (default: the config's
                        loki.url; tenant and auth come from the config's loki block)
  --query [NAME=]LOGQL  a LogQL log query over [--from, --to), merged by event time
                        with the other inputs; NAME names the source (default: the
                        query); pair each with a --parser, in order (repeatable)
  --parser KIND         the input kind of the lines of the matching --query
  --config FILE         configuration (YAML); default: the embedded defaults
  --from ISO            only events at or after this time (RFC 3339)
  --to ISO              only events before this time (RFC 3339; with --query: now)
  --format table|jsonl  output (default: table on a terminal, else jsonl)
  --state-dir DIR       also keep the alerts and each input's health in DIR, for
                        tripline digest --state-dir DIR --until latest (nothing is posted)
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
      {
        ...inputOptions,
        config: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        format: { type: 'string' },
        'state-dir': { type: 'string' }, // issue 5 (router)
        // issue 6 (loki)
        loki: { type: 'string' },
        query: { type: 'string', multiple: true },
        parser: { type: 'string', multiple: true },
      },
      USAGE,
    );
    const specs: InputSpec[] = (values.input ?? []).map((s) => {
      const { kind, path } = splitKindPath(s, INPUT_KINDS, USAGE);
      return { kind: kind as InputKind, path };
    });
    const queries = lokiQueries(values.query ?? [], values.parser ?? []); // issue 6 (loki)
    if (specs.length === 0 && queries.length === 0) throw new UsageError(`at least one --input KIND=PATH or --query LOGQL is required\n\n${USAGE}`);
    if (specs.filter((s) => s.path === '-').length > 1) throw new UsageError('only one --input may read stdin (-)');
    const format = values.format ?? (io.stdout.isTTY ? 'table' : 'jsonl');
    if (format !== 'jsonl' && format !== 'table') throw new UsageError(`--format must be jsonl or table (got "${format}")`);
    const fromMs = timeOption('--from', values.from);
    const toMs = timeOption('--to', values.to) ?? (queries.length > 0 ? io.now() : undefined);
    if (fromMs !== undefined && toMs !== undefined && toMs <= fromMs) throw new UsageError('--to must be after --from');
    const readOpts = { ...readOptionsFrom(values, USAGE), stdin: io.stdin };
    const config = await loadConfig(values.config, io.env);
    for (const spec of specs) await checkInput(spec);

    // issue 6 (loki): one client (keep-alive pool) for every --query.
    let client: LokiClient | undefined;
    const sources: LokiReplaySource[] = [];
    if (queries.length > 0) {
      const url = values.loki ?? config.loki?.url;
      if (!url) throw new UsageError(`--query needs --loki URL (or loki.url in the config)\n\n${USAGE}`);
      if (fromMs === undefined) throw new UsageError('--query needs --from: the start of the time range to read from Loki');
      try {
        client = new LokiClient({ url, tenant: config.loki?.tenant, auth: config.loki?.auth, timeoutMs: config.loki?.timeout, retries: config.loki?.retries });
      } catch (e) {
        throw new UsageError(`--loki ${JSON.stringify(url.replace(/\/\/[^/@]*@/, '//***@'))}: ${(e as Error).message}`);
      }
      for (const q of queries) sources.push(new LokiReplaySource(q, { client, fromMs, toMs: toMs!, readOpts }));
    }

    const stateDir = values['state-dir']; // issue 5 (router): the snapshot carries each input's last event time
    const result = await runReplay({ specs, config, readOpts, fromMs, toMs, io, sources, snapshot: stateDir !== undefined }).finally(() => client?.close());
    if (stateDir !== undefined) {
      const names = [...specs.map((s) => ({ name: s.name ?? s.path, kind: s.kind })), ...sources.map((s) => ({ name: s.name, kind: s.kind }))];
      const kept = recordReplayState(resolvePath(stateDir), result, names, io.now());
      io.stderr.write(`replay state: ${kept.inserted} new alert(s) kept in ${stateDir} (${kept.duplicates} already there)\n`);
    }
    const out = new LineWriter(io.stdout);
    for (const alert of result.alerts) await out.line(format === 'jsonl' ? JSON.stringify(alert) : alertTableRow(alert));
    await out.flush();
    io.stderr.write(`${result.summary}\n`);
    return result.ioFailed ? 1 : 0;
  },
};

/** issue 6 (loki): pairs each --query with its --parser, in order. */
function lokiQueries(queries: string[], kinds: string[]): Array<{ query: string; kind: InputKind; name?: string }> {
  if (queries.length !== kinds.length) throw new UsageError(`give one --parser KIND per --query (got ${queries.length} --query and ${kinds.length} --parser)\n\n${USAGE}`);
  return queries.map((raw, i) => {
    const kind = kinds[i]!;
    if (!INPUT_KINDS.includes(kind as InputKind)) throw new UsageError(`unknown --parser "${kind}"; use one of ${INPUT_KINDS.join(', ')}`);
    const named = /^([A-Za-z0-9_.:/-]{1,128})=(\s*\{[\s\S]*)$/.exec(raw);
    const query = named ? named[2]! : raw;
    if (!/^\s*\{/.test(query)) throw new UsageError(`--query takes a LogQL log query starting with a stream selector, e.g. '{job="sshd"}' (got ${JSON.stringify(raw.slice(0, 80))})`);
    return named ? { query, kind: kind as InputKind, name: named[1]! } : { query, kind: kind as InputKind };
  });
}

function timeOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const t = parseRfc3339(value);
  if (!t) throw new UsageError(`${name} takes an RFC 3339 time such as 2026-06-10T00:00:00Z (got "${value}")`);
  return t.ms;
}

export type { Alert };
