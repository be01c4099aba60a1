// issue 7: the health lane's merge (health-lane.ts), the replica watermark
// (watermarks.ts), the wire records (records.ts) and partitioning (routing.ts).
import { describe, expect, it } from 'vitest';
import { Config } from '../../schemas/config.js';
import { rules } from '../../rules/index.js';
import { HealthLane, HealthMerger } from '../../services/kafka/health-lane.js';
import { PartitionWatermarks } from '../../services/kafka/watermarks.js';
import {
  RECORD_VERSION,
  decodeEventRecord,
  decodeSignalHeaders,
  encodeSignalHeaders,
  newEpoch,
  toHealth,
  SourceStamper,
  type EventRecord,
} from '../../services/kafka/records.js';
import { healthPartition, partitionFor, signalsFor } from '../../services/kafka/routing.js';
import { makeEvent, at } from '../helpers/events.js';

const rec = (src: string, seq: number, s: number | null, ep = 'e1'): EventRecord => ({
  v: RECORD_VERSION,
  src,
  kind: 'syslog',
  ep,
  seq,
  ms: s === null ? null : at(s),
  ns: 0,
  q: { ts: s === null ? '' : new Date(at(s)).toISOString(), pos: `line ${seq + 1}` },
  line: `${src} ${seq}`,
});
const names = (rs: EventRecord[]) => rs.map((r) => `${r.src}${r.seq}`);
const IDLE = 1000;

describe('HealthMerger: the replay order back from independent streams', () => {
  it('releases by event time across sources, only once every active source has something buffered', () => {
    const m = new HealthMerger(['a', 'b'], IDLE, 0);
    m.offer(rec('a', 0, 1), 0);
    m.offer(rec('a', 1, 3), 0);
    expect(m.release(0)).toEqual([]); // b may still send something older
    expect(m.waitingFor(0)).toEqual(['b']);
    m.offer(rec('b', 0, 2), 1);
    expect(names(m.release(1))).toEqual(['a0', 'b0']); // a1 (t=3) waits for b's next
    m.offer(rec('b', 1, 3), 2);
    expect(names(m.release(2))).toEqual(['a1']); // tie at t=3: config order (a before b)
    expect(m.buffered()).toBe(1);
  });

  it('restores each source\'s collector order from its sequence numbers and drops redeliveries', () => {
    const m = new HealthMerger(['a'], IDLE, 0);
    m.offer(rec('a', 1, 2), 0); // host 2's line arrived first
    expect(m.release(0)).toEqual([]);
    m.offer(rec('a', 0, 1), 0);
    m.offer(rec('a', 0, 1), 0); // redelivered
    expect(names(m.release(0))).toEqual(['a0', 'a1']);
    m.offer(rec('a', 1, 2), 5); // redelivered after release
    expect(m.release(5)).toEqual([]);
    expect(m.dropped).toBe(2);
  });

  it('a source silent for the idle timeout stops holding the others back; a parse failure before any event sorts first', () => {
    const m = new HealthMerger(['a', 'b'], IDLE, 0);
    m.offer(rec('a', 0, null), 0);
    m.offer(rec('a', 1, 5), 0);
    expect(m.release(999)).toEqual([]);
    expect(names(m.release(1000))).toEqual(['a0', 'a1']);
    expect(m.waitingFor(1000)).toEqual([]); // both idle now: nothing holds the lane
    m.offer(rec('b', 0, 7), 1001);
    expect(names(m.release(1001))).toEqual(['b0']); // b woke up; a is idle, so b goes through
  });

  it('skips a gap in a source\'s sequence after the idle timeout (a lost record never freezes the lane)', () => {
    const m = new HealthMerger(['a'], IDLE, 0);
    m.offer(rec('a', 0, 1), 0);
    m.offer(rec('a', 2, 3), 0);
    expect(names(m.release(10))).toEqual(['a0']);
    expect(names(m.release(1010))).toEqual(['a2']);
    expect(m.skipped).toBe(1);
  });

  it('a new collector epoch restarts the numbering; records of an older epoch are dropped', () => {
    const m = new HealthMerger(['a'], IDLE, 0);
    const old = newEpoch(1000, () => 0.1);
    const fresh = newEpoch(2000, () => 0.1);
    expect(old < fresh).toBe(true);
    m.offer(rec('a', 0, 1, old), 0);
    m.offer(rec('a', 1, 2, old), 0);
    m.offer(rec('a', 1, 4, fresh), 0); // the new epoch's seq 1 overtakes its seq 0
    m.offer(rec('a', 0, 3, fresh), 0);
    m.offer(rec('a', 2, 9, old), 0);
    expect(m.release(IDLE).map((r) => `${r.ep === old ? 'old' : 'new'}${r.seq}`)).toEqual(['old0', 'old1', 'new0', 'new1']);
  });

  it('continues identically from its JSON (a replica taking the partition over)', () => {
    const feed = [rec('a', 0, 1), rec('b', 1, 4), rec('a', 1, 2), rec('b', 0, 3), rec('a', 2, 5), rec('b', 2, 6)];
    const whole = new HealthMerger(['a', 'b'], IDLE, 0);
    const out1: string[] = [];
    for (const r of feed) {
      whole.offer(r, 0);
      out1.push(...names(whole.release(0)));
    }
    let m = new HealthMerger(['a', 'b'], IDLE, 0);
    const out2: string[] = [];
    for (const [i, r] of feed.entries()) {
      m.offer(r, 0);
      out2.push(...names(m.release(0)));
      if (i === 2) m = HealthMerger.fromJSON(JSON.parse(JSON.stringify(m.toJSON())), IDLE, 0, ['a', 'b']);
    }
    expect(out2).toEqual(out1);
    expect(out1).toEqual(['a0', 'a1', 'b0', 'b1', 'a2']);
  });
});

