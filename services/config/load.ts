// Loads and validates tripline's YAML config (architecture convention 1): YAML syntax,
// `${ENV}` interpolation, the strict zod schema, then checks zod cannot do (CIDRs, rule
// ids, maintenance windows). Every problem is reported at once, with its dotted path and
// line, and the run exits 2 (ConfigError). No --config means the embedded defaults.
import { readFile, stat } from 'node:fs/promises';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { Config } from '../../schemas/config.js';
import { rules } from '../../rules/index.js';
import { interpolateDocument } from './interpolate.js';
import { ConfigError, formatPath, issuesToProblems, type ConfigProblem, type PathSeg, type RawProblem } from './problems.js';
import { semanticProblems } from './semantic.js';

export { ConfigError, formatProblems, type ConfigProblem } from './problems.js';

/** Config files are a few KB; a cap keeps a wrong path (a log file, /dev/zero) from eating memory. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: ConfigProblem[] };

export interface ParseOptions {
  /** Rule ids `rules:` may override; defaults to the registry's. */
  ruleIds?: readonly string[];
}

/** The ids of the rule registry: the only list of rules. */
export function registryRuleIds(): string[] {
  return rules.map((r) => r.id);
}

/** The syntax-tree node at `segs` (or the deepest one that exists): used to find lines. */
function nodeAt(doc: Document, segs: readonly PathSeg[], atKey: boolean): Node | undefined {
  let node: unknown = doc.contents;
  for (let i = 0; i < segs.length; i++) {
    if (isAlias(node)) node = node.resolve(doc);
    const seg = segs[i]!;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return node;
      if (atKey && i === segs.length - 1) return pair.key as Node;
      node = pair.value ?? pair.key;
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg] !== undefined) {
      node = node.items[seg];
    } else {
      break;
    }
  }
  return node as Node | undefined;
}

/** The keys the schema accepts at `segs` (for "did you mean"); [] when not an object there. */
function schemaKeysAt(segs: readonly PropertyKey[]): string[] {
  // zod 4 exposes each schema's definition on `_zod.def`; wrappers (default, prefault,
  // optional, pipe) are unwrapped to reach the object underneath.
  type Def = { type: string; innerType?: S; in?: S; shape?: Record<string, S>; valueType?: S; element?: S };
  type S = { _zod: { def: Def } } | undefined;
  const unwrap = (s: S): S => {
    while (s) {
      const d = s._zod.def;
      if (d.innerType && ['default', 'prefault', 'optional', 'nullable', 'catch', 'readonly'].includes(d.type)) s = d.innerType;
      else if (d.type === 'pipe' && d.in) s = d.in;
      else break;
    }
    return s;
  };
  let s = unwrap(Config as unknown as S);
  for (const seg of segs) {
    const d = s?._zod.def;
    if (!d) return [];
    if (d.type === 'object') s = d.shape?.[String(seg)];
    else if (d.type === 'record') s = d.valueType;
    else if (d.type === 'array') s = d.element;
    else return [];
    s = unwrap(s);
  }
  const def = s?._zod.def;
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

/** issue 9: the yaml library quotes the whole offending token, which can be a line of any length. */
const MAX_YAML_MESSAGE = 200;

function yamlMessage(code: string, message: string): string {
  if (code === 'MULTIPLE_DOCS') return 'a config file holds one YAML document (found a second ---)';
  // issue 9: capped, so a long unexpected scalar (fuzzed: 3 KB of `<!channel>`) does not
  // flood `tripline check` and the logs; the line and column still point at it.
  return `YAML syntax error: ${capYaml(message)}`;
}

function capYaml(message: string): string {
  return message.length > MAX_YAML_MESSAGE ? `${message.slice(0, MAX_YAML_MESSAGE - 1)}…` : message;
}

/**
 * Parses and validates config text. Pure: `env` is passed in, nothing is read. `origin`
 * names the text in messages (the file path as the user gave it).
 */
export function parseConfigText(text: string, origin: string, env: NodeJS.ProcessEnv, opts: ParseOptions = {}): ConfigResult {
  void origin; // problems are origin-free; formatProblems(origin, problems) adds it
  if (text.length > MAX_CONFIG_BYTES) return { ok: false, problems: [{ path: '', message: `is larger than ${MAX_CONFIG_BYTES} bytes; is this the config file?` }] };
  const lineCounter = new LineCounter();
  const doc = parseDocument(text.replace(/^\uFEFF/, ''), { lineCounter, prettyErrors: false, uniqueKeys: true, schema: 'core' });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return { path: '', message: yamlMessage(e.code, e.message), line: pos.line, column: pos.col };
      }),
    };
  }
  const lineOf = (node: Node | undefined): number | undefined => (node?.range ? lineCounter.linePos(node.range[0]).line : undefined);
  const interp = interpolateDocument(doc, env, (n) => lineOf(n));

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (e) {
    // Unresolved aliases and alias bombs surface here.
    return { ok: false, problems: [...interp.problems, { path: '', message: `YAML error: ${capYaml((e as Error).message)}` }] };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    const got = Array.isArray(data) ? 'a list' : `a ${typeof data}`;
    return { ok: false, problems: [...interp.problems, { path: '', message: `the top level must be a mapping of config keys, got ${got}`, line: 1 }] };
  }

  const parsed = Config.safeParse(data, { reportInput: true });
  const raw: RawProblem[] = [
    ...(parsed.success ? [] : issuesToProblems(parsed.error.issues, interp.secrets, schemaKeysAt)),
    ...semanticProblems(data, interp.secrets, opts.ruleIds ?? registryRuleIds()),
  ];
  const problems = [
    ...interp.problems,
    ...raw
      // A value that failed to interpolate was already reported; validating its stand-in adds noise.
      .filter((p) => !interp.failed.has(formatPath(p.segs)))
      .map((p): ConfigProblem => withLine(p, lineOf(nodeAt(doc, p.segs, p.atKey ?? false)))),
  ];
  if (problems.length > 0 || !parsed.success) return { ok: false, problems: sortByLine(problems) };
  return { ok: true, config: parsed.data };
}

function withLine(p: RawProblem, line: number | undefined): ConfigProblem {
  const out: ConfigProblem = { path: formatPath(p.segs), message: p.message };
  if (line !== undefined) out.line = line;
  return out;
}

/** File order reads best; problems without a line keep their relative order at the end. */
function sortByLine(problems: ConfigProblem[]): ConfigProblem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (a.p.line ?? Infinity) - (b.p.line ?? Infinity) || a.i - b.i)
    .map(({ p }) => p);
}

function readProblem(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'ENOENT':
      return 'config file not found';
    case 'EISDIR':
      return 'is a directory, not a config file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied reading the config file';
    default:
      return `cannot read the config file (${e.code ?? e.message})`;
  }
}

/** Reads, interpolates and validates `path`; no path means the embedded defaults. Throws ConfigError (exit 2). */
export async function loadConfig(path: string | undefined, env: NodeJS.ProcessEnv, opts: ParseOptions = {}): Promise<Config> {
  if (path === undefined) return Config.parse({});
  let text: string;
  try {
    const st = await stat(path);
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (st.isFile() && st.size > MAX_CONFIG_BYTES) {
      throw new ConfigError(path, [{ path: '', message: `is larger than ${MAX_CONFIG_BYTES} bytes; is this the config file?` }]);
    }
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(path, [{ path: '', message: readProblem(e as NodeJS.ErrnoException) }]);
  }
  const r = parseConfigText(text, path, env, opts);
  if (!r.ok) throw new ConfigError(path, r.problems);
  return r.config;
}
