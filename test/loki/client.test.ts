// The Loki client's HTTP behaviour against a local fake: gzip JSON push, tenant and
// auth headers, retries with backoff (Retry-After honoured), final 4xx, /ready, and
// credentials that never reach an error message.
import { afterEach, describe, expect, it } from 'vitest';
import { LokiClient } from '../../services/loki/client.js';
import { FakeLoki } from '../helpers/fake-loki.js';

let fake: FakeLoki;
const clients: LokiClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  await fake?.stop();
});

function client(o: Partial<ConstructorParameters<typeof LokiClient>[0]> = {}, sleeps: number[] = []): LokiClient {
  const c = new LokiClient({ url: fake.url, sleep: async (ms) => void sleeps.push(ms), ...o });
  clients.push(c);
  return c;
}

describe('LokiClient', () => {
  it('pushes gzipped JSON with ns string timestamps and the tenant header', async () => {
    fake = await new FakeLoki().start();
    await client({ tenant: 'homelab' }).push([{ labels: { job: 'sshd', host: 'pve' }, values: [['1781049600123456789', 'hello']] }]);
    const req = fake.requests.find((r) => r.url === '/loki/api/v1/push')!;
    expect(req.headers['content-encoding']).toBe('gzip');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['x-scope-orgid']).toBe('homelab');
    expect(fake.entries.map((e) => [String(e.ts), e.line])).toEqual([['1781049600123456789', 'hello']]);
  });

  it('sends basic auth, bearer tokens and URL credentials as headers, never in messages', async () => {
    fake = await new FakeLoki().start();
    await client({ auth: { username: 'u', password: 's3cret-pw' } }).ready();
    await client({ auth: { bearerToken: 'tok-XYZ' } }).ready();
    const withCreds = fake.url.replace('http://', 'http://alice:pa%40ss@');
    const c = client({ url: withCreds, retries: 0 });
    await c.ready();
    const auths = fake.requests.map((r) => r.headers['authorization']);
    expect(auths).toEqual([`Basic ${Buffer.from('u:s3cret-pw').toString('base64')}`, 'Bearer tok-XYZ', `Basic ${Buffer.from('alice:pa@ss').toString('base64')}`]);
    expect(c.describe()).not.toMatch(/alice|pa@ss|pa%40ss/);
    fake.failures.push({ status: 401, body: 'unauthorized' });
    const err = await c.push([{ labels: { job: 'x' }, values: [['1', 'l']] }]).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'TRIP_LOKI_HTTP_401', retryable: false });
    expect(String((err as Error).message)).not.toMatch(/alice|pa@ss|Basic/);
  });

  it('retries 503 and 429 with backoff, honouring Retry-After, then succeeds', async () => {
    fake = await new FakeLoki().start();
    fake.failures.push({ status: 503 }, { status: 429, retryAfter: '2' }, { status: 502 });
    const sleeps: number[] = [];
    const retries: string[] = [];
    const c = client({ retries: 5, backoffBaseMs: 100, onRetry: (r) => retries.push(r.code) }, sleeps);
    await c.push([{ labels: { job: 'x' }, values: [['5', 'line']] }]);
    expect(retries).toEqual(['TRIP_LOKI_HTTP_503', 'TRIP_LOKI_HTTP_429', 'TRIP_LOKI_HTTP_502']);
    expect(sleeps[1]).toBe(2000);
    expect(sleeps[0]).toBeGreaterThanOrEqual(50);
    expect(sleeps[0]).toBeLessThanOrEqual(100);
    expect(sleeps[2]).toBeGreaterThanOrEqual(200);
    expect(sleeps[2]).toBeLessThanOrEqual(400);
    expect(fake.entries).toHaveLength(1);
  });

  it('gives up after `retries` and does not retry a 400', async () => {
    fake = await new FakeLoki().start();
    fake.failures.push({ status: 500 }, { status: 500 }, { status: 500 });
    await expect(client({ retries: 2 }).push([{ labels: { job: 'x' }, values: [['5', 'l']] }])).rejects.toMatchObject({ code: 'TRIP_LOKI_HTTP_500' });
    expect(fake.requests).toHaveLength(3);
    fake.failures.push({ status: 400, body: 'entry too far behind' });
    await expect(client({ retries: 5 }).push([{ labels: { job: 'x' }, values: [['5', 'l']] }])).rejects.toThrow(/HTTP 400: entry too far behind/);
    expect(fake.requests).toHaveLength(4);
  });

  it('reports an unreachable Loki as retryable TRIP_LOKI_UNREACHABLE and /ready as false', async () => {
    fake = await new FakeLoki().start();
    const url = fake.url;
    await fake.stop();
    const c = new LokiClient({ url, retries: 1, sleep: async () => undefined });
    clients.push(c);
    expect(await c.ready()).toBe(false);
    await expect(c.queryPage({ query: '{job="x"}', start: '0', end: '1', limit: 1 })).rejects.toMatchObject({ code: 'TRIP_LOKI_UNREACHABLE', retryable: true });
    fake = await new FakeLoki().start(); // for afterEach
  });

  it('times out a Loki that never answers', async () => {
    fake = await new FakeLoki().start();
    const { createServer } = await import('node:net');
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as { port: number }).port;
    const c = new LokiClient({ url: `http://127.0.0.1:${port}`, timeoutMs: 200, retries: 0 });
    clients.push(c);
    const t0 = Date.now();
    await expect(c.queryPage({ query: '{job="x"}', start: '0', end: '1', limit: 1 })).rejects.toMatchObject({ code: 'TRIP_LOKI_TIMEOUT' });
    expect(Date.now() - t0).toBeLessThan(2000);
    silent.close();
  });

  it('asks query_range for categorized labels and keeps structured metadata apart (alt form)', async () => {
    fake = await new FakeLoki().start();
    fake.add({ job: 'x' }, [['7', 'l']]);
    const page = await client().queryPage({ query: '{job="x"}', start: '0', end: '10', limit: 10 });
    expect(fake.requests.at(-1)!.headers['x-loki-response-encoding-flags']).toBe('categorize-labels');
    expect(page).toEqual([{ ts: '7', line: 'l', labels: { job: 'x' }, stream: '{job="x"}' }]);
  });
});
