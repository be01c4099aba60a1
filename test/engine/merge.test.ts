import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mergeByTime } from '../../services/engine/merge.js';

interface Item {
  ms: number;
  ns: number;
  tag: string;
}

const key = (x: Item) => [x.ms, x.ns] as const;
const it_ = (ms: number, tag: string, ns = 0): Item => ({ ms, ns, tag });

async function collect<T>(g: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of g) out.push(x);
  return out;
}

async function* slowly<T>(items: T[], delayEvery = 2): AsyncGenerator<T> {
  let i = 0;
  for (const x of items) {
    if (++i % delayEvery === 0) await new Promise((r) => setImmediate(r));
    yield x;
  }
}

describe('mergeByTime', () => {
  it('orders by (ms, ns) across inputs', async () => {
    const a = [it_(1, 'a1'), it_(5, 'a5'), it_(9, 'a9')];
    const b = [it_(2, 'b2'), it_(5, 'b5-ns7', 7), it_(8, 'b8')];
    const c = [it_(0, 'c0'), it_(10, 'c10')];
    const out = await collect(mergeByTime([slowly(a), b, slowly(c, 1)], key));
    expect(out.map((x) => x.tag)).toEqual(['c0', 'a1', 'b2', 'a5', 'b5-ns7', 'b8', 'a9', 'c10']);
  });

  it('is stable: ties go to the lower input index, then arrival order within an input', async () => {
    const a = [it_(5, 'a-first'), it_(5, 'a-second')];
    const b = [it_(5, 'b-first'), it_(5, 'b-second')];
    const out = await collect(mergeByTime([b, a], key));
    expect(out.map((x) => x.tag)).toEqual(['b-first', 'b-second', 'a-first', 'a-second']);
  });

  it('keeps an out-of-order input in its own order and handles -Infinity keys', async () => {
    const a = [it_(Number.NEGATIVE_INFINITY, 'err-before-first-event'), it_(10, 'a10'), it_(3, 'a3-late')];
    const b = [it_(Number.NEGATIVE_INFINITY, 'b-err'), it_(4, 'b4')];
    const out = await collect(mergeByTime([a, b], key));
    expect(out.map((x) => x.tag)).toEqual(['err-before-first-event', 'b-err', 'b4', 'a10', 'a3-late']);
  });

  it('handles no inputs and empty inputs', async () => {
    expect(await collect(mergeByTime<Item>([], key))).toEqual([]);
    expect((await collect(mergeByTime([[], [it_(1, 'x')], []], key))).map((x) => x.tag)).toEqual(['x']);
  });

  it('closes the inputs when the consumer stops early', async () => {
    const closed: string[] = [];
    async function* input(name: string, items: Item[]): AsyncGenerator<Item> {
      try {
        for (const x of items) yield x;
      } finally {
        closed.push(name);
      }
    }
    for await (const x of mergeByTime([input('a', [it_(1, 'a1'), it_(3, 'a3')]), input('b', [it_(2, 'b2'), it_(4, 'b4')])], key)) {
      if (x.tag === 'b2') break;
    }
    expect(closed.sort()).toEqual(['a', 'b']);
  });

  it('property: the output of sorted inputs is sorted, complete and stable', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 30 }), { maxLength: 6 }), async (lists) => {
        const inputs = lists.map((l, i) => [...l].sort((x, y) => x - y).map((ms, j) => it_(ms, `${i}:${j}`)));
        const out = await collect(mergeByTime(inputs.map((l) => slowly(l, 3)), key));
        const expected = inputs
          .flat()
          .sort((x, y) => x.ms - y.ms || Number(x.tag.split(':')[0]) - Number(y.tag.split(':')[0]) || Number(x.tag.split(':')[1]) - Number(y.tag.split(':')[1]));
        expect(out.map((x) => x.tag)).toEqual(expected.map((x) => x.tag));
      }),
      { numRuns: 100 },
    );
  });
});
