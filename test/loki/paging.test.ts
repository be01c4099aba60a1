// query_range paging at nanosecond boundaries (services/loki/paging.ts): every entry
// exactly once whatever the page size, however many entries share a timestamp, and
// whatever order Loki gives entries that tie.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { cmpNs, entryHash, streamKey, type LokiEntry } from '../../services/loki/entries.js';
import { pageRange, type PageRequest } from '../../services/loki/paging.js';
import { LokiClient } from '../../services/loki/client.js';
import { FakeLoki } from '../helpers/fake-loki.js';

function entry(ts: bigint | number, line: string, labels: Record<string, string> = { job: 'x' }): LokiEntry {
  return { ts: String(ts), line, labels, stream: streamKey(labels) };
}

/** Loki's query_range semantics over an array: [start, end), forward, first `limit`; ties in a per-call shuffled order. */
function fakeFetch(all: LokiEntry[], seed = 1, log: PageRequest[] = []) {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff), s / 0x7fffffff);
  return async (req: PageRequest): Promise<LokiEntry[]> => {
    log.push(req);
    const got = all.filter((e) => cmpNs(e.ts, req.start) >= 0 && cmpNs(e.ts, req.end) < 0).map((e) => ({ e, k: rnd() }));
    got.sort((a, b) => cmpNs(a.e.ts, b.e.ts) || a.k - b.k);
    return got.slice(0, req.limit).map((x) => x.e);
  };
}

async function collect(gen: AsyncIterable<LokiEntry[]>): Promise<LokiEntry[]> {
  const out: LokiEntry[] = [];
  for await (const page of gen) out.push(...page);
  return out;
}

const key = (e: LokiEntry) => `${e.ts}|${e.stream}|${e.line}`;

describe('pageRange', () => {
  it('returns every entry exactly once across heavy timestamp collisions (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ t: fc.integer({ min: 0, max: 12 }), s: fc.integer({ min: 0, max: 2 }) }), { minLength: 0, maxLength: 300 }),
        fc.integer({ min: 1, max: 17 }),
        fc.integer({ min: 1, max: 1000 }),
        async (spec, pageLimit, seed) => {
          const all = spec.map((x, i) => entry(1_781_049_600_000_000_000n + BigInt(x.t), `line ${i}`, { job: 'x', s: String(x.s) }));
          const got = await collect(pageRange(fakeFetch(all, seed), { query: '{job="x"}', start: '1781049600000000000', end: '1781049600000000013', pageLimit, maxLimit: 4096 }));
          expect(got.map(key).sort()).toEqual(all.map(key).sort());
          for (let i = 1; i < got.length; i++) expect(cmpNs(got[i - 1]!.ts, got[i]!.ts)).toBeLessThanOrEqual(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('next page starts AT the last timestamp (not +1 ns) and skips what it already passed', async () => {
    const all = [entry(10, 'a'), entry(20, 'b'), entry(20, 'c'), entry(20, 'd'), entry(30, 'e'), entry(40, 'f')];
    const log: PageRequest[] = [];
    const got = await collect(pageRange(fakeFetch(all, 7, log), { query: 'q', start: '0', end: '100', pageLimit: 4 }));
    expect(got.map((e) => e.line)).toEqual(['a', ...got.slice(1, 4).map((e) => e.line), 'e', 'f']);
    expect(got.map((e) => e.line).sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    // Page 1 cut through ts 20 (a + three of b/c/d, or all three); page 2 re-reads ts 20 and drops them.
    expect(log.map((r) => r.start)).toEqual(['0', '20', '30']);
  });

  it('raises the limit when a whole page shares one timestamp, then drops back', async () => {
    const all = [...Array.from({ length: 7 }, (_, i) => entry(5, `same ${i}`)), entry(6, 'after'), entry(7, 'later'), entry(8, 'last')];
    const log: PageRequest[] = [];
    const got = await collect(pageRange(fakeFetch(all, 3, log), { query: 'q', start: '5', end: '100', pageLimit: 2, maxLimit: 16 }));
    expect(got).toHaveLength(10);
    expect(log.map((r) => [r.start, r.limit])).toEqual([
      ['5', 2],
      ['5', 4],
      ['5', 8],
      ['6', 2],
      ['7', 2],
      ['8', 2],
    ]);
  });

  it('fails loudly instead of skipping when more entries than maxLimit share one timestamp', async () => {
    const all = Array.from({ length: 9 }, (_, i) => entry(5, `same ${i}`));
    await expect(collect(pageRange(fakeFetch(all), { query: 'q', start: '0', end: '100', pageLimit: 2, maxLimit: 8 }))).rejects.toMatchObject({ code: 'TRIP_LOKI_PAGE_STUCK' });
  });

  it('skips the entries of a saved position at exactly its timestamp', async () => {
    const all = [entry(5, 'seen1'), entry(5, 'seen2'), entry(5, 'new'), entry(6, 'later')];
    const seen = ['seen1', 'seen2'].map((l) => entryHash(streamKey({ job: 'x' }), l));
    const got = await collect(pageRange(fakeFetch(all), { query: 'q', start: '5', end: '100', seenAtStart: seen }));
    expect(got.map((e) => e.line)).toEqual(['new', 'later']);
  });

  it('treats the same line in two streams at one timestamp as two entries', async () => {
    const all = [entry(5, 'dup', { job: 'a' }), entry(5, 'dup', { job: 'b' }), entry(5, 'dup', { job: 'c' })];
    const got = await collect(pageRange(fakeFetch(all), { query: 'q', start: '0', end: '100', pageLimit: 1, maxLimit: 4 }));
    expect(got.map((e) => e.labels['job']).sort()).toEqual(['a', 'b', 'c']);
  });
});

describe('LokiClient.queryRange over HTTP', () => {
  let fake: FakeLoki | undefined;
  afterEach(async () => fake?.stop());

  it('pages a fake Loki whose tie order changes per query, honouring its 5000 cap', async () => {
    fake = await new FakeLoki({ tieOrder: 'shuffle', maxLimit: 50 }).start();
    const base = 1_781_049_600_000_000_000n;
    const values: Array<[bigint, string]> = [];
    for (let i = 0; i < 400; i++) values.push([base + BigInt(Math.floor(i / 40)), `l${i}`]); // 40 per ns
    fake.add({ job: 'x' }, values);
    const client = new LokiClient({ url: fake.url, retries: 0 });
    const got = await collect(client.queryRange({ query: '{job="x"}', start: String(base), end: String(base + 100n), pageLimit: 16, maxLimit: 50 }));
    await client.close();
    expect(got.map((e) => e.line).sort()).toEqual(values.map((v) => v[1]).sort());
    expect(fake.queries.every((q) => q.limit <= 50)).toBe(true);
  });

  it('surfaces Loki\'s 400 for a limit above its cap as a non-retryable error', async () => {
    fake = await new FakeLoki({ maxLimit: 4 }).start();
    fake.add({ job: 'x' }, Array.from({ length: 6 }, (_, i): [bigint, string] => [5n, `s${i}`]));
    const client = new LokiClient({ url: fake.url, retries: 3, sleep: async () => undefined });
    await expect(collect(client.queryRange({ query: '{job="x"}', start: '0', end: '10', pageLimit: 4, maxLimit: 8 }))).rejects.toMatchObject({ code: 'TRIP_LOKI_HTTP_400', retryable: false });
    await client.close();
    // [0,10) limit 4, then [5,10) limit 4 (all on ts 5: stuck), then limit 8: the 400, not retried.
    expect(fake.requests.filter((r) => r.url.startsWith('/loki/api/v1/query_range')).length).toBe(3);
  });
});
