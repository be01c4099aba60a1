// The Slack sender with the REAL @slack/webhook 8 client against a local server that
// answers as Slack does: every answer maps to its stable code, Retry-After is read, and
// the webhook URL never appears in a failure message.
import { afterEach, describe, expect, it } from 'vitest';
import { SlackSink, mapSlackError, parseRetryAfter } from '../../services/sinks/slack.js';
import { makeAlert } from '../helpers/alerts.js';
import { ERROR_500, INVALID, OK, SlackServer, idsIn, rateLimited } from '../helpers/slack-server.js';

const NOW = Date.UTC(2026, 5, 10, 12, 0, 0);
const servers: SlackServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

async function serve(answer: SlackServer['answer']): Promise<{ server: SlackServer; sink: SlackSink }> {
  const server = new SlackServer(() => NOW);
  server.answer = answer;
  await server.start();
  servers.push(server);
  return { server, sink: new SlackSink({ url: server.url, timeoutMs: 5000, now: () => NOW, format: { timezone: 'UTC' } }) };
}

const alert = makeAlert({ ts: '2026-06-10T09:00:00Z' });

describe('SlackSink (real IncomingWebhook)', () => {
  it('200 ok: delivered; the server got Block Kit JSON on the webhook path, without link_names or parse', async () => {
    const { server, sink } = await serve(() => OK);
    expect(await sink.send([alert])).toEqual({ ok: true });
    const r = server.received[0]!;
    expect(r.path).toBe('/services/T000/B000/XXX');
    const body = r.body as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['blocks', 'text', 'unfurl_links', 'unfurl_media']);
    expect(idsIn(body)).toEqual([alert.id]);
  });

  const cases: Array<[string, SlackServer['answer'], { code: string; permanent: boolean; retryAfterMs?: number; text: string }]> = [
    ['429 Retry-After: 3', () => rateLimited(3), { code: 'TRIP_SINK_SLACK_429', permanent: false, retryAfterMs: 3000, text: '429 rate_limited' }],
    ['429 with an HTTP date', () => ({ status: 429, body: 'rate_limited', headers: { 'retry-after': new Date(NOW + 7000).toUTCString() } }), { code: 'TRIP_SINK_SLACK_429', permanent: false, retryAfterMs: 7000, text: '429' }],
    ['429 without Retry-After', () => ({ status: 429, body: 'rate_limited' }), { code: 'TRIP_SINK_SLACK_429', permanent: false, retryAfterMs: 60_000, text: '429' }],
    ['400 invalid_payload', () => INVALID, { code: 'TRIP_SINK_SLACK_4XX', permanent: true, text: '400 invalid_payload' }],
    ['404 no_service (revoked webhook)', () => ({ status: 404, body: 'no_service' }), { code: 'TRIP_SINK_SLACK_4XX', permanent: true, text: '404 no_service' }],
    ['403 action_prohibited', () => ({ status: 403, body: 'action_prohibited' }), { code: 'TRIP_SINK_SLACK_4XX', permanent: true, text: '403 action_prohibited' }],
    ['500 rollup_error', () => ERROR_500, { code: 'TRIP_SINK_SLACK_5XX', permanent: false, text: '500 rollup_error' }],
    ['503 with an HTML body', () => ({ status: 503, body: '<html>down</html>' }), { code: 'TRIP_SINK_SLACK_5XX', permanent: false, text: '503 unrecognised response body' }],
    ['reset connection', () => 'reset', { code: 'TRIP_SINK_SLACK_NETWORK', permanent: false, text: 'cannot reach Slack' }],
  ];
  for (const [name, answer, want] of cases) {
    it(`${name} → ${want.code}`, async () => {
      const { server, sink } = await serve(answer);
      const r = await sink.send([alert]);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.failure.code).toBe(want.code);
      expect(r.failure.permanent).toBe(want.permanent);
      expect(r.failure.retryAfterMs).toBe(want.retryAfterMs);
      expect(r.failure.message).toContain(want.text);
      expect(r.failure.message).not.toContain(server.url);
      expect(r.failure.message).not.toContain('/services/T000');
    });
  }

  it('refused connection → TRIP_SINK_SLACK_NETWORK (ECONNREFUSED), URL not in the message', async () => {
    const { server, sink } = await serve(() => OK);
    const url = server.url;
    await server.stop();
    const r = await sink.send([alert]);
    expect(r).toEqual({ ok: false, failure: { code: 'TRIP_SINK_SLACK_NETWORK', permanent: false, message: 'cannot reach Slack (ECONNREFUSED)' } });
    expect(JSON.stringify(r)).not.toContain(url);
  });

  it('a timeout is a network failure', async () => {
    const timeout = Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' });
    const sink = new SlackSink({ url: 'http://127.0.0.1:9/services/T000/B000/XXX', timeoutMs: 10, now: () => NOW, format: { timezone: 'UTC' }, fetch: () => Promise.reject(timeout) });
    const r = await sink.send([alert]);
    expect(r).toEqual({ ok: false, failure: { code: 'TRIP_SINK_SLACK_NETWORK', permanent: false, message: 'cannot reach Slack (timeout)' } });
  });

  it('a client error that quotes the URL is scrubbed', async () => {
    const url = 'https://hooks.example.invalid/services/T000/B000/XXX';
    const sink = new SlackSink({ url, timeoutMs: 10, now: () => NOW, format: { timezone: 'UTC' }, fetch: () => Promise.reject(Object.assign(new TypeError(`Failed to parse URL from ${url}`), { code: `E ${url}` })) });
    const r = await sink.send([alert]);
    expect(JSON.stringify(r)).not.toContain('/services/T000/B000/XXX');
  });

  it('parseRetryAfter and mapSlackError edge cases', () => {
    expect(parseRetryAfter('3', NOW)).toBe(3000);
    expect(parseRetryAfter(' 0 ', NOW)).toBe(0);
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter(null, NOW)).toBeUndefined();
    expect(mapSlackError(new Error('boom'), undefined)).toEqual({ code: 'TRIP_SINK_SLACK_NETWORK', permanent: false, message: 'cannot reach Slack (request failed)' });
  });
});
