// The tail websocket with catch-up, reconnects and dropped entries
// (services/loki/tail.ts), against the fake Loki: every entry exactly once across a
// saved position, forced disconnects, colliding timestamps at the seam and entries
// Loki reports as dropped.
import { afterEach, describe, expect, it } from 'vitest';
import { LokiClient } from '../../services/loki/client.js';
import { entryHash, flattenStreams, RecentKeys, SeamTracker, streamKey, type LokiEntry } from '../../services/loki/entries.js';
import type { TailBatch, TailOptions, TailPosition } from '../../services/loki/tail.js';
import { FakeLoki } from '../helpers/fake-loki.js';

let fake: FakeLoki;
let client: LokiClient;
afterEach(async () => {
  await client?.close();
  await fake?.stop();
});

async function setup(o: { loki3Labels?: boolean } = {}): Promise<void> {
  fake = await new FakeLoki({ tieOrder: 'shuffle', ...o }).start();
  client = new LokiClient({ url: fake.url, retries: 2, sleep: async () => undefined });
}

const NOW = 1_795_000_000_000; // fixed "now" (ms): every test entry is around it
const ns = (ms: number, extra = 0n) => BigInt(ms) * 1_000_000n + extra;

interface Run {
  batches: TailBatch[];
  lines(): string[];
  position(): TailPosition | undefined;
  stop(): Promise<void>;
  until(n: number, ms?: number): Promise<void>;
  statuses: string[];
  dropped: number;
}

