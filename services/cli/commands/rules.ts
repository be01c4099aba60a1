// `tripline rules [--config FILE] [--format table|json]`: the rule catalogue as this
// config makes it: id, effective severity (and the default when overridden), enabled,
// source kinds, title, and each rule's effective parameters (rule.params(config); for a
// windowed rule without params(), its threshold and window; a cooldown override).
// Values from config are made terminal-safe in the table: a glob can hold anything.
import type { Config } from '../../../schemas/config.js';
import type { Rule } from '../../../rules/define.js';
import { rules as registry } from '../../../rules/index.js';
import { UsageError } from '../../lib/errors.js';
import { loadConfig } from '../../config/load.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { LineWriter, terminalSafe } from '../output.js';

const USAGE = `Usage: tripline rules [--config FILE] [--format table|json]

Lists every rule with its effective severity, whether it is enabled, the source kinds it
reads, its title and its effective parameters under the given config.

  --config FILE         configuration (YAML); default: the embedded defaults
  --format table|json   output format (default: table)
  -h, --help            show this help

Exit status: 0, or 2 on usage or config errors.`;

export interface RuleEntry {
  id: string;
  title: string;
  kind: Rule['kind'];
  severity: Rule['severity'];
  /** The severity the rule ships with; differs from severity when config overrides it. */
  defaultSeverity: Rule['severity'];
  enabled: boolean;
  sources: string[];
  runbook: string;
  tags: string[];
  description: string;
  params: Record<string, unknown>;
}

/** The catalogue under `config`, in registry order. */
export function ruleCatalogue(rules: readonly Rule[], config: Config): RuleEntry[] {
  return rules.map((r) => {
    const o = config.rules[r.id];
    // A rule's own params() say it best (R2 counts boots, not its internal threshold);
    // a windowed rule without one still shows its threshold and window.
    const own = r.params?.(config);
    const params: Record<string, unknown> =
      own !== undefined ? { ...own } : r.kind === 'threshold' ? { threshold: r.threshold(config), window: formatMs(r.window(config)) } : {};
    if (o?.cooldown !== undefined) params.cooldown = formatMs(o.cooldown);
    return {
      id: r.id,
      title: r.title,
      kind: r.kind,
      severity: o?.severity ?? r.severity,
      defaultSeverity: r.severity,
      enabled: o?.enabled ?? true,
      sources: [...r.sources],
      runbook: r.runbook,
      tags: [...r.tags],
      description: r.description,
      params,
    };
  });
}

/** 60000 → "60s", 300000 → "5m", 3600000 → "1h": the units config is written in. */
export function formatMs(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/**
 * Flattens parameters to `a.b: value` lines; lists are comma-joined, and numbers under a
 * key ending in `Ms` get their duration alongside (`windowMs: 60000 (1m)`).
 */
function paramLines(params: Record<string, unknown>, prefix = '', inMs = false): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    const key = prefix ? `${prefix}.${k}` : k;
    const ms = inMs || k.endsWith('Ms');
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) out.push(...paramLines(v as Record<string, unknown>, key, ms));
    else if (Array.isArray(v)) out.push(`${key}: ${v.length === 0 ? '(none)' : v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(', ')}`);
    else if (ms && typeof v === 'number') out.push(`${key}: ${v} (${formatMs(v)})`);
    else out.push(`${key}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  }
  return out;
}

/** The table: header, one row per rule, its parameters indented below it. */
export function tableLines(entries: readonly RuleEntry[]): string[] {
  const sev = (e: RuleEntry) => (e.severity === e.defaultSeverity ? e.severity : `${e.severity} (default ${e.defaultSeverity})`);
  const rows = entries.map((e) => [e.id, sev(e), e.enabled ? 'yes' : 'no', e.sources.join(','), e.title]);
  const header = ['ID', 'SEVERITY', 'ENABLED', 'SOURCES', 'TITLE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  const out = [fmt(header)];
  entries.forEach((e, i) => {
    out.push(fmt(rows[i]!));
    for (const line of paramLines(e.params)) out.push(`    ${terminalSafe(line, 400)}`);
  });
  return out;
}

export const rulesCommand: Command = {
  name: 'rules',
  summary: 'list the rules with their effective severity and parameters',
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { config: { type: 'string' }, format: { type: 'string' } }, USAGE);
    const format = values.format ?? 'table';
    if (format !== 'table' && format !== 'json') throw new UsageError(`--format must be table or json (got "${format}")\n\n${USAGE}`);
    const config = await loadConfig(values.config, io.env);
    const entries = ruleCatalogue(registry, config);
    const out = new LineWriter(io.stdout);
    if (format === 'json') await out.line(JSON.stringify(entries, null, 2));
    else for (const line of tableLines(entries)) await out.line(line);
    await out.flush();
    return 0;
  },
};
