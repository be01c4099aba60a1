// The raw-line prefilter (issue 8): compiled from the rule set and the config, it looks
// at a raw line before the parser does and, when it can PROVE that no enabled rule can
// match, select or remember anything from the event the line would parse to, returns
// just the event time. The caller then hands the engine a QuietLine (Engine.pushQuiet:
// clocks, H1, H2, sweeps) instead of parsing. Everything else takes the full path.
//
// Invariants:
// - Conservative by construction: a kind has a prefilter only when EVERY enabled rule
//   that can see its events (the kind is in rule.sources, or an app its parser emits is
//   in rule.apps) declares an interest for it (rules/define.ts RawInterest); absence
//   and error-rate rules (H1, H2) are served by pushQuiet. One rule without an interest
//   turns the prefilter off for that kind.
// - A line is quiet only if the scanner recognizes it (which proves it parses, see
//   k8s-audit-scan.ts) and every interest says no. An interest that throws counts as yes.
// - Only kinds whose parser keeps no per-input carry state may have a prefilter (a
//   skipped line must not change how the next line parses): k8s-audit.
// - Lines the reader flagged (cut at the length cap, invalid UTF-8) are never quiet.
import type { Config } from '../../schemas/config.js';
import type { App, InputKind } from '../../schemas/event.js';
import type { Correlations, K8sRequestView, Rule, RuleContext } from '../../rules/define.js';
import type { ParseContext } from '../parsers/types.js';
import { scanK8sAuditLine, TimeCache } from '../parsers/k8s-audit-scan.js';
import type { EventTime } from '../lib/time.js';
import { isEnabled } from './alert-build.js';
import { buildRuleContext } from './context.js';

/** The event time of a quiet line, or null: parse this line in full. */
export type LinePrefilter = (line: string, ctx: ParseContext) => EventTime | null;

/** The apps a kind's parser can emit, for the kinds that have a scanner. */
const KIND_APPS: Partial<Record<InputKind, readonly App[]>> = { 'k8s-audit': ['k8s'] };

/** Interests never consult correlations; a context for them needs none. */
const NO_CORRELATIONS: Correlations = {
  sshConnection: () => undefined,
  boot: () => null,
  lastShutdown: () => undefined,
};

/** Entries per network-set list before the address memo starts over (pod addresses repeat). */
const MEMO_MAX = 4096;

/** The context with inNetworks remembered per (set list, address): K2 and K9 ask it of every line. */
function memoizedNetworks(ctx: RuleContext): RuleContext {
  const memo = new WeakMap<readonly string[], Map<string, boolean>>();
  const inNetworks = (addr: string, sets: readonly string[]): boolean => {
    let m = memo.get(sets);
    if (!m) memo.set(sets, (m = new Map()));
    let v = m.get(addr);
    if (v === undefined) {
      v = ctx.inNetworks(addr, sets); // throws for an unknown set: the caller counts that as interest
      if (m.size >= MEMO_MAX) m.clear();
      m.set(addr, v);
    }
    return v;
  };
  return { ...ctx, inNetworks };
}

/** Why a kind has no prefilter, or null when it has one (for `explainPrefilter`). */
export function prefilterBlocker(rules: readonly Rule[], config: Config, kind: InputKind): string | null {
  const apps = KIND_APPS[kind];
  if (!apps) return `no raw-line scanner for ${kind}`;
  for (const r of rules) {
    if (!isEnabled(r, config) || r.kind === 'absence' || r.kind === 'error-rate') continue;
    const sees = r.sources.includes(kind) || r.apps.some((a) => apps.includes(a));
    if (sees && !(r.interest as Partial<Record<InputKind, unknown>> | undefined)?.[kind]) return `rule ${r.id} declares no ${kind} interest`;
  }
  return null;
}

/**
 * Whether no enabled rule is interested in a k8s request (true: the line may be quiet),
 * or null when the rule set allows no k8s-audit prefilter. The chunk reader of the
 * replay (issue 8) asks it of the lines it scans in place; compilePrefilter of one line.
 */
export function compileK8sQuietTest(rules: readonly Rule[], config: Config): ((v: K8sRequestView) => boolean) | null {
  const kind: InputKind = 'k8s-audit';
  if (prefilterBlocker(rules, config, kind) !== null) return null;
  const apps = KIND_APPS[kind]!;
  const ctx: RuleContext = memoizedNetworks(buildRuleContext(config, NO_CORRELATIONS));
  const interests: Array<(v: K8sRequestView, ctx: RuleContext) => boolean> = [];
  for (const r of rules) {
    if (!isEnabled(r, config) || r.kind === 'absence' || r.kind === 'error-rate') continue;
    if (!r.sources.includes(kind) && !r.apps.some((a) => apps.includes(a))) continue;
    const f = r.interest!['k8s-audit']!;
    if (!interests.includes(f)) interests.push(f); // rules sharing one interest (K2, K9) are asked once
  }
  return (view) => {
    for (const interested of interests) {
      try {
        if (interested(view, ctx)) return false;
      } catch {
        return false;
      }
    }
    return true;
  };
}

/** The prefilter for `kind`, or null when the kind must always be parsed in full. */
export function compilePrefilter(rules: readonly Rule[], config: Config, kind: InputKind): LinePrefilter | null {
  if (kind !== 'k8s-audit') return null;
  const quiet = compileK8sQuietTest(rules, config);
  if (quiet === null) return null;
  const times = new TimeCache();
  return (line, pctx) => {
    if (pctx.truncated || pctx.invalidUtf8) return null;
    const scan = scanK8sAuditLine(line, times);
    return scan !== null && quiet(scan.view) ? scan.time : null;
  };
}
