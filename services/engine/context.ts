// The RuleContext the engine hands every rule: config, numeric network sets, actor-list
// matching, the human test and the correlation lookups (docs/rules.md "Shared vocabulary").
//
// Invariants:
// - Network sets are compiled once, at engine construction, from config.networks: a bad
//   entry fails there (naming it), never per event. Asking for a set that does not exist
//   throws (a rule bug), which the engine counts as a rule error.
// - Actor lists are compiled once per list object (config lists live as long as the
//   config): exact names and `*` globs, no regex over attacker text.
// - isHuman: identities.humans against the actor name; for Vault also the auth metadata
//   username, the display name and the display name without its `<mount>-` prefix (any
//   dash: mounts may hold dashes, and calling someone human only adds scrutiny), and the
//   entity id against identities.vaultEntities.
import type { Config } from '../../schemas/config.js';
import type { SecurityEvent } from '../../schemas/event.js';
import type { Correlations, RuleContext } from '../../rules/define.js';
import { CidrSet } from '../lib/cidr.js';
import { compileGlobs } from '../lib/glob.js';

type Matcher = (value: string) => boolean;

/** Longest display name whose dash-suffixes are tried (display names are short; this bounds the work). */
const MAX_DISPLAY_NAME = 512;

export function compileNetworks(config: Config): ReadonlyMap<string, CidrSet> {
  const sets = new Map<string, CidrSet>();
  for (const [name, list] of Object.entries(config.networks)) {
    if (Array.isArray(list)) sets.set(name, CidrSet.parse(list));
  }
  return sets;
}

export function buildRuleContext(config: Config, corr: Correlations): RuleContext {
  const sets = compileNetworks(config);
  const compiled = new WeakMap<readonly string[], Matcher>();

  const matches = (list: readonly string[], value: string | null | undefined): boolean => {
    if (typeof value !== 'string' || value.length === 0) return false;
    let fn = compiled.get(list);
    if (!fn) {
      fn = compileGlobs(list);
      compiled.set(list, fn);
    }
    return fn(value);
  };

  const inNetworks = (addr: string, names: readonly string[]): boolean => {
    for (const name of names) {
      const set = sets.get(name);
      if (!set) throw new Error(`unknown network set "${name}" (not in config.networks)`);
      if (set.has(addr)) return true;
    }
    return false;
  };

  const isHuman = (e: SecurityEvent): boolean => {
    const humans = config.identities.humans;
    if (matches(humans, e.actor.name)) return true;
    const v = e.vault;
    if (!v) return false;
    if (matches(humans, v.metadata.username)) return true;
    const d = v.displayName;
    if (d !== null && d.length <= MAX_DISPLAY_NAME) {
      if (matches(humans, d)) return true;
      for (let i = d.indexOf('-'); i >= 0; i = d.indexOf('-', i + 1)) if (matches(humans, d.slice(i + 1))) return true;
    }
    return v.entityId !== null && matches(config.identities.vaultEntities, v.entityId);
  };

  return { config, inNetworks, matches, isHuman, corr };
}
