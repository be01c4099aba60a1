import { describe, expect, it } from 'vitest';
import { LineSplitter, type LineTaker } from '../../services/collectors/line-splitter.js';

const feed = (chunks: (string | Buffer)[], max?: number) => {
  const s = new LineSplitter(0, 0, max);
  const out = chunks.flatMap((c) => s.push(typeof c === 'string' ? Buffer.from(c) : c));
  return [...out, ...s.end()];
};

describe('LineSplitter', () => {
  it('splits on newlines across chunk boundaries and keeps byte offsets', () => {
    const lines = feed(['ab', 'c\nde', 'f\n', 'g']);
    expect(lines.map((l) => l.text)).toEqual(['abc', 'def', 'g']);
    expect(lines.map((l) => l.offset)).toEqual([0, 4, 8]);
    expect(lines.map((l) => l.lineNo)).toEqual([1, 2, 3]);
    expect(lines.map((l) => l.bytes)).toEqual([4, 4, 1]);
  });

  it('strips CR of CRLF and a leading byte-order mark', () => {
    expect(feed(['\uFEFFa\r\nb\r\n']).map((l) => l.text)).toEqual(['a', 'b']);
  });

  it('keeps empty lines as lines (the parser counts them)', () => {
    expect(feed(['a\n\nb\n']).map((l) => l.text)).toEqual(['a', '', 'b']);
  });

  it('caps an over-long line, flags it, and never carries the rest into the next line', () => {
    const lines = feed(['x'.repeat(10), 'y'.repeat(10), '\nnext\n'], 8);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ text: 'xxxxxxxx', truncated: true, bytes: 21 });
    expect(lines[1]).toMatchObject({ text: 'next', truncated: false, offset: 21 });
  });

  it('flags invalid UTF-8 instead of throwing', () => {
    const lines = feed([Buffer.from([0x61, 0xff, 0xfe, 0x0a, 0x62, 0x0a])]);
    expect(lines[0]!.invalidUtf8).toBe(true);
    expect(lines[1]).toMatchObject({ text: 'b', invalidUtf8: false });
  });

  it('reports pending bytes of an incomplete line (a tailer holds them)', () => {
    const s = new LineSplitter();
    s.push(Buffer.from('done\npart'));
    expect(s.pendingBytes).toBe(4);
  });

  it('offers whole lines to a taker, runs first, and a line cut by a chunk start as one buffer; what it takes never reaches each', () => {
    const offered: string[] = [];
    // Takes lines starting with "q"; its run takes "q" lines from the front of what it is offered.
    const take: LineTaker = (chunk, from, end, lineNo, offset) => {
      const text = chunk.toString('utf8', from, end);
      offered.push(`one ${lineNo}@${offset} ${text}`);
      return text.startsWith('q');
    };
    take.run = (chunk, at, last, lineNo) => {
      const took: string[] = [];
      while (at.from <= last && chunk[at.from] === 0x71) {
        const nl = chunk.indexOf(10, at.from);
        took.push(chunk.toString('utf8', at.from, nl));
        at.from = nl + 1;
        at.lines++;
      }
      if (took.length > 0) offered.push(`run ${lineNo} ${took.join(',')}`);
    };
    const s = new LineSplitter();
    const each: string[] = [];
    for (const c of ['q1\nq2\nx3\nq', '4\nq5\nx', '6\n', 'x7\nq8']) s.pushEach(Buffer.from(c), take, (l) => each.push(`${l.lineNo}@${l.offset} ${l.text}`));
    for (const l of s.end()) each.push(`${l.lineNo}@${l.offset} ${l.text}`);
    expect(offered).toEqual(['run 1 q1,q2', 'one 3@6 x3', 'one 4@9 q4', 'run 5 q5', 'one 6@15 x6', 'one 7@18 x7']);
    expect(each).toEqual(['3@6 x3', '6@15 x6', '7@18 x7', '8@21 q8']);
  });

  it('resumes numbering and offsets from a saved position', () => {
    const s = new LineSplitter(100, 7);
    expect(s.push(Buffer.from('x\n'))[0]).toMatchObject({ offset: 100, lineNo: 8 });
  });
});
