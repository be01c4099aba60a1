// Config problems: what is wrong, where (dotted path, YAML line), in words a person can
// act on. zod issues are rewritten here rather than shown raw so every message reads the
// same way ("expected a number, got "x"") and so no message can leak a secret: a value
// that came from `${VAR}` interpolation is never printed, only the variable's name.
import type { z } from 'zod';
import { UsageError } from '../lib/errors.js';

export interface ConfigProblem {
  /** Dotted path, e.g. `k8s.massDelete.threshold` or `networks.trusted[2]`; '' for the whole file. */
  path: string;
  message: string;
  /** 1-based line in the config file, when known. */
  line?: number;
  /** 1-based column, for YAML syntax errors. */
  column?: number;
}

export type PathSeg = string | number;

/** A problem before its line is looked up: `atKey` places it on the key rather than the value. */
export interface RawProblem {
  segs: PathSeg[];
  message: string;
  atKey?: boolean;
}

/** `k8s.massDelete.threshold`, `networks.trusted[2]`; odd keys are quoted: `health.maxSilence["a.b"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else {
      const s = String(seg);
      if (/^[A-Za-z0-9_-]+$/.test(s)) out += out ? `.${s}` : s;
      else out += `[${JSON.stringify(s)}]`;
    }
  }
  return out;
}

/** Config text quoted for a message: JSON-escaped (so control characters show) and capped. */
export function quote(text: string, max = 80): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max - 1)}…` : text);
}

/** Values produced by `${VAR}` interpolation, so messages can refer to them by variable only. */
export class Secrets {
  private readonly byPath = new Map<string, string[]>();
  private readonly byValue = new Map<string, string[]>();

  add(path: string, value: string | number | boolean, vars: string[]): void {
    if (vars.length === 0) return;
    this.byPath.set(path, vars);
    // By value too: a YAML alias repeats the interpolated scalar at another path.
    this.byValue.set(String(value), vars);
  }

  /** The variables behind the value at `path` (or behind this exact value), if any. */
  varsFor(path: string, value: unknown): string[] | undefined {
    const p = this.byPath.get(path);
    if (p) return p;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return this.byValue.get(String(value));
    return undefined;
  }
}

const TYPE_WORDS: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'a string',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

/** "got "x"", "got 5", "got a list"; for interpolated values the variable name instead. */
export function describeValue(value: unknown, path: string, secrets: Secrets): string {
  const vars = secrets.varsFor(path, value);
  if (vars) return `got the value of ${vars.map((v) => '${' + v + '}').join(', ')} (not shown)`;
  if (value === null) return 'got an empty value';
  if (typeof value === 'string') return `got ${quote(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `got ${String(value)}`;
  if (Array.isArray(value)) return 'got a list';
  if (typeof value === 'object') return 'got a mapping';
  return `got ${typeof value}`;
}

type Issue = z.core.$ZodIssue;

/** The keys a schema node accepts, for "did you mean" on unknown keys. */
export type KnownKeys = (path: readonly PropertyKey[]) => string[];

/** Classic edit distance, small inputs only (config keys). */
function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3 || a.length > 64 || b.length > 64) return 99;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** ` (did you mean "x"?)` or ` (known keys: a, b)` or ''. */
export function suggest(name: string, known: readonly string[]): string {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestD = 3;
  for (const k of known) {
    const d = k.toLowerCase() === lower ? 0 : distance(lower, k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  if (best !== undefined) return ` (did you mean ${quote(best)}?)`;
  if (known.length > 0 && known.length <= 24) return ` (known keys: ${known.join(', ')})`;
  return '';
}

/** Rewrites zod issues as problems; unrecognized keys become one problem per key, at the key. */
export function issuesToProblems(issues: readonly Issue[], secrets: Secrets, knownKeys: KnownKeys): RawProblem[] {
  const out: RawProblem[] = [];
  for (const issue of issues) {
    // Config paths are strings and numbers only (no symbol keys come out of YAML).
    const segs = issue.path.map((s) => (typeof s === 'number' ? s : String(s)));
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeys(segs);
      for (const key of issue.keys) {
        out.push({ segs: [...segs, key], message: `unknown key ${quote(key)}${suggest(key, known)}`, atKey: true });
      }
      continue;
    }
    out.push({ segs, message: issueMessage(issue, formatPath(segs), secrets) });
  }
  return out;
}

function issueMessage(issue: Issue, where: string, secrets: Secrets): string {
  const input = (issue as { input?: unknown }).input;
  const got = () => describeValue(input, where, secrets);
  switch (issue.code) {
    case 'invalid_type':
      if (input === undefined) return `required (${TYPE_WORDS[issue.expected] ?? issue.expected})`;
      // `key:` with nothing after it. Not read as "use the default": for `trusted:` that
      // guess would be a security decision, so the writer must say [] or remove the key.
      if (input === null) {
        const hint = issue.expected === 'array' ? 'write [] for an empty list, or remove the key for the default' : 'remove the key for the default';
        return `is empty: expected ${TYPE_WORDS[issue.expected] ?? issue.expected} (${hint})`;
      }
      return `expected ${TYPE_WORDS[issue.expected] ?? issue.expected}, ${got()}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => quote(String(v))).join(', ')}, ${got()}`;
    case 'invalid_format':
      // Custom regex messages in the schema describe the expected form ("a duration such as 30s ...").
      return `expected ${issue.format === 'regex' ? issue.message : `a valid ${issue.format}`}, ${got()}`;
    case 'too_small': {
      const min = Number(issue.minimum);
      if (issue.origin === 'array') return `needs at least ${min} entr${min === 1 ? 'y' : 'ies'}`;
      if (issue.origin === 'string') return min === 1 ? 'must not be empty' : `must be at least ${min} characters`;
      return `must be ${issue.inclusive ? 'at least' : 'more than'} ${min}, ${got()}`;
    }
    case 'too_big': {
      const max = Number(issue.maximum);
      if (issue.origin === 'array') return `allows at most ${max} entries`;
      if (issue.origin === 'string') return `must be at most ${max} characters`;
      return `must be ${issue.inclusive ? 'at most' : 'less than'} ${max}, ${got()}`;
    }
    case 'invalid_union': {
      // Report the branch that matched the value's type when there is one, else list the types.
      const branches = issue.errors.filter((errs) => errs.every((e) => e.code !== 'invalid_type'));
      const first = branches[0]?.[0];
      if (first) return issueMessage({ ...first, path: issue.path, input } as Issue, where, secrets);
      // A union with its own message (Duration) says what it wants better than a type list.
      if (issue.message && issue.message !== 'Invalid input') return `expected ${issue.message}, ${got()}`;
      const expected = issue.errors.flatMap((errs) => errs.filter((e) => e.code === 'invalid_type').map((e) => TYPE_WORDS[(e as { expected: string }).expected] ?? ''));
      return `expected ${[...new Set(expected.filter(Boolean))].join(' or ') || 'another value'}, ${got()}`;
    }
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}, ${got()}`;
    default:
      return issue.message;
  }
}

/** One line per problem: `config.yaml: k8s.massDelete.threshold: expected a number, got "x" (line 3)`. */
export function formatProblems(origin: string, problems: readonly ConfigProblem[]): string {
  return problems
    .map((p) => {
      const at = p.line === undefined ? '' : p.column === undefined ? ` (line ${p.line})` : ` (line ${p.line}, column ${p.column})`;
      return `${origin}: ${p.path ? `${p.path}: ` : ''}${p.message}${at}`;
    })
    .join('\n');
}

/** Bad config: exit 2, carrying every problem so `tripline check` can list them all. */
export class ConfigError extends UsageError {
  constructor(
    readonly origin: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    const n = problems.length;
    super(`invalid configuration, ${n} problem${n === 1 ? '' : 's'}:\n${formatProblems(origin, problems)}`, 'TRIP_CONFIG');
    this.name = 'ConfigError';
  }
}
