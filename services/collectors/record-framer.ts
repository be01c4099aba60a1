// Turns lines into records. Most inputs are one record per line; two are not:
// `journalctl -o json-pretty` (and pretty-printed audit JSON) spreads one object over
// many lines, and `journalctl -o export` writes KEY=VALUE blocks separated by blank
// lines. Framing is per input kind (FRAMERS), so parsers always see one record.
// Invariant: every line ends up in exactly one record; nothing is dropped silently.
import type { InputKind } from '../../schemas/event.js';
import type { RawLine } from './line-splitter.js';

export interface InputRecord {
  text: string;
  /** "line N" or "lines N-M". */
  position: string;
  lineNo: number;
  offset: number;
  invalidUtf8: boolean;
  truncated: boolean;
}

export interface Framer {
  push(line: RawLine): InputRecord[];
  end(): InputRecord[];
  /** True when no record is open, so the next line would be a record of its own if it is not "{" (issue 8: the replay's in-place prefilter may consume it). */
  idle(): boolean;
}

/** Lines a multi-line record may span before it is cut into single lines again. */
const MAX_RECORD_LINES = 10_000;
const MAX_RECORD_CHARS = 1024 * 1024;

function single(line: RawLine): InputRecord {
  return {
    text: line.text,
    position: `line ${line.lineNo}`,
    lineNo: line.lineNo,
    offset: line.offset,
    invalidUtf8: line.invalidUtf8,
    truncated: line.truncated,
  };
}

function joined(lines: RawLine[], text: string): InputRecord {
  const first = lines[0]!;
  const last = lines[lines.length - 1]!;
  return {
    text,
    position: lines.length === 1 ? `line ${first.lineNo}` : `lines ${first.lineNo}-${last.lineNo}`,
    lineNo: first.lineNo,
    offset: first.offset,
    invalidUtf8: lines.some((l) => l.invalidUtf8),
    truncated: lines.some((l) => l.truncated),
  };
}

export function lineFramer(): Framer {
  return { push: (line) => [single(line)], end: () => [], idle: () => true };
}

/**
 * Pretty-printed JSON: a line that is exactly "{" opens a record that a line that is
 * exactly "}" closes (how json-pretty and jq print a top-level object). Compact JSON
 * lines never look like that, so they pass through untouched.
 */
export function prettyJsonFramer(): Framer {
  let open: RawLine[] = [];
  let chars = 0;
  const flushAsSingles = () => {
    const out = open.map(single);
    open = [];
    chars = 0;
    return out;
  };
  return {
    push(line) {
      if (open.length === 0) {
        if (line.text.trim() === '{') {
          open.push(line);
          chars = 1;
          return [];
        }
        return [single(line)];
      }
      open.push(line);
      chars += line.text.length;
      if (line.text.trimEnd() === '}') {
        const rec = joined(open, open.map((l) => l.text).join('\n'));
        open = [];
        chars = 0;
        return [rec];
      }
      if (open.length > MAX_RECORD_LINES || chars > MAX_RECORD_CHARS) return flushAsSingles();
      return [];
    },
    end: flushAsSingles,
    idle: () => open.length === 0,
  };
}

const EXPORT_FIELD = /^[A-Za-z0-9_]{1,64}=/;

/**
 * journald input: JSON lines (compact or pretty), or the export format's KEY=VALUE
 * blocks, each block re-encoded as the JSON object `journalctl -o json` would print.
 * A line that is neither (e.g. a stray syslog line) stays a record of its own and
 * fails in the parser, where it is counted.
 */
export function journalFramer(): Framer {
  const pretty = prettyJsonFramer();
  let block: RawLine[] = [];
  const closeBlock = (): InputRecord[] => {
    if (block.length === 0) return [];
    const entry: Record<string, string | string[]> = {};
    for (const l of block) {
      const eq = l.text.indexOf('=');
      const key = l.text.slice(0, eq);
      const value = l.text.slice(eq + 1);
      const prev = entry[key];
      // A repeated field becomes an array, as -o json prints it.
      entry[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
    }
    const rec = joined(block, JSON.stringify(entry));
    block = [];
    return [rec];
  };
  return {
    push(line) {
      if (block.length > 0) {
        if (line.text === '') return closeBlock();
        if (EXPORT_FIELD.test(line.text) && block.length < MAX_RECORD_LINES) {
          block.push(line);
          return [];
        }
        return [...closeBlock(), ...pretty.push(line)];
      }
      if (EXPORT_FIELD.test(line.text)) {
        block.push(line);
        return [];
      }
      return pretty.push(line);
    },
    end: () => [...closeBlock(), ...pretty.end()],
    idle: () => block.length === 0 && pretty.idle(),
  };
}

/** The framer for each input kind (convention 7: a registry, not a switchboard). */
export const FRAMERS: Record<InputKind, () => Framer> = {
  'k8s-audit': prettyJsonFramer,
  'vault-audit': prettyJsonFramer,
  journal: journalFramer,
  swarm: prettyJsonFramer,
  syslog: lineFramer,
  snort: lineFramer,
};