describe('HealthLane', () => {
  it('feeds H1/H2 in merged order and raises H1 for a source the others outlive', () => {
    const config = Config.parse({ health: { wallClock: false, maxSilence: { quiet: '10m' } }, kafka: { brokers: ['x:1'], idleTimeout: '1s' } });
    const sources = [
      { name: 'quiet', kind: 'syslog' as const },
      { name: 'busy', kind: 'syslog' as const },
    ];
    const lane = new HealthLane({ rules, config, sources, nowMs: 0 });
    lane.offer(rec('quiet', 0, 0), 0);
    for (let i = 0; i < 30; i++) lane.offer(rec('busy', i, i * 60), 0);
    // quiet has nothing more: until it is idle (1 s of wall time) nothing past t=0 is released
    expect(lane.release(500)).toEqual([]);
    const alerts = lane.release(1000);
    expect(alerts.map((a) => `${a.rule} ${a.key}`)).toEqual(['H1 quiet']);
    expect(alerts[0]!.evidence[0]!.line).toBe('quiet 0');
    expect(lane.stats(1000).buffered).toBe(0);
  });
});

describe('PartitionWatermarks', () => {
  it('is the minimum over the partitions; an idle one stops holding it back', () => {
    const w = new PartitionWatermarks(1000);
    w.assign([0, 1], 0);
    w.observe(0, at(10), 0);
    expect(w.watermark(0)).toBeNull(); // partition 1 has told nothing yet
    w.observe(1, at(5), 100);
    expect(w.watermark(100)).toBe(at(5));
    w.observe(0, at(20), 900);
    expect(w.watermark(1099)).toBe(at(5));
    expect(w.watermark(1100)).toBe(at(20)); // 1 idle since 100
    expect(w.idle(1100)).toEqual([1]);
    w.assign([0], 1200);
    expect(w.watermark(1200)).toBe(at(20));
  });
});

describe('records and routing', () => {
  it('round-trips an event record; refuses other versions and ambiguous records', () => {
    const st = new SourceStamper('auth', 'syslog', { ep: 'e', seq: 7, ms: null, ns: 0 });
    const e = makeEvent({ tsMs: at(1) });
    const failed = st.failure('TRIP_PARSE_JSON');
    expect(failed).toMatchObject({ seq: 7, ms: null, err: 'TRIP_PARSE_JSON' });
    const r = st.event(e, 'the line');
    expect(decodeEventRecord(JSON.stringify(r))).toEqual(r);
    expect(st.failure('TRIP_PARSE_JSON')).toMatchObject({ seq: 9, ms: at(1) }); // a failure takes the previous event's time
    expect(st.state()).toEqual({ ep: 'e', seq: 10, ms: at(1), ns: 0 });
    expect(() => decodeEventRecord(JSON.stringify({ ...r, v: 2 }))).toThrow(/version/);
    expect(() => decodeEventRecord(JSON.stringify({ ...r, err: 'X' }))).toThrow(/exactly one/);
    const h = toHealth(r);
    expect(h.e).toBeUndefined();
    expect(h.q).toEqual({ ts: e.ts, pos: e.source.position });
    expect(h.line).toBe('the line');
  });

  it('signal headers round-trip', () => {
    const m = { rules: ['S2', 'R1'], index: true, health: false };
    const wire = Object.fromEntries(Object.entries(encodeSignalHeaders(m)).map(([k, v]) => [k, Buffer.from(v)]));
    expect(decodeSignalHeaders(wire)).toEqual(m);
    expect(decodeSignalHeaders(undefined)).toEqual({ rules: [], index: false, health: false });
  });

  it('partitions as Kafka\'s Java client does (murmur2), one partition for all of health', () => {
    // Expected values computed with org.apache.kafka.common.utils.Utils.murmur2 (kafka-clients 3.9.2), 6 partitions.
    expect(partitionFor('health', 6)).toBe(4);
    expect(partitionFor('h\u0000pve', 6)).toBe(4);
    expect(partitionFor('k\u0000S2\u0000pve 192.0.2.44', 6)).toBe(1);
    expect(partitionFor('auth\u0000pve', 6)).toBe(3);
    const out = signalsFor(
      [
        { rule: 'S2', scope: 'key', key: 'pve 192.0.2.44' },
        { rule: 'R1', scope: 'host', key: 'pve' },
        { rule: null, scope: 'host', key: 'pve' },
        { rule: 'H1', scope: 'source', key: 'auth' },
        { rule: 'H2', scope: 'source', key: 'other' },
      ],
      6,
    );
    expect(healthPartition(6)).toBe(4);
    expect([...out.entries()]).toEqual([
      [1, { rules: ['S2'], index: false, health: false }],
      [4, { rules: ['R1'], index: true, health: true }],
    ]);
  });
});
