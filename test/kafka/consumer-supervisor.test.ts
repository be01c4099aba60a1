// The reconnect policy of the Kafka roles' consumers (services/kafka/consumer-supervisor.ts)
// on an injected clock: nothing here sleeps on wall time. A consumer kafkajs gives up on
// (CRASH, restart: false: the outage outlived the session) is recreated after a bounded
// exponential backoff and rejoins; only configuration errors end the role.
import { describe, expect, it } from 'vitest';
import { silentLog } from '../../services/lib/log.js';
import { Backoff } from '../../services/kafka/backoff.js';
import { ConsumerSupervisor } from '../../services/kafka/consumer-supervisor.js';
import { LinkStatus } from '../../services/kafka/link-status.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeConsumer, type FakeBroker } from './fake-consumer.js';
import { memberExpired, nonRetriable, protocolError, saslError } from './kafkajs-errors.js';

/** Lets the supervisor's async steps (disconnect → connect → run) finish. */
const settle = () => new Promise<void>((r) => setImmediate(r));

function rig(o: { up?: boolean } = {}) {
  const clock = new FakeClock(0);
  const broker: FakeBroker = { up: o.up ?? true };
  const consumers: FakeConsumer[] = [];
  const created: number[] = [];
  const joins: number[][] = [];
  const fatal: Error[] = [];
  let lost = 0;
  const status = new LinkStatus();
  const sup = new ConsumerSupervisor({
    name: 'test.group',
    create: () => {
      const c = new FakeConsumer(consumers.length, broker);
      consumers.push(c);
      created.push(clock.ms);
      return c.asConsumer();
    },
    run: (c) => (c as unknown as FakeConsumer).run(),
    onJoin: (ev) => joins.push(ev.payload.memberAssignment['t'] ?? []),
    onLost: () => lost++,
    onFatal: (e) => fatal.push(e),
    log: silentLog,
    timers: clock,
    now: clock.now,
    status,
    backoff: new Backoff({ initialMs: 500, maxMs: 10_000, random: () => 0.5 }),
  });
  const live = () => consumers.at(-1)!;
  return { clock, broker, consumers, created, joins, fatal, lost: () => lost, status, sup, live };
}

