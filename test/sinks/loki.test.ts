// The Loki sink (services/sinks/loki.ts): the pure formatter against literal payloads,
// and the thin sender's failure classes against the fake Loki.
import { afterEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../schemas/alert.js';
import { LokiSinkConfig } from '../../schemas/loki.js';
import { formatLokiPush, LokiSink } from '../../services/sinks/loki.js';
import { FakeLoki } from '../helpers/fake-loki.js';

function alert(over: Partial<Alert>): Alert {
  return {
    id: 'a1',
    rule: 'S1',
    severity: 'critical',
    title: 'SSH login from outside',
    summary: 'root logged in to pve from 203.0.113.9',
    ts: '2026-06-10T00:00:01.25Z',
    key: 'pve|root|203.0.113.9',
    count: 1,
    firstSeen: '2026-06-10T00:00:01.25Z',
    lastSeen: '2026-06-10T00:00:01.25Z',
    fields: { host: 'pve' },
    evidence: [],
    runbook: 'docs/runbooks.md#s1',
    tags: ['T1078'],
    ...over,
  };
}

let fake: FakeLoki | undefined;
afterEach(async () => fake?.stop());

describe('formatLokiPush', () => {
  it('one JSON line per alert under low-cardinality labels, at the alert event time in ns', () => {
    const a = alert({});
    const b = alert({ id: 'b2', rule: 'K3', severity: 'critical', ts: '2026-06-10T00:00:00.123456789Z' });
    const c = alert({ id: 'c3', ts: '2026-06-10T00:00:00Z' });
    expect(formatLokiPush([a, b, c], { labels: { cluster: 'home' } })).toEqual([
      {
        labels: { cluster: 'home', job: 'tripline', rule: 'S1', severity: 'critical' },
        values: [
          ['1781049600000000000', JSON.stringify(c)],
          ['1781049601250000000', JSON.stringify(a)],
        ],
      },
      { labels: { cluster: 'home', job: 'tripline', rule: 'K3', severity: 'critical' }, values: [['1781049600123456789', JSON.stringify(b)]] },
    ]);
  });

  it('static labels cannot override job, rule or severity', () => {
    const [s] = formatLokiPush([alert({})], { labels: { rule: 'x', severity: 'y', job: 'z' } });
    expect(s!.labels).toEqual({ job: 'tripline', rule: 'S1', severity: 'critical' });
  });
});

describe('LokiSink', () => {
  const cfg = (url: string) => LokiSinkConfig.parse({ url, timeout: '2s' });

  it('pushes alerts that Loki stores as sent', async () => {
    fake = await new FakeLoki().start();
    const sink = new LokiSink(cfg(fake.url));
    expect(await sink.send([alert({})])).toEqual({ ok: true });
    await sink.close();
    expect(fake.entries.map((e) => [e.labels, JSON.parse(e.line).id])).toEqual([[{ job: 'tripline', rule: 'S1', severity: 'critical' }, 'a1']]);
  });

  it('classifies failures: 400 permanent, 429 with Retry-After and 5xx transient, once each (the router retries)', async () => {
    fake = await new FakeLoki().start();
    const sink = new LokiSink(cfg(fake.url));
    fake.failures.push({ status: 400, body: 'entry for stream has timestamp too old' }, { status: 429, retryAfter: '3' }, { status: 503 });
    expect(await sink.send([alert({})])).toMatchObject({ ok: false, failure: { code: 'TRIP_SINK_LOKI_400', permanent: true } });
    expect(await sink.send([alert({})])).toMatchObject({ ok: false, failure: { code: 'TRIP_SINK_LOKI_429', permanent: false, retryAfterMs: 3000 } });
    expect(await sink.send([alert({})])).toMatchObject({ ok: false, failure: { code: 'TRIP_SINK_LOKI_503', permanent: false } });
    expect(fake.requests).toHaveLength(3);
    await sink.close();
  });

  it('an unreachable Loki is transient', async () => {
    fake = await new FakeLoki().start();
    const url = fake.url;
    await fake.stop();
    fake = undefined;
    const sink = new LokiSink(cfg(url));
    expect(await sink.send([alert({})])).toMatchObject({ ok: false, failure: { code: 'TRIP_SINK_LOKI_UNREACHABLE', permanent: false } });
    await sink.close();
  });
});
