import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { defineRule, type MatchRule, type ThresholdRule } from '../../rules/define.js';
import type { SecurityEvent } from '../../schemas/event.js';
import { alertId } from '../../services/engine/alert-id.js';
import { at, makeEvent } from '../helpers/events.js';
import { feed, makeEngine, run } from '../helpers/engine.js';

// A threshold rule over auth.failure events: key = host, dedupe = target.name (or the
// event id), item = actor name, weight = ssh.failures. Threshold 3 in 60 s.
const T: ThresholdRule = defineRule({
  kind: 'threshold',
  id: 'TT',
  title: 'test threshold',
  severity: 'warning',
  sources: ['syslog'],
  apps: ['other', 'sshd'],
  runbook: 'tt',
  tags: ['T0000'],
  description: 'test',
  threshold: () => 3,
  window: () => 60_000,
  select: (e) =>
    e.action !== 'auth.failure'
      ? null
      : {
          key: e.host ?? '-',
          dedupe: e.target.name ?? e.id,
          ...(e.actor.name ? { item: e.actor.name } : {}),
          ...(e.ssh ? { weight: e.ssh.failures } : {}),
        },
  describe: (agg) => ({ summary: `${agg.count} for ${agg.key}: ${agg.items.map((i) => `${i.value}=${i.count}`).join(',')}` }),
});

const MATCH_ALL: MatchRule = defineRule({
  kind: 'match',
  id: 'MM',
  title: 'test match',
  severity: 'info',
  sources: ['syslog'],
  apps: ['other'],
  runbook: 'mm',
  tags: [],
  description: 'every auth.failure',
  match: (e) => (e.action === 'auth.failure' ? { key: e.id, summary: 'seen' } : null),
});

const fail = (sec: number, over: Parameters<typeof makeEvent>[0] = {}): SecurityEvent =>
  makeEvent({ tsMs: at(sec), action: 'auth.failure', actor: { name: 'u', kind: 'human', id: null }, ...over });

describe('threshold windows', () => {
  it('fires at the crossing (count > threshold), not when the window closes', () => {
    const events = [fail(0), fail(10), fail(20), fail(30), fail(31)];
    const engine = makeEngine([T]);
    const perPush = events.map((e) => engine.push({ event: e, line: `line-${e.id}` }).length);
    expect(perPush).toEqual([0, 0, 0, 1, 0]);
  });

  it('builds the alert from the window: count, times, evidence, items, runbook, id', () => {
    const events = [fail(0), fail(10), fail(20), fail(30)];
    const [a, ...rest] = run([T], events);
    expect(rest).toEqual([]);
    expect(a).toMatchObject({
      rule: 'TT',
      severity: 'warning',
      title: 'test threshold',
      key: 'host1',
      count: 4,
      ts: '2026-06-10T00:00:30Z',
      firstSeen: '2026-06-10T00:00:00Z',
      lastSeen: '2026-06-10T00:00:30Z',
      summary: '4 for host1: u=4',
      runbook: 'docs/runbooks.md#tt',
      tags: ['T0000'],
    });
    expect(a!.id).toBe(alertId('TT', 'host1', `t:${events[3]!.tsMs}.${events[3]!.tsSubNs}`));
    expect(a!.id).toMatch(/^[0-9a-f]{24}$/);
    expect(a!.evidence.map((x) => x.position)).toEqual(events.map((e) => e.source.position));
  });

  it('does not fire at exactly the threshold, nor when events spread beyond the window', () => {
    expect(run([T], [fail(0), fail(10), fail(20)])).toEqual([]);
    expect(run([T], [fail(0), fail(30), fail(61), fail(91), fail(122), fail(152)])).toEqual([]);
  });

  it('counts a dedupe id once however often it appears', () => {
    const dup = (s: number) => fail(s, { target: { name: 'req-A' } });
    expect(run([T], [dup(0), dup(1), dup(2), fail(3), fail(4)])).toEqual([]);
    const alerts = run([T], [dup(0), dup(1), fail(3), fail(4), fail(5)]);
    expect(alerts.map((a) => a.count)).toEqual([4]);
  });

  it('sums weights', () => {
    const alerts = run([T], [fail(0, { ssh: { form: 'failed', pid: 1, user: 'u', invalidUser: false, method: null, keyType: null, keyFingerprint: null, localAddr: null, localPort: null, failures: 5 } })]);
    expect(alerts.map((a) => [a.count, a.summary])).toEqual([[5, '5 for host1: u=5']]);
  });

  it('keeps quiet for the cooldown (default = window) after firing, then fires again with a new id', () => {
    // Fires at 3 s; 30, 59 and 62 s are within 60 s of it; 63 s is not and its window is over.
    const events = [0, 1, 2, 3, 4, 5, 30, 59, 62, 63, 64, 65].map((s) => fail(s));
    const alerts = run([T], events);
    expect(alerts.map((a) => a.ts)).toEqual(['2026-06-10T00:00:03Z', '2026-06-10T00:01:03Z']);
    expect(alerts.map((a) => a.count)).toEqual([4, 7]);
    expect(new Set(alerts.map((a) => a.id)).size).toBe(2);
  });

  it('takes the cooldown from config.rules.<id>.cooldown', () => {
    const events = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((s) => fail(s));
    const alerts = run([T], events, { config: { rules: { TT: { cooldown: '5s' } } } });
    expect(alerts.map((a) => a.ts)).toEqual(['2026-06-10T00:00:03Z', '2026-06-10T00:00:08Z']);
  });

  it('keeps keys apart', () => {
    const a = (s: number) => fail(s, { host: 'a' });
    const b = (s: number) => fail(s, { host: 'b' });
    const alerts = run([T], [a(0), b(0), a(1), b(1), a(2), b(2), a(3)]);
    expect(alerts.map((x) => x.key)).toEqual(['a']);
  });
});

