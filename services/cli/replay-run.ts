// The replay pipeline: inputs → parse → merge by event time → engine → sorted alerts.
// Shared by `tripline replay` and the golden/conformance tests, so what the tests
// check is exactly what the command prints.
import type { Alert } from '../../schemas/alert.js';
import type { Config } from '../../schemas/config.js';
import { Engine, type SourceInfo } from '../engine/engine.js';
import { mergeByTime } from '../engine/merge.js';
import { openInput, readInput, type InputSpec, type ParsedRecord, type ReadOptions } from '../collectors/file-input.js';
import { rules } from '../../rules/index.js';
import type { CommandIO } from './command.js';
import { Progress } from './output.js';
import { parseRfc3339 } from '../lib/time.js';

export interface ReplayOptions {
  specs: InputSpec[];
  config: Config;
  readOpts: ReadOptions;
  fromMs?: number;
  toMs?: number;
  io: Pick<CommandIO, 'stderr' | 'stdin' | 'now'>;
}

export interface ReplayResult {
  alerts: Alert[];
  events: Record<string, number>;
  errors: Record<string, Record<string, number>>;
  summary: string;
  ioFailed: boolean;
}

/** A record placed in event time; a parse error takes the time of its input's previous event. */
interface Timed {
  tsMs: number;
  tsSubNs: number;
  input: number;
  rec: ParsedRecord;
}

async function* timed(spec: InputSpec, index: number, opts: ReplayOptions, failures: string[]): AsyncGenerator<Timed> {
  let tsMs = Number.NEGATIVE_INFINITY;
  let tsSubNs = 0;
  try {
    const opened = await openInput(spec, opts.io.stdin);
    for await (const batch of readInput(spec, opened, opts.readOpts)) {
      for (const rec of batch) {
        if (rec.result.ok) {
          tsMs = rec.result.event.tsMs;
          tsSubNs = rec.result.event.tsSubNs;
        }
        yield { tsMs, tsSubNs, input: index, rec };
      }
    }
  } catch (e) {
    failures.push(`${spec.path}: ${(e as Error).message}`);
  }
}

/**
 * Alerts in event-time order; ties keep emission order, so output is deterministic.
 * Compared as times, not strings: "…:00Z" sorts after "…:00.6Z" as text.
 */
export function sortAlerts(alerts: Alert[]): Alert[] {
  return alerts
    .map((a, i) => {
      const t = parseRfc3339(a.ts);
      return { a, i, ms: t?.ms ?? 0, ns: t?.subNs ?? 0 };
    })
    .sort((x, y) => x.ms - y.ms || x.ns - y.ns || x.i - y.i)
    .map((x) => x.a);
}

export async function runReplay(opts: ReplayOptions): Promise<ReplayResult> {
  const sources: SourceInfo[] = opts.specs.map((s) => ({ name: s.name ?? s.path, kind: s.kind }));
  const engine = new Engine({ rules, config: opts.config, sources });
  const alerts: Alert[] = [];
  const events: Record<string, number> = {};
  const errors: Record<string, Record<string, number>> = {};
  const failures: string[] = [];
  const progress = new Progress(opts.io.stderr, opts.io.now);
  const started = opts.io.now();
  let seen = 0;
  let lastTs = '';

  const streams = opts.specs.map((s, i) => timed(s, i, opts, failures));
  for await (const t of mergeByTime(streams, (x: Timed) => [x.tsMs, x.tsSubNs])) {
    if (opts.fromMs !== undefined && t.tsMs < opts.fromMs) continue;
    if (opts.toMs !== undefined && t.tsMs >= opts.toMs) continue;
    const spec = opts.specs[t.input]!;
    const name = spec.name ?? spec.path;
    const r = t.rec.result;
    if (r.ok) {
      events[name] = (events[name] ?? 0) + 1;
      lastTs = r.event.ts;
      for (const a of engine.push({ event: r.event, line: t.rec.record.text })) alerts.push(a);
    } else {
      const byCode = (errors[name] ??= {});
      byCode[r.error.code] = (byCode[r.error.code] ?? 0) + 1;
      for (const a of engine.pushError({ sourceName: name, kind: spec.kind, code: r.error.code })) alerts.push(a);
    }
    if (++seen % 4096 === 0) {
      progress.tick(() => {
        const secs = Math.max(0.001, (opts.io.now() - started) / 1000);
        return `replay: ${seen} records (${Math.round(seen / secs)}/s), at ${lastTs}, ${alerts.length} alerts`;
      });
    }
  }
  for (const a of engine.flush()) alerts.push(a);
  progress.done();

  const sorted = sortAlerts(alerts);
  return { alerts: sorted, events, errors, summary: summarize(opts.specs, events, errors, sorted, failures), ioFailed: failures.length > 0 };
}

function summarize(
  specs: InputSpec[],
  events: Record<string, number>,
  errors: Record<string, Record<string, number>>,
  alerts: Alert[],
  failures: string[],
): string {
  const lines = ['replay summary:'];
  for (const s of specs) {
    const name = s.name ?? s.path;
    const errs = errors[name] ?? {};
    const errTotal = Object.values(errs).reduce((a, b) => a + b, 0);
    const codes = Object.entries(errs)
      .map(([c, n]) => `${c}=${n}`)
      .join(' ');
    lines.push(`  ${s.kind}=${name}: ${events[name] ?? 0} events, ${errTotal} parse errors${codes ? ` (${codes})` : ''}`);
  }
  const byRule = new Map<string, number>();
  for (const a of alerts) byRule.set(a.rule, (byRule.get(a.rule) ?? 0) + 1);
  lines.push(`  alerts: ${alerts.length}${byRule.size ? ` (${[...byRule].map(([r, n]) => `${r}=${n}`).join(' ')})` : ''}`);
  for (const f of failures) lines.push(`  read failure: ${f}`);
  return lines.join('\n');
}
