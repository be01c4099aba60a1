// issue 7: the `kafka` config block: defaults, strictness, secrets kept out of messages,
// and `run --role` refusing to start a Kafka role without it.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Config } from '../../schemas/config.js';
import { formatProblems, parseConfigText } from '../../services/config/load.js';
import { runCommand } from '../../services/cli/commands/run.js';
import { parseRole } from '../../services/kafka/roles.js';
import { UsageError } from '../../services/lib/errors.js';

describe('kafka config block', () => {
  it('needs only brokers; everything else has a default', () => {
    const k = Config.parse({ kafka: { brokers: ['kafka-1:9092'] } }).kafka!;
    expect(k).toEqual({
      brokers: ['kafka-1:9092'],
      clientId: 'tripline',
      groupId: 'tripline',
      topics: { events: 'tripline.events', signals: 'tripline.signals', alerts: 'tripline.alerts', state: 'tripline.state' },
      partitions: 6,
      idleTimeout: 30_000,
      sessionTimeout: 30_000,
    });
    expect(Config.parse({}).kafka).toBeUndefined();
  });

  it('takes SASL, TLS, topic names and durations; rejects unknown keys and bad values with their paths', () => {
    const k = Config.parse({
      kafka: {
        brokers: ['a:9093'],
        topics: { events: 'prod.events' },
        sasl: { mechanism: 'scram-sha-512', username: 'tripline', password: 'pw' },
        tls: { ca: '/etc/ssl/kafka-ca.pem' },
        idleTimeout: '2m',
      },
    }).kafka!;
    expect(k.topics.events).toBe('prod.events');
    expect(k.topics.signals).toBe('tripline.signals');
    expect(k.tls).toEqual({ ca: '/etc/ssl/kafka-ca.pem', rejectUnauthorized: true });
    expect(k.idleTimeout).toBe(120_000);
    const bad = Config.safeParse({ kafka: { brokers: ['no-port'], partitions: 0, topics: { events: 'has space' }, linger: 5 } });
    expect(bad.success).toBe(false);
    const paths = bad.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['kafka.brokers.0', 'kafka.partitions', 'kafka.topics.events', 'kafka']));
    expect(Config.safeParse({ kafka: {} }).success).toBe(false);
  });

  it('never prints the SASL password in a config problem', () => {
    const secret = 'hunter2-kafka-SECRET';
    const r = parseConfigText(
      'kafka:\n  brokers: ["a:9092"]\n  sasl: { mechanism: plain, username: u, password: "${KAFKA_PASSWORD}" }\n  partitions: ${KAFKA_PASSWORD}\n',
      'config.yaml',
      { KAFKA_PASSWORD: secret },
    );
    expect(r.ok).toBe(false);
    if (!r.ok) expect(formatProblems('config.yaml', r.problems)).not.toContain(secret);
  });
});

describe('run --role', () => {
  it('knows all, collect, detect, route', () => {
    expect(parseRole(undefined)).toBe('all');
    expect(parseRole('detect')).toBe('detect');
    expect(() => parseRole('router')).toThrow(UsageError);
  });

  it('a Kafka role without a kafka block is a usage error (exit 2), before anything starts', async () => {
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    const io = { stdout: sink, stderr: sink, stdin: process.stdin, env: {}, now: () => 0 } as unknown as Parameters<typeof runCommand.run>[1];
    await expect(runCommand.run(['--role', 'detect', '--http', 'off'], io)).rejects.toThrow(/needs a kafka block/);
  });
});
