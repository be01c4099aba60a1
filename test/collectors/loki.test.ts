// The Loki source of `tripline run` (services/collectors/loki.ts) against the fake Loki:
// positions saved and restored (timestamp + hashes of the entries passed at it), so a
// restart neither loses nor repeats entries, even when the restart falls in the middle
// of entries sharing one nanosecond; records carry refMs and the host from labels.
import { afterEach, describe, expect, it } from 'vitest';
import { LokiSourceSettings } from '../../schemas/loki.js';
import { LokiCollector, lokiPosition } from '../../services/collectors/loki.js';
import { silentLog } from '../../services/lib/log.js';
import { FakeLoki } from '../helpers/fake-loki.js';
import { Sink, numbered } from './collect.js';

let fake: FakeLoki;
const running: LokiCollector[] = [];
afterEach(async () => {
  for (const c of running.splice(0)) await c.stop();
  await fake?.stop();
});

function collector(o: { startAt?: 'end' | 'beginning'; now?: () => number; since?: string } = {}): LokiCollector {
  const loki = LokiSourceSettings.parse({ url: fake.url, query: '{job="sshd"}', retries: 1, since: o.since ?? '1h' });
  const c = new LokiCollector({ name: 'sshd-loki', kind: 'syslog', loki, startAt: o.startAt, log: silentLog, now: o.now });
  running.push(c);
  return c;
}

const nowNs = () => BigInt(Date.now()) * 1_000_000n;

describe('LokiCollector', () => {
  it('starts at "now" without saved state, reads what is pushed after, host from labels, refMs from the Loki timestamp', async () => {
    fake = await new FakeLoki().start();
    fake.add({ job: 'sshd', host: 'old' }, [[nowNs() - 60_000_000_000n, 'before start']]);
    const sink = new Sink();
    const c = collector();
    await c.start(undefined, sink.onBatch);
    expect(c.status().opened).toBe(true);
    const ts = nowNs();
    fake.add({ job: 'sshd', host: 'pve' }, [[ts, 'hello']]);
    await sink.untilCount(1);
    expect(sink.texts()).toEqual(['hello']);
    const rec = sink.records[0]!;
    expect(rec.defaultHost).toBe('pve');
    expect(rec.refMs).toBe(Number(ts / 1_000_000n));
    expect(rec.position).toMatch(/^loki 20\d\d-.*Z \{host="pve", job="sshd"\}$/);
    expect(lokiPosition(sink.position)).toMatchObject({ ts: String(ts) });
  });

  it('startAt: beginning reads `since` back', async () => {
    fake = await new FakeLoki().start();
    const now = Date.now();
    fake.add({ job: 'sshd' }, [
      [BigInt(now - 2 * 3600_000) * 1_000_000n, 'too old'],
      [BigInt(now - 1800_000) * 1_000_000n, 'within since'],
    ]);
    const sink = new Sink();
    await collector({ startAt: 'beginning', since: '1h' }).start(undefined, sink.onBatch);
    await sink.untilCount(1);
    expect(sink.texts()).toEqual(['within since']);
  });

  it('restart from the saved position: no gap, no repeat, with the stop falling inside one nanosecond', async () => {
    fake = await new FakeLoki({ tieOrder: 'shuffle' }).start();
    const sink = new Sink();
    const first = collector();
    await first.start(undefined, sink.onBatch);
    const t = nowNs();
    const lines = numbered('l', 0, 30);
    // Ten entries on each of three nanoseconds; the first run sees only part of the second.
    fake.add({ job: 'sshd' }, lines.slice(0, 10).map((l): [bigint, string] => [t, l]));
    fake.add({ job: 'sshd' }, lines.slice(10, 14).map((l): [bigint, string] => [t + 1n, l]));
    await sink.untilCount(14);
    await first.stop();
    running.splice(running.indexOf(first), 1);
    const saved = sink.position;
    expect(lokiPosition(saved)).toMatchObject({ ts: String(t + 1n) });
    expect(lokiPosition(saved)!.seen).toHaveLength(4);
    // While tripline is down: the rest of ns t+1, and ns t+2.
    fake.add({ job: 'sshd' }, lines.slice(14, 20).map((l): [bigint, string] => [t + 1n, l]));
    fake.add({ job: 'sshd' }, lines.slice(20, 30).map((l): [bigint, string] => [t + 2n, l]));
    const second = collector();
    await second.start(saved, sink.onBatch);
    await sink.untilCount(30);
    fake.add({ job: 'sshd' }, [[t + 3n, 'live after restart']]);
    await sink.untilCount(31);
    await new Promise((r) => setTimeout(r, 200)); // nothing else trickles in
    expect(sink.texts().slice(0, 30).sort()).toEqual(lines);
    expect(sink.texts()).toHaveLength(31);
    expect(new Set(sink.texts()).size).toBe(31);
  });

  it('ignores a saved position that is not a Loki position and says why in the log', () => {
    expect(lokiPosition({ dev: 1, ino: 2, offset: 3 })).toBeUndefined();
    expect(lokiPosition({ ts: '12x' })).toBeUndefined();
    expect(lokiPosition({ ts: '17', seen: ['0123456789abcdef', 'nope', 5] })).toEqual({ ts: '17', seen: ['0123456789abcdef'] });
  });

  it('a query Loki refuses: not ready, the reason in status(), and stop() does not wait for the retry', async () => {
    fake = await new FakeLoki().start();
    fake.failures.push({ status: 400, body: 'parse error : syntax error: unexpected IDENTIFIER' });
    const c = collector();
    await c.start(undefined, new Sink().onBatch);
    expect(c.status().opened).toBe(false);
    expect(c.status().detail).toMatch(/failed.*HTTP 400: parse error/);
    const t0 = Date.now();
    await c.stop();
    running.splice(running.indexOf(c), 1);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('reports an unreachable Loki in status() and keeps retrying until it is back', async () => {
    fake = await new FakeLoki().start();
    const url = fake.url;
    await fake.stop();
    const loki = LokiSourceSettings.parse({ url, query: '{job="sshd"}', retries: 0, timeout: '1s' });
    const c = new LokiCollector({ name: 'down', kind: 'syslog', loki, log: silentLog, openTimeoutMs: 3000 });
    running.push(c);
    await c.start(undefined, new Sink().onBatch);
    expect(c.status().opened).toBe(false);
    expect(c.status().detail).toMatch(/last problem: .*ECONNREFUSED/);
    fake = await new FakeLoki().start(); // for afterEach
  });
});
