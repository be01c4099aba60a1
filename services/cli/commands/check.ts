// `tripline check [--config FILE]`: validates the config and the rule set without starting
// anything (architecture convention 1), prints every problem, exits 2 if there is any.
// The rule-set checks guard what alerts and runbook links depend on: unique ids, a title,
// a known severity, source kinds, and a runbook anchor that exists in docs/runbooks.md
// (when the package ships that file; it is looked up from this module's location, so the
// check works from the source tree and from the built dist/ alike).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Config } from '../../../schemas/config.js';
import { Severity } from '../../../schemas/alert.js';
import { InputKind } from '../../../schemas/event.js';
import type { Rule } from '../../../rules/define.js';
import { rules as registry } from '../../../rules/index.js';
import { ConfigError, formatProblems, loadConfig } from '../../config/load.js';
import { parseCommandArgs } from '../args.js';
import { packageRoot } from '../../lib/package-root.js';
import type { Command } from '../command.js';

const USAGE = `Usage: tripline check [--config FILE]

Validates the configuration and the rule set, printing every problem at once.

  --config FILE   configuration (YAML); default: the embedded defaults
  -h, --help      show this help

Exit status: 0 when config and rules are valid, 2 when anything is wrong.`;


/** GitHub-style heading slug: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Every anchor a Markdown file defines: heading slugs (deduplicated as GitHub does), `<a id|name>`, `{#id}`. */
export function markdownAnchors(md: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of md.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    if (fenced) continue;
    const h = /^#{1,6}[ \t]/.exec(line);
    if (h) {
      // ATX heading: drop the closing #s ("## K2 ##"), then an explicit {#id}.
      let text = line.slice(h[0].length).trim();
      let run = text.length;
      while (run > 0 && text[run - 1] === '#') run--;
      if (run === 0 || text[run - 1] === ' ' || text[run - 1] === '\t') text = text.slice(0, run).trim();
      const brace = text.lastIndexOf('{#');
      if (brace >= 0 && text.endsWith('}')) {
        anchors.add(text.slice(brace + 2, -1));
        text = text.slice(0, brace).trim();
      }
      const base = slug(text);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      anchors.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const m of line.matchAll(/<a\s+(?:id|name)=["']([^"']+)["']/g)) anchors.add(m[1]!);
  }
  return anchors;
}

/** Problems of the rule set, one line each; `runbooks` null when the file does not exist. */
export function checkRuleSet(rules: readonly Rule[], config: Config, runbooks: string | null): string[] {
  const problems: string[] = [];
  const anchors = runbooks === null ? null : markdownAnchors(runbooks);
  const ids = new Set<string>();
  rules.forEach((r, i) => {
    const name = typeof r.id === 'string' && r.id ? r.id : `rule #${i + 1}`;
    const bad = (what: string) => problems.push(`rule ${name}: ${what}`);
    if (!r.id) bad('has no id');
    else if (ids.has(r.id)) bad('id is used by another rule');
    ids.add(r.id);
    if (!r.title || !r.title.trim()) bad('has no title');
    if (!Severity.safeParse(r.severity).success) bad(`severity "${String(r.severity)}" is not one of ${Severity.options.join(', ')}`);
    if (!Array.isArray(r.sources) || r.sources.length === 0) bad('lists no source kinds');
    else for (const s of r.sources) if (!InputKind.safeParse(s).success) bad(`unknown source kind "${s}"`);
    if (!r.runbook) bad('has no runbook anchor');
    else if (anchors && !anchors.has(r.runbook)) bad(`runbook anchor #${r.runbook} is not in docs/runbooks.md`);
    // Parameters are computed from config by code: a throw here would break `tripline rules` and alerts.
    try {
      r.params?.(config);
      if (r.kind === 'threshold') {
        if (!(r.threshold(config) > 0)) bad('threshold is not a positive number');
        if (!(r.window(config) > 0)) bad('window is not a positive duration');
      }
    } catch (e) {
      bad(`computing its parameters failed: ${(e as Error).message}`);
    }
  });
  return problems;
}

function readRunbooks(): string | null {
  const root = packageRoot();
  const file = root && join(root, 'docs', 'runbooks.md');
  return file && existsSync(file) ? readFileSync(file, 'utf8') : null;
}

/** `k8s-audit 8, vault-audit 7, ...`: how many enabled rules read each source kind. */
function sourceSummary(rules: readonly Rule[], config: Config): string {
  const counts = new Map<string, number>();
  for (const r of rules) {
    if (config.rules[r.id]?.enabled === false) continue;
    for (const s of r.sources) counts.set(s, (counts.get(s) ?? 0) + 1);
  }
  return [...counts].map(([s, n]) => `${s} ${n}`).join(', ');
}

export const checkCommand: Command = {
  name: 'check',
  summary: 'validate the config and the rule set, listing every problem',
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, { config: { type: 'string' } }, USAGE);
    const origin = values.config ?? 'embedded defaults';
    let config: Config;
    let configProblems: string[] = [];
    try {
      config = await loadConfig(values.config, io.env);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      configProblems = formatProblems(e.origin, e.problems).split('\n');
      config = Config.parse({}); // still check the rules, against the defaults
    }
    const ruleProblems = checkRuleSet(registry, config, readRunbooks());
    const problems = [...configProblems, ...ruleProblems];
    if (problems.length > 0) {
      io.stderr.write(`${problems.join('\n')}\n`);
      io.stderr.write(`tripline check: ${problems.length} problem${problems.length === 1 ? '' : 's'} found\n`);
      return 2;
    }
    const disabled = registry.filter((r) => config.rules[r.id]?.enabled === false).map((r) => r.id);
    const overridden = registry.filter((r) => config.rules[r.id]?.severity !== undefined && config.rules[r.id]?.severity !== r.severity).length;
    const nets = Object.entries(config.networks).map(([name, list]) => `${name} (${list.length})`);
    io.stdout.write(
      [
        `tripline check: OK (${origin})`,
        `  rules:    ${registry.length} loaded, ${registry.length - disabled.length} enabled` +
          `${disabled.length ? `, disabled: ${disabled.join(', ')}` : ''}${overridden ? `, ${overridden} severity override${overridden === 1 ? '' : 's'}` : ''}`,
        `  networks: ${nets.join(', ')}`,
        `  sources:  ${sourceSummary(registry, config)}`,
      ].join('\n') + '\n',
    );
    return 0;
  },
};
