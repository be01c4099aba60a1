// Actor-list matching (docs/rules.md, "Shared vocabulary"): each list entry is an exact
// name or a glob where `*` matches any run of characters (including none). There are no
// other metacharacters: `?`, `[`, `.` and regex specials in names are literal.
//
// Matching is linear-ish and never backtracks: exact names go through a Set; a glob is
// split on `*` into literal segments, the first must be a prefix, the last a suffix, and
// the middle ones are found left to right with indexOf. Taking the leftmost occurrence of
// each middle segment is always correct for `*`-only globs (it leaves the most room for
// the rest), so no alternative is ever retried. Values are attacker text (usernames),
// which is why no regex is built from config.

/** A compiled glob: literal segments between the stars. */
interface Glob {
  prefix: string;
  suffix: string;
  middle: string[];
  /** prefix.length + suffix.length + sum of middle lengths: the shortest value that can match. */
  minLen: number;
}

function compileGlob(pattern: string): Glob {
  const parts = pattern.split('*');
  const prefix = parts[0]!;
  const suffix = parts.length > 1 ? parts[parts.length - 1]! : '';
  const middle = parts.slice(1, -1).filter((p) => p.length > 0); // `**` is the same as `*`
  const minLen = prefix.length + suffix.length + middle.reduce((n, m) => n + m.length, 0);
  return { prefix, suffix, middle, minLen };
}

function globMatches(g: Glob, value: string): boolean {
  if (value.length < g.minLen) return false;
  if (!value.startsWith(g.prefix) || !value.endsWith(g.suffix)) return false;
  let pos = g.prefix.length;
  // The middle segments must fit between the prefix and the suffix, without overlapping either.
  const limit = value.length - g.suffix.length;
  for (const seg of g.middle) {
    const at = value.indexOf(seg, pos);
    if (at < 0 || at + seg.length > limit) return false;
    pos = at + seg.length;
  }
  return true;
}

/**
 * Compiles a list of exact names and `*` globs into one predicate. The predicate is
 * false for null, undefined and the empty string, whatever the list holds.
 */
export function compileGlobs(list: readonly string[]): (value: string | null | undefined) => boolean {
  const exact = new Set<string>();
  const globs: Glob[] = [];
  for (const entry of list) {
    if (typeof entry !== 'string' || entry.length === 0) continue;
    if (entry.includes('*')) globs.push(compileGlob(entry));
    else exact.add(entry);
  }
  return (value) => {
    if (typeof value !== 'string' || value.length === 0) return false;
    if (exact.has(value)) return true;
    for (const g of globs) if (globMatches(g, value)) return true;
    return false;
  };
}

// One compiled predicate per list object: config lists live as long as the config, so a
// WeakMap is bounded by what is alive and the cache never grows on its own.
const compiled = new WeakMap<readonly string[], (value: string | null | undefined) => boolean>();

/** `compileGlobs(list)(value)`, compiling each list object once. */
export function matchesAny(list: readonly string[], value: string | null | undefined): boolean {
  let fn = compiled.get(list);
  if (!fn) {
    fn = compileGlobs(list);
    compiled.set(list, fn);
  }
  return fn(value);
}