describe('out-of-order events within the allowed lateness', () => {
  const burst = [fail(0), fail(5), fail(10), fail(15)];
  const inOrder = run([T], burst);

  it('gives the same alert and id when the trigger arrives before earlier events', () => {
    const shuffled = [burst[3]!, burst[0]!, burst[2]!, burst[1]!];
    const alerts = run([T], shuffled);
    expect(alerts.map((a) => [a.id, a.count, a.ts, a.firstSeen])).toEqual(inOrder.map((a) => [a.id, a.count, a.ts, a.firstSeen]));
    expect(alerts[0]!.evidence.map((e) => e.position)).toEqual(inOrder[0]!.evidence.map((e) => e.position));
  });

  it('gives the same alert and id for a fully reversed burst', () => {
    const alerts = run([T], [...burst].reverse());
    expect(alerts.map((a) => a.id)).toEqual(inOrder.map((a) => a.id));
  });

  it('orders entries of one instant by dedupe id, so the window is the same whatever their arrival', () => {
    const tie = [fail(0), fail(1), fail(3, { target: { name: 'b' } }), fail(3, { target: { name: 'a' } })];
    const one = run([T], [...tie, fail(4)]);
    const two = run([T], [tie[0]!, tie[1]!, tie[3]!, tie[2]!, fail(4)]);
    expect(one.map((a) => [a.count, a.firstSeen, a.evidence.length])).toEqual([[4, '2026-06-10T00:00:00Z', 4]]);
    expect(two.map((a) => [a.count, a.firstSeen, a.evidence.length])).toEqual([[4, '2026-06-10T00:00:00Z', 4]]);
  });

  it('property: threshold+1 events of a burst, in any order within the lateness, give one alert with the in-order id', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 25_000 }), { minLength: 4, maxLength: 4 }),
        fc.integer({ min: 0, max: 1000 }),
        (offsetsMs, seed) => {
          const events = offsetsMs.sort((x, y) => x - y).map((ms) => fail(ms / 1000));
          const noise = [fail(1, { host: 'other' }), fail(2, { host: 'other' })];
          const expected = run([T], [...events, ...noise].sort((x, y) => x.tsMs - y.tsMs));
          // A deterministic shuffle from the seed; the burst spans < 30 s, so nothing is late.
          const all = [...events, ...noise];
          const shuffled = all.map((e, i) => ({ e, k: (i * 7919 + seed * 104729) % 1009 })).sort((x, y) => x.k - y.k).map((x) => x.e);
          const got = run([T], shuffled);
          expect(got.map((a) => a.id)).toEqual(expected.map((a) => a.id));
          expect(got).toHaveLength(1);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('late events and the watermark', () => {
  it('puts the watermark at max event time minus allowedLateness', () => {
    const engine = makeEngine([T]);
    feed(engine, [fail(100), fail(40)], false);
    expect(engine.stats().watermarkMs).toBe(at(70));
    const e2 = makeEngine([T], { config: { engine: { allowedLateness: '5s' } } });
    feed(e2, [fail(100)], false);
    expect(e2.stats().watermarkMs).toBe(at(95));
    expect(makeEngine([T]).stats().watermarkMs).toBeNull();
  });

  it('counts events behind the watermark as late and keeps them out of windows', () => {
    const engine = makeEngine([T, MATCH_ALL]);
    // Three failures at 100-102 s, then one from 60 s: 60 < 102 - 30, so late.
    const alerts = feed(engine, [fail(100), fail(101), fail(102), fail(60)]);
    expect(engine.stats().late).toBe(1);
    expect(engine.stats().events).toBe(4);
    expect(alerts.filter((a) => a.rule === 'TT')).toEqual([]);
    // ...but stateless rules still see it.
    expect(alerts.filter((a) => a.rule === 'MM')).toHaveLength(4);
  });

  it('judges lateness per source: a source lagging another is not late, and keeps its windows', () => {
    const slow = (sec: number) => fail(sec, { source: { name: 'slow', kind: 'syslog' } });
    const fast = (sec: number, i: number) => makeEvent({ tsMs: at(sec), host: `f${i}`, source: { name: 'fast', kind: 'journal' } });
    const engine = makeEngine([T]);
    // 'fast' runs an hour ahead and pushes enough to trigger an idle-key sweep (every 1024 events).
    const ahead = Array.from({ length: 1100 }, (_, i) => fast(3600 + i, i));
    const alerts = feed(engine, [slow(0), slow(1), slow(2), ...ahead, slow(3)]);
    expect(engine.stats().late).toBe(0);
    expect(alerts.map((a) => [a.key, a.count, a.ts])).toEqual([['host1', 4, '2026-06-10T00:00:03Z']]);
    // Within one source, an event behind that source's own watermark is late.
    const e2 = makeEngine([T]);
    feed(e2, [slow(100), fast(0, 0), slow(60)], false);
    expect(e2.stats().late).toBe(1);
  });

  it('an event exactly at the watermark is not late', () => {
    const engine = makeEngine([T]);
    feed(engine, [fail(100), fail(70)], false);
    expect(engine.stats().late).toBe(0);
  });
});

describe('long-lived keys', () => {
  it('keeps counts exact while old entries expire and the arrays compact', () => {
    // One failure every 21 s: at most 3 in any 60 s window, so 500 of them never fire.
    const steady = Array.from({ length: 500 }, (_, i) => fail(i * 21));
    const end = 500 * 21;
    const burst = [fail(end + 1), fail(end + 2)];
    const alerts = run([T], [...steady, ...burst]);
    // Window ending at end+2: steady entries at 10479 and 10458 (≥ end+2-60) plus the burst.
    expect(alerts.map((a) => [a.count, a.firstSeen, a.evidence.length])).toEqual([[4, '2026-06-10T02:54:18Z', 4]]);
  });
});

describe('bounded keys', () => {
  it('evicts the least recently updated key at engine.maxKeys and counts it', () => {
    const engine = makeEngine([T], { config: { engine: { maxKeys: 2 } } });
    const k = (h: string, s: number) => fail(s, { host: h });
    const alerts = feed(engine, [k('a', 0), k('a', 1), k('a', 2), k('b', 3), k('a', 4), k('c', 5), k('b', 6), k('a', 7)]);
    // c evicts b (a was updated at 4 s), b's return evicts a, a's return evicts c.
    expect(engine.stats().evictions.TT).toBe(3);
    expect(engine.stats().keys.TT).toBe(2);
    // 'a' had 4 entries before its eviction: it fired at its 4th; after eviction it restarts.
    expect(alerts.map((a) => a.key)).toEqual(['a']);
  });

  it('sweeps idle keys whose entries expired', () => {
    const engine = makeEngine([T]);
    const events = Array.from({ length: 1100 }, (_, i) => fail(i * 2, { host: `h${i}` }));
    feed(engine, events, false);
    expect(engine.stats().keys.TT).toBeLessThan(200);
    expect(engine.stats().evictions.TT).toBe(0);
  });
});

describe('threshold ids within one instant', () => {
  it('the same alert id whatever the arrival order of entries sharing a timestamp', async () => {
    const { S2 } = await import('../../rules/ssh/s2-brute-force.js');
    const { Engine } = await import('../../services/engine/engine.js');
    const { Config } = await import('../../schemas/config.js');
    const { parseLine } = await import('../helpers/events.js');
    // 15 failures from one address in the same second, in two different orders.
    const lines = Array.from({ length: 15 }, (_, i) => `Jun 10 00:00:01 pve sshd[${500 + i}]: Failed password for root from 203.0.113.9 port ${40000 + i} ssh2`);
    const ids = [lines, [...lines].reverse()].map((ls) => {
      const engine = new Engine({ rules: [S2], config: Config.parse({}) });
      return ls.flatMap((l) => engine.push({ event: parseLine('syslog', l), line: l })).map((a) => a.id);
    });
    expect(ids[0]).toHaveLength(1);
    expect(ids[1]).toEqual(ids[0]);
  });
});
