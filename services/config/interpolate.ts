// `${ENV}` interpolation in config string values, applied to the YAML syntax tree before
// validation so every problem keeps its path and line.
//
// Syntax: `${NAME}` (NAME must be set), `${NAME:-default}` (default when NAME is unset or
// empty), `$${` for a literal `${`; any other `$` is literal. NAME is [A-Za-z_][A-Za-z0-9_]*.
// Only values are interpolated, never keys. An unquoted value that expands to a number or
// true/false is read as one (`threshold: ${K5_THRESHOLD:-5}`), as if written there; quote
// it ("${X}") to keep a string. Expanded values are recorded in Secrets so no message can
// print them (a Slack webhook URL lives in config).
import { isAlias, isMap, isPair, isScalar, isSeq, Scalar, type Document, type Node } from 'yaml';
import { formatPath, Secrets, type ConfigProblem, type PathSeg } from './problems.js';

export interface Interpolated {
  problems: ConfigProblem[];
  secrets: Secrets;
  /** Paths whose value could not be expanded: later validation of them would only add noise. */
  failed: Set<string>;
}

type Expansion = { ok: true; value: string; vars: string[] } | { ok: false; message: string };

function isNameStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57);
}

/** Expands one string; a single left-to-right scan, no regex. */
export function expand(text: string, env: NodeJS.ProcessEnv): Expansion {
  let out = '';
  const vars: string[] = [];
  let i = 0;
  while (i < text.length) {
    const dollar = text.indexOf('$', i);
    if (dollar < 0) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, dollar);
    if (text.startsWith('$${', dollar)) {
      out += '${';
      i = dollar + 3;
      continue;
    }
    if (text[dollar + 1] !== '{') {
      out += '$';
      i = dollar + 1;
      continue;
    }
    const close = text.indexOf('}', dollar + 2);
    if (close < 0) return { ok: false, message: 'has an unterminated ${ (write $${ for a literal ${)' };
    const body = text.slice(dollar + 2, close);
    let n = 0;
    while (n < body.length && (n === 0 ? isNameStart(body.charCodeAt(n)) : isNameChar(body.charCodeAt(n)))) n++;
    const name = body.slice(0, n);
    const rest = body.slice(n);
    if (n === 0 || (rest !== '' && !rest.startsWith(':-'))) {
      return { ok: false, message: `has an invalid reference \${${body.length > 40 ? `${body.slice(0, 39)}…` : body}}: use \${NAME} or \${NAME:-default}` };
    }
    const set = env[name];
    if (rest === '') {
      // issue 9: the name is config text of any length; the message shows at most 64 characters of it.
      const shown = name.length > 64 ? `${name.slice(0, 63)}…` : name;
      if (set === undefined) return { ok: false, message: `environment variable ${shown} is not set (referenced as \${${shown}}, with no default)` };
      out += set;
    } else {
      out += set === undefined || set === '' ? rest.slice(2) : set;
    }
    vars.push(name);
    i = close + 1;
  }
  return { ok: true, value: out, vars };
}

/** Number or boolean for an unquoted expanded value that reads as one, else the string. */
function plainValue(text: string): string | number | boolean {
  if (text === 'true') return true;
  if (text === 'false') return false;
  // Decimal only (no 0x, no exponent) and short: anything else stays a string.
  let i = text.startsWith('-') ? 1 : 0;
  const digitsStart = i;
  while (i < text.length && text[i]! >= '0' && text[i]! <= '9') i++;
  if (i === digitsStart || text.length > 20) return text;
  if (text[i] === '.') {
    const f = ++i;
    while (i < text.length && text[i]! >= '0' && text[i]! <= '9') i++;
    if (i === f) return text;
  }
  return i === text.length ? Number(text) : text;
}

/** Interpolates every string value of `doc` in place. */
export function interpolateDocument(doc: Document, env: NodeJS.ProcessEnv, lineOf: (node: Node) => number | undefined): Interpolated {
  const result: Interpolated = { problems: [], secrets: new Secrets(), failed: new Set() };
  const visit = (node: unknown, path: PathSeg[]): void => {
    if (isAlias(node)) return; // the anchored node is visited where it is defined
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        visit(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => visit(item, [...path, i]));
    } else if (isScalar(node) && typeof node.value === 'string' && node.value.includes('$')) {
      const where = formatPath(path);
      const r = expand(node.value, env);
      if (!r.ok) {
        result.problems.push({ path: where, message: r.message, line: lineOf(node) });
        result.failed.add(where);
        return;
      }
      const value = node.type === Scalar.PLAIN && r.vars.length > 0 ? plainValue(r.value) : r.value;
      node.value = value;
      result.secrets.add(where, value, r.vars);
    }
  };
  visit(doc.contents, []);
  return result;
}