describe('ConsumerSupervisor', () => {
  it('a consumer kafkajs gave up on (restart: false) is recreated after the backoff and rejoins its group', async () => {
    const r = rig();
    await r.sup.start();
    expect(r.sup.joined).toBe(true);
    expect(r.status.get('test.group')).toBe('up');

    r.live().crash(memberExpired(), false);
    expect(r.sup.joined).toBe(false);
    expect(r.lost()).toBe(1);
    expect(r.status.get('test.group')).toBe('reconnecting');

    await r.clock.advance(499, settle);
    expect(r.consumers).toHaveLength(1); // not before the backoff
    await r.clock.advance(1, settle);
    expect(r.consumers).toHaveLength(2);
    expect(r.consumers[0]!.disconnects).toBeGreaterThan(0); // let go of the dead one
    expect(r.sup.consumer).toBe(r.consumers[1]!.asConsumer());
    expect(r.sup.joined).toBe(true);
    expect(r.joins).toEqual([
      [0, 1],
      [0, 1],
    ]);
    expect(r.status.get('test.group')).toBe('up');
    expect(r.fatal).toEqual([]);
  });

  it('an outage of any length: attempts back off exponentially up to the cap; the first one after the broker returns rejoins; the next outage starts from the first step', async () => {
    const r = rig();
    await r.sup.start();
    r.broker.up = false;
    r.live().crash(memberExpired(), false);
    // 10 minutes of fake time with the broker away.
    await r.clock.advance(600_000, settle);
    const gaps = r.created.slice(1).map((t, i) => t - r.created[i]!);
    expect(gaps.slice(0, 7)).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(Math.max(...gaps)).toBe(10_000);
    expect(r.consumers.length).toBeGreaterThan(55);
    expect(r.fatal).toEqual([]);
    expect(r.sup.joined).toBe(false);
    expect(r.status.get('test.group')).toBe('reconnecting');

    r.broker.up = true;
    const backAt = r.clock.ms;
    await r.clock.advance(10_000, settle);
    expect(r.sup.joined).toBe(true);
    expect(r.consumers.at(-1)!.connected).toBe(true);
    expect(r.created.at(-1)! - backAt).toBeLessThanOrEqual(10_000);
    expect(r.sup.attempts).toBe(0);
    expect(r.status.get('test.group')).toBe('up');
    // Every consumer but the live one was let go of.
    expect(r.consumers.slice(0, -1).every((c) => c.disconnects > 0)).toBe(true);

    const before = r.consumers.length;
    r.live().crash(memberExpired(), false);
    await r.clock.advance(500, settle);
    expect(r.consumers.length).toBe(before + 1);
    expect(r.sup.joined).toBe(true);
  });

  it('restart: true: kafkajs restarts the same consumer itself; the supervisor only reports reconnecting until it rejoins', async () => {
    const r = rig();
    await r.sup.start();
    r.live().crash(new Error('Request timed out'), true);
    expect(r.status.get('test.group')).toBe('reconnecting');
    await r.clock.advance(60_000, settle);
    expect(r.consumers).toHaveLength(1);
    r.live().join([1]);
    expect(r.sup.joined).toBe(true);
    expect(r.joins.at(-1)).toEqual([1]);
    expect(r.status.get('test.group')).toBe('up');
  });

  it('bad credentials are fatal at once, when the consumer crashes and when a reconnect attempt is refused', async () => {
    const a = rig();
    await a.sup.start();
    a.live().crash(nonRetriable(saslError('SASL PLAIN: Invalid username or password')), false);
    expect(a.fatal).toHaveLength(1);
    await a.clock.advance(60_000, settle);
    expect(a.consumers).toHaveLength(1);
    expect(a.status.get('test.group')).toBe('fatal');

    const b = rig();
    await b.sup.start();
    b.broker.up = false;
    b.live().crash(memberExpired(), false);
    await b.clock.advance(3000, settle); // a few refused attempts: transient
    expect(b.fatal).toEqual([]);
    b.broker.refuse = () => saslError('SASL PLAIN: Invalid username or password');
    await b.clock.advance(60_000, settle);
    expect(b.fatal).toHaveLength(1);
    const n = b.consumers.length;
    await b.clock.advance(60_000, settle);
    expect(b.consumers.length).toBe(n); // no more attempts
  });

  it('a topic that stays missing ends the role after a streak of attempts; a brief one does not', async () => {
    const missing = () => protocolError('UNKNOWN_TOPIC_OR_PARTITION', true, 'This server does not host this topic-partition');
    const r = rig();
    await r.sup.start();
    r.broker.refuse = missing;
    r.live().crash(memberExpired(), false);
    await r.clock.advance(500 + 1000 + 2000, settle); // 3 attempts
    expect(r.fatal).toEqual([]);
    r.broker.refuse = undefined; // it was the broker restarting
    await r.clock.advance(4000, settle);
    expect(r.sup.joined).toBe(true);

    r.broker.refuse = missing;
    r.live().crash(memberExpired(), false);
    await r.clock.advance(120_000, settle);
    expect(r.fatal).toHaveLength(1);
    expect(r.fatal[0]!.message).toMatch(/does not host this topic/);
  });

  it('ignores events from a consumer that is no longer the live one; stop() cancels a scheduled reconnect', async () => {
    const r = rig();
    await r.sup.start();
    const first = r.live();
    first.crash(memberExpired(), false);
    await r.clock.advance(500, settle);
    expect(r.consumers).toHaveLength(2);
    first.crash(memberExpired(), false); // a late echo from the old one
    first.join([7]);
    expect(r.sup.joined).toBe(true);
    expect(r.joins.at(-1)).toEqual([0, 1]);
    await r.clock.advance(60_000, settle);
    expect(r.consumers).toHaveLength(2);

    r.live().crash(memberExpired(), false);
    await r.sup.stop();
    await r.clock.advance(60_000, settle);
    expect(r.consumers).toHaveLength(2);
    expect(r.status.get('test.group')).toBe('stopped');
    expect(r.fatal).toEqual([]);
  });
});
