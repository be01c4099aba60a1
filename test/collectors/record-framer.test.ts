import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../services/collectors/line-splitter.js';
import { journalFramer, prettyJsonFramer } from '../../services/collectors/record-framer.js';
import type { Framer } from '../../services/collectors/record-framer.js';

const frame = (framer: Framer, text: string) => {
  const s = new LineSplitter();
  const lines = [...s.push(Buffer.from(text)), ...s.end()];
  return [...lines.flatMap((l) => framer.push(l)), ...framer.end()];
};

describe('prettyJsonFramer', () => {
  it('passes compact JSON lines through one per record', () => {
    const recs = frame(prettyJsonFramer(), '{"a":1}\n{"b":2}\n');
    expect(recs.map((r) => r.text)).toEqual(['{"a":1}', '{"b":2}']);
    expect(recs.map((r) => r.position)).toEqual(['line 1', 'line 2']);
  });

  it('joins a pretty-printed object into one record with its line range', () => {
    const recs = frame(prettyJsonFramer(), '{\n  "a" : "x",\n  "b" : 1\n}\n{"c":3}\n');
    expect(recs).toHaveLength(2);
    expect(JSON.parse(recs[0]!.text)).toEqual({ a: 'x', b: 1 });
    expect(recs[0]!.position).toBe('lines 1-4');
    expect(recs[1]!.text).toBe('{"c":3}');
  });

  it('an object never closed falls back to single lines, nothing dropped', () => {
    const recs = frame(prettyJsonFramer(), '{\n  "a": 1,\n');
    expect(recs.map((r) => r.text)).toEqual(['{', '  "a": 1,']);
  });
});

describe('journalFramer', () => {
  it('re-encodes export-format blocks as JSON objects, repeated fields as arrays', () => {
    const recs = frame(journalFramer(), '__CURSOR=s=1\nMESSAGE=hello\nX=1\nX=2\n\n__CURSOR=s=2\nMESSAGE=bye\n');
    expect(recs.map((r) => JSON.parse(r.text))).toEqual([
      { __CURSOR: 's=1', MESSAGE: 'hello', X: ['1', '2'] },
      { __CURSOR: 's=2', MESSAGE: 'bye' },
    ]);
    expect(recs[0]!.position).toBe('lines 1-4');
  });

  it('keeps a stray non-journal line as its own record for the parser to reject', () => {
    const recs = frame(journalFramer(), 'A=1\n\nSep 17 11:26:36 host kernel: x\nB=2\n');
    expect(recs.map((r) => r.text)).toEqual(['{"A":"1"}', 'Sep 17 11:26:36 host kernel: x', '{"B":"2"}']);
  });

  it('reads JSON lines unchanged', () => {
    expect(frame(journalFramer(), '{"MESSAGE":"m"}\n').map((r) => r.text)).toEqual(['{"MESSAGE":"m"}']);
  });
});