function follow(o: Partial<TailOptions> & { from?: TailPosition }, delayMs = 0): Run {
  const ac = new AbortController();
  const batches: TailBatch[] = [];
  const statuses: string[] = [];
  const run: Run = {
    batches,
    statuses,
    dropped: 0,
    lines: () => batches.flatMap((b) => b.entries.map((e) => e.line)),
    position: () => batches.at(-1)?.position,
    stop: async () => {
      ac.abort();
      await done;
    },
    until: async (n, ms = 5000) => {
      const t0 = Date.now();
      while (run.lines().length < n) {
        if (Date.now() - t0 > ms) throw new Error(`only ${run.lines().length} of ${n} entries after ${ms} ms; statuses ${statuses.join(',')}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
  const gen = client.tail(
    {
      query: '{job="x"}',
      now: () => NOW,
      settleMs: 20,
      sleep: (ms, signal) => new Promise((r) => (signal.aborted ? r() : setTimeout(r, Math.min(ms, 20)))),
      onStatus: (s) => statuses.push(s.state),
      onDropped: (d) => (run.dropped += d.count),
      ...o,
    },
    ac.signal,
  );
  const done = (async () => {
    for await (const b of gen) {
      batches.push(b);
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    }
  })();
  return run;
}

describe('entries', () => {
  it('flattens categorized streams into one time order with both label forms', () => {
    const got = flattenStreams([
      { stream: { job: 'x' }, values: [['5', 'b', { structuredMetadata: { detected_level: 'info' } }], ['9', 'd', {}]] },
      { stream: { job: 'y' }, values: [['3', 'a'], ['5', 'c']] },
    ]);
    expect(got.map((e) => e.line)).toEqual(['a', 'b', 'c', 'd']);
    expect(got[1]).toEqual({ ts: '5', line: 'b', labels: { job: 'x', detected_level: 'info' }, stream: '{job="x"}', alt: '{detected_level="info", job="x"}' });
  });

  it('matches an entry read from query_range (categorized) with the same entry from the tail in either label form', () => {
    const fromQuery = flattenStreams([{ stream: { job: 'x' }, values: [['5', 'b', { structuredMetadata: { detected_level: 'info' } }]] }])[0]!;
    const plainTail: LokiEntry = { ts: '5', line: 'b', labels: { job: 'x' }, stream: streamKey({ job: 'x' }) };
    const mergedTail: LokiEntry = { ts: '5', line: 'b', labels: { job: 'x', detected_level: 'info' }, stream: streamKey({ job: 'x', detected_level: 'info' }) };
    const recent = new RecentKeys();
    recent.add(fromQuery);
    expect(recent.has(plainTail) && recent.has(mergedTail)).toBe(true);
    const seam = new SeamTracker();
    seam.advance(plainTail);
    expect(seam.isSeen(fromQuery)).toBe(true);
    expect(seam.isSeen({ ...plainTail, line: 'other' })).toBe(false);
  });
});

describe('tail', () => {
  it('catches up from a saved position (skipping what it had passed at its timestamp), then streams', async () => {
    await setup();
    const t = ns(NOW - 5000);
    fake.add({ job: 'x' }, [
      [t - 1n, 'before'],
      [t, 'seen-1'],
      [t, 'seen-2'],
      [t, 'unseen-at-seam'],
      [t + 1n, 'after-1'],
    ]);
    const seen = ['seen-1', 'seen-2'].map((l) => entryHash('{job="x"}', l));
    const run = follow({ from: { ts: String(t), seen } });
    await run.until(2);
    fake.add({ job: 'x' }, [[ns(NOW + 10), 'live-1']]);
    await run.until(3);
    await run.stop();
    expect(run.lines().sort()).toEqual(['after-1', 'live-1', 'unseen-at-seam']);
    expect(run.batches[0]!.phase).toBe('catch-up');
    expect(run.batches.at(-1)!.phase).toBe('live');
    expect(run.position()).toEqual({ ts: String(ns(NOW + 10)), seen: [entryHash('{job="x"}', 'live-1')] });
  });

  it('reconnects after Loki closes the tail: nothing lost or repeated, even with entries colliding on the seam timestamp', async () => {
    await setup();
    const run = follow({ from: { ts: String(ns(NOW - 1000)), seen: [] } });
    await new Promise((r) => setTimeout(r, 100));
    const seamTs = ns(NOW);
    fake.add({ job: 'x' }, [
      [seamTs, 'a1'],
      [seamTs, 'a2'],
    ]);
    await run.until(2);
    // Loki goes away; while it is, more entries land, some on the very same ns.
    fake.closeTails();
    fake.add({ job: 'x' }, [
      [seamTs, 'a3'],
      [seamTs + 1n, 'b1'],
      [seamTs + 1n, 'b2'],
    ], false);
    await run.until(5);
    fake.add({ job: 'x' }, [[seamTs + 2n, 'c1']]);
    await run.until(6);
    await run.stop();
    const lines = run.lines();
    expect(new Set(lines).size).toBe(lines.length);
    expect([...lines].sort()).toEqual(['a1', 'a2', 'a3', 'b1', 'b2', 'c1']);
    expect(run.statuses.filter((s) => s === 'disconnected').length).toBeGreaterThanOrEqual(1);
    expect(fake.requests.filter((r) => r.method === 'WS').length).toBeGreaterThanOrEqual(2);
  });

  it('Loki 3 label forms: a position saved from live entries (bare labels) dedups the backfill (merged) and the catch-up (categorized)', async () => {
    await setup({ loki3Labels: true });
    const first = follow({ from: { ts: String(ns(NOW - 1000)), seen: [] } });
    await new Promise((r) => setTimeout(r, 100));
    const t = ns(NOW);
    fake.add({ job: 'x' }, Array.from({ length: 10 }, (_, i): [bigint, string] => [t, `same-ns-${i}`]));
    await first.until(10);
    await first.stop();
    expect(first.batches.every((b) => b.phase === 'live')).toBe(true);
    // Restart from that position: Loki's backfill sends the ten again (merged labels),
    // the catch-up returns them again (categorized): neither may repeat them.
    const second = follow({ from: first.position() });
    await new Promise((r) => setTimeout(r, 300));
    fake.add({ job: 'x' }, [[t + 1n, 'next']]);
    await second.until(1);
    await new Promise((r) => setTimeout(r, 100));
    await second.stop();
    expect(second.lines()).toEqual(['next']);
  });

  it('reports dropped_entries and re-reads them with query_range', async () => {
    await setup();
    const run = follow({ from: { ts: String(ns(NOW - 1000)), seen: [] } });
    await new Promise((r) => setTimeout(r, 100));
    fake.add({ job: 'x' }, [[ns(NOW), 'kept']]);
    await run.until(1);
    // Loki skipped these two for a slow client: it stores them, tells us, sends nothing.
    fake.add({ job: 'x' }, [
      [ns(NOW, 1n), 'skipped-1'],
      [ns(NOW, 2n), 'skipped-2'],
    ], false);
    fake.sendDropped(fake.entries.filter((e) => e.line.startsWith('skipped')));
    await run.until(3);
    await run.stop();
    expect(run.dropped).toBe(2);
    expect(run.lines().sort()).toEqual(['kept', 'skipped-1', 'skipped-2']);
    expect(run.batches.at(-1)!.phase).toBe('repair');
  });

  it('a consumer slower than the stream: the socket is dropped and the backlog read with query_range, exactly once', async () => {
    await setup();
    const run = follow({ from: { ts: String(ns(NOW - 1000)), seen: [] }, maxBuffered: 5 }, 30);
    await new Promise((r) => setTimeout(r, 100));
    const want: string[] = [];
    for (let i = 0; i < 40; i++) {
      fake.add({ job: 'x' }, [[ns(NOW, BigInt(Math.floor(i / 3))), `e${i}`]]);
      want.push(`e${i}`);
    }
    await run.until(40, 10_000);
    await run.stop();
    expect(run.lines().sort()).toEqual(want.sort());
  });

  it('fails fast on a query Loki rejects (no endless websocket retries)', async () => {
    await setup();
    fake.failures.push({ status: 400, body: 'parse error at line 1, col 5: syntax error' });
    const ac = new AbortController();
    const gen = client.tail({ query: '{job=', now: () => NOW }, ac.signal);
    await expect(gen.next()).rejects.toThrow(/HTTP 400: parse error/);
  });
});
