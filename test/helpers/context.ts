// A RuleContext for rule tests, with the semantics of the engine's real one
// (services/engine/context.ts): numeric CIDR sets from config.networks, glob lists,
// isHuman as rules.md defines it, and correlations supplied by the test.
import { Config, type ConfigInput } from '../../schemas/config.js';
import type { SecurityEvent } from '../../schemas/event.js';
import type { Correlations, RuleContext } from '../../rules/define.js';
import { CidrSet } from '../../services/lib/cidr.js';
import { compileGlobs } from '../../services/lib/glob.js';

/** Correlations that know nothing: no sshd connection, no boot, no shutdown. */
export const NO_CORRELATIONS: Correlations = {
  sshConnection: () => undefined,
  boot: () => null,
  lastShutdown: () => undefined,
};

/**
 * Vault display names are `<auth mount>-<name>` (oidc-me@viktorbarzin.me), and a mount
 * path may itself hold dashes: try the whole name and every suffix after a dash.
 */
function vaultNames(displayName: string | null): string[] {
  if (!displayName) return [];
  const out = [displayName];
  for (let i = displayName.indexOf('-'); i >= 0; i = displayName.indexOf('-', i + 1)) out.push(displayName.slice(i + 1));
  return out;
}

export function makeContext(configInput: ConfigInput = {}, corr: Partial<Correlations> = {}): RuleContext {
  const config = Config.parse(configInput);
  const sets = new Map<string, CidrSet>();
  const setOf = (name: string): CidrSet => {
    let s = sets.get(name);
    if (!s) {
      const list = (config.networks as Record<string, string[] | undefined>)[name];
      if (!list) throw new Error(`unknown network set ${name}`);
      s = CidrSet.parse(list);
      sets.set(name, s);
    }
    return s;
  };
  const globs = new WeakMap<readonly string[], (v: string | null | undefined) => boolean>();
  const matches = (list: readonly string[], value: string | null | undefined): boolean => {
    let fn = globs.get(list);
    if (!fn) {
      fn = compileGlobs(list);
      globs.set(list, fn);
    }
    return typeof value === 'string' && fn(value);
  };
  const isHuman = (e: SecurityEvent): boolean => {
    const humans = config.identities.humans;
    if (matches(humans, e.actor.name)) return true;
    if (e.vault) {
      const v = e.vault;
      if (matches(humans, v.metadata.username)) return true;
      if (vaultNames(v.displayName).some((n) => matches(humans, n))) return true;
      return v.entityId !== null && matches(config.identities.vaultEntities, v.entityId);
    }
    return false;
  };
  return {
    config,
    inNetworks: (addr, names) => names.some((n) => setOf(n).has(addr)),
    matches,
    isHuman,
    corr: { ...NO_CORRELATIONS, ...corr },
  };
}

/** A match rule's result as a list (null → [], one Finding → [it]). */
export function findingsOf<F>(r: F | F[] | null): F[] {
  return r === null ? [] : Array.isArray(r) ? r : [r];
}
