// The Kafka roles' idempotent producer across outages (services/kafka/producer-link.ts):
// a connection failure keeps the same producer (its sequence numbers let the broker drop
// an in-doubt retry), a lost idempotent session renews it, bad credentials end the role.
import type { Producer } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { silentLog } from '../../services/lib/log.js';
import { LinkStatus } from '../../services/kafka/link-status.js';
import { ProducerLink, producerSessionLost } from '../../services/kafka/producer-link.js';
import { connectionError, protocolError, retriesExceeded as exceeded, saslError } from './kafkajs-errors.js';

class FakeProducer {
  connects = 0;
  disconnects = 0;
  sent = 0;
  constructor(
    readonly id: number,
    readonly fail: { next: Error | null },
  ) {}
  async connect() {
    this.connects++;
  }
  async disconnect() {
    this.disconnects++;
  }
  async send() {
    const e = this.fail.next;
    if (e) throw e;
    this.sent++;
  }
}

const protocol = (type: string) => protocolError(type, false);

function rig() {
  const fail: { next: Error | null } = { next: null };
  const producers: FakeProducer[] = [];
  const fatal: Error[] = [];
  const status = new LinkStatus();
  const link = new ProducerLink({
    name: 'test.producer',
    create: () => {
      const p = new FakeProducer(producers.length, fail);
      producers.push(p);
      return p as unknown as Producer;
    },
    log: silentLog,
    status,
    onFatal: (e) => fatal.push(e),
  });
  const send = () => link.use((p) => p.send({ topic: 't', messages: [] }) as Promise<unknown>);
  return { fail, producers, fatal, status, link, send };
}

describe('ProducerLink', () => {
  it('a broker outage: sends fail and are rethrown for the caller to retry, on the same producer; the first success is "up" again', async () => {
    const r = rig();
    await r.link.connect();
    expect(r.status.get('test.producer')).toBe('up');
    r.fail.next = exceeded(connectionError('Connection error: connect ECONNREFUSED'));
    for (let i = 0; i < 5; i++) await expect(r.send()).rejects.toThrow(/ECONNREFUSED/);
    expect(r.status.get('test.producer')).toBe('reconnecting');
    expect(r.producers).toHaveLength(1);
    r.fail.next = null;
    await r.send();
    expect(r.producers[0]!.sent).toBe(1);
    expect(r.status.get('test.producer')).toBe('up');
    expect(r.fatal).toEqual([]);
  });

  it('a lost idempotent session renews the producer, which connects on its first send', async () => {
    const r = rig();
    await r.link.connect();
    for (const type of ['UNKNOWN_PRODUCER_ID', 'OUT_OF_ORDER_SEQUENCE_NUMBER', 'INVALID_PRODUCER_EPOCH']) {
      const n = r.producers.length;
      r.fail.next = exceeded(protocol(type));
      await expect(r.send()).rejects.toThrow(type);
      expect(r.producers).toHaveLength(n + 1);
      expect(r.producers[n - 1]!.disconnects).toBe(1);
      r.fail.next = null;
      await r.send();
      expect(r.producers[n]!.connects).toBe(1);
      expect(r.producers[n]!.sent).toBe(1);
    }
    expect(r.status.get('test.producer')).toBe('up');
  });

  it('bad credentials are fatal', async () => {
    const r = rig();
    await r.link.connect();
    r.fail.next = saslError('SASL PLAIN: Invalid username or password');
    await expect(r.send()).rejects.toThrow(/Invalid username/);
    expect(r.fatal).toHaveLength(1);
    expect(r.status.get('test.producer')).toBe('fatal');
  });

  it('producerSessionLost: only the errors that mean the producer itself is stale', () => {
    expect(producerSessionLost(exceeded(protocol('OUT_OF_ORDER_SEQUENCE_NUMBER')))).toBe(true);
    expect(producerSessionLost(new Error('The producer is disconnected'))).toBe(true);
    expect(producerSessionLost(exceeded(connectionError('ECONNREFUSED')))).toBe(false);
    expect(producerSessionLost(protocol('NOT_LEADER_FOR_PARTITION'))).toBe(false);
  });
});
