// Slack sink (issue 5): posts Block Kit messages through an incoming webhook with the real
// `IncomingWebhook` of @slack/webhook 8. Thin: formatting is slack-format.ts, retry and
// rate limiting live in the router (lane.ts).
//
// Writes: POST <webhook URL> (JSON). Upstream: https://api.slack.com/messaging/webhooks;
// errors and 429 per formats.md §6.
//
// Invariants:
// - The webhook URL is a secret: it is never logged and never part of an error message
//   (every message built here is scrubbed of it, and client messages are not passed on).
// - @slack/webhook 8 rejects with IncomingWebhookHTTPError{statusCode, body} on a non-2xx
//   and IncomingWebhookRequestError on network failures and timeouts; it does not expose
//   headers, so a wrapping fetch records Retry-After. The client's own retries stay off
//   (retries: 0): the router owns retrying, durably.
// - Mapping: 429 → TRIP_SINK_SLACK_429 (transient, Retry-After honoured; 60 s when the header
//   is missing or unreadable), other 4xx → TRIP_SINK_SLACK_4XX (permanent, Slack's error
//   string in the message), 5xx → TRIP_SINK_SLACK_5XX, network/timeout →
//   TRIP_SINK_SLACK_NETWORK (both transient).
import { ErrorCode, IncomingWebhook, type FetchFunction } from '@slack/webhook';
import type { Alert } from '../../schemas/alert.js';
import { formatSlack, type SlackFormatOptions } from './slack-format.js';
import type { SlackPayload } from './slack-blocks.js';
import type { SendFailure, SendResult, Sink } from './types.js';

const DEFAULT_RETRY_AFTER_MS = 60_000;

/** Retry-After in ms: delta-seconds or an HTTP date (relative to `nowMs`); undefined if unreadable. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** A short, secret-free description of a network failure (the cause's code when there is one). */
function networkReason(e: unknown): string {
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur; i++) {
    const c = cur as { code?: unknown; name?: unknown; cause?: unknown };
    if (typeof c.code === 'string' && c.code !== ErrorCode.RequestError) return c.code;
    if (c.name === 'TimeoutError' || c.name === 'AbortError') return 'timeout';
    cur = c.cause ?? (cur as { original?: unknown }).original;
  }
  return 'request failed';
}

/** Slack's error strings are short tokens (invalid_payload, no_service); anything else is cut. */
function slackBody(body: unknown): string {
  const s = typeof body === 'string' ? body : '';
  return /^[a-z0-9_]{1,64}$/.test(s) ? s : s ? 'unrecognised response body' : 'empty response body';
}

export function mapSlackError(e: unknown, retryAfterMs: number | undefined): SendFailure {
  const err = e as { code?: unknown; statusCode?: unknown; body?: unknown };
  if (err?.code === ErrorCode.HTTPError && typeof err.statusCode === 'number') {
    const status = err.statusCode;
    const body = slackBody(err.body);
    if (status === 429) {
      return { code: 'TRIP_SINK_SLACK_429', permanent: false, retryAfterMs: retryAfterMs ?? DEFAULT_RETRY_AFTER_MS, message: `Slack rate limit (429 ${body})` };
    }
    if (status >= 400 && status < 500) return { code: 'TRIP_SINK_SLACK_4XX', permanent: true, message: `Slack refused the message (${status} ${body})` };
    if (status >= 500) return { code: 'TRIP_SINK_SLACK_5XX', permanent: false, message: `Slack server error (${status} ${body})` };
    return { code: 'TRIP_SINK_SLACK_NETWORK', permanent: false, message: `unexpected HTTP status ${status} from Slack` };
  }
  return { code: 'TRIP_SINK_SLACK_NETWORK', permanent: false, message: `cannot reach Slack (${networkReason(e)})` };
}

export interface SlackSinkOptions {
  /** The webhook URL (secret). */
  url: string;
  format: SlackFormatOptions;
  timeoutMs: number;
  /** The clock Retry-After dates are read against. */
  now: () => number;
  /** Test seam: the fetch under the client (default global fetch). */
  fetch?: FetchFunction;
}

export class SlackSink implements Sink {
  readonly name = 'slack';
  private readonly webhook: IncomingWebhook;
  private retryAfter: string | null = null;

  constructor(private readonly o: SlackSinkOptions) {
    const inner: FetchFunction = o.fetch ?? (globalThis.fetch as unknown as FetchFunction);
    // Records Retry-After, which IncomingWebhookHTTPError does not carry. Sends are
    // sequential per sink (one lane), so one slot is enough.
    const recording: FetchFunction = async (url, init) => {
      this.retryAfter = null;
      const res = await inner(url, init);
      this.retryAfter = res.headers.get('retry-after');
      return res;
    };
    this.webhook = new IncomingWebhook(o.url, { fetch: recording, timeout: o.timeoutMs, retryConfig: { retries: 0 } });
  }

  send(alerts: Alert[]): Promise<SendResult> {
    return this.post(formatSlack(alerts, this.o.format));
  }

  /** Posts a ready payload (alerts, or the digest). Never throws. */
  async post(message: SlackPayload): Promise<SendResult> {
    try {
      await this.webhook.send(message as Parameters<IncomingWebhook['send']>[0]);
      return { ok: true };
    } catch (e) {
      const f = mapSlackError(e, parseRetryAfter(this.retryAfter, this.o.now()));
      return { ok: false, failure: { ...f, message: scrub(f.message, this.o.url) } };
    }
  }
}

/** Removes the webhook URL (and its path, the secret part) from text. */
export function scrub(text: string, url: string): string {
  let out = text.split(url).join('[webhook]');
  try {
    const path = new URL(url).pathname;
    if (path.length > 1) out = out.split(path).join('[webhook]');
  } catch {
    // not a URL: nothing more to hide
  }
  return out;
}
