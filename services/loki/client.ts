// A small Grafana Loki HTTP client on undici (formats.md §5): push (JSON, gzip),
// query_range pages and the paging iterator, the tail websocket, /ready.
//
// - One keep-alive pool (undici Agent) per client; every request has a deadline.
// - Network errors, timeouts, 429 and 5xx are retried with exponential backoff and
//   jitter (Retry-After wins when Loki sends one); other 4xx are final.
// - Tenant: X-Scope-OrgID. Auth: basic (also taken from user:pass@ in the URL, which
//   is then stripped) or a bearer token. Credentials live only in the header map:
//   they never appear in an error message, a log line or `describe()`.
// - ns timestamps stay decimal strings end to end (see entries.ts).
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { Agent, WebSocket } from 'undici';
import type { LokiAuth } from '../../schemas/loki.js';
import { TriplineError } from '../lib/errors.js';
import { flattenStreams, LabelForms, type Labels, type LokiEntry } from './entries.js';
import { pageRange, type PageRequest, type RangeOptions } from './paging.js';
import { tailEntries, type TailBatch, type TailOptions } from './tail.js';

const gzip = promisify(gzipCb);

export interface LokiClientOptions {
  /** Base URL, e.g. http://loki:3100 or https://gateway/loki (a path prefix is kept). */
  url: string;
  tenant?: string;
  auth?: LokiAuth;
  /** Deadline per request attempt (default 30 s). */
  timeoutMs?: number;
  /** Retries after the first attempt (default 5). */
  retries?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Keep-alive connections per origin (default 8). */
  connections?: number;
  /** Injected for tests. */
  sleep?: (ms: number) => Promise<void>;
  /** Told about each retry (for a log line and a metric); never given credentials. */
  onRetry?: (info: { attempt: number; delayMs: number; code: string; message: string }) => void;
}

export interface PushStream {
  labels: Labels;
  /** [ns, line] or [ns, line, structured metadata]. */
  values: Array<[string, string] | [string, string, Record<string, string>]>;
}

/** A failed Loki call; `status` is the HTTP status (0 for network errors and timeouts). */
export class LokiError extends TriplineError {
  constructor(
    code: string,
    message: string,
    readonly status: number,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(code, message);
    this.name = 'LokiError';
  }
}

const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

export class LokiClient {
  readonly origin: string;
  readonly prefix: string;
  private readonly headers: Record<string, string>;
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Non-indexed label names seen in query answers: how tail entries are compared with them. */
  readonly labelForms = new LabelForms();

  constructor(private readonly o: LokiClientOptions) {
    const u = new URL(o.url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TriplineError('TRIP_LOKI_URL', `Loki URL must be http(s) (got ${u.protocol})`);
    this.origin = u.origin;
    this.prefix = u.pathname.replace(/\/+$/, '');
    this.headers = { 'user-agent': 'tripline' };
    if (o.tenant) this.headers['x-scope-orgid'] = o.tenant;
    const auth = o.auth ?? (u.username ? { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) } : undefined);
    if (auth && 'bearerToken' in auth) this.headers['authorization'] = `Bearer ${auth.bearerToken}`;
    else if (auth) this.headers['authorization'] = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    this.timeoutMs = o.timeoutMs ?? 30_000;
    this.retries = o.retries ?? 5;
    this.sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.agent = new Agent({ connections: o.connections ?? 8, keepAliveTimeout: 30_000, connect: { timeout: Math.min(this.timeoutMs, 10_000) } });
  }

  /** The endpoint without credentials, for logs. */
  describe(): string {
    return `${this.origin}${this.prefix}${this.o.tenant ? ` (tenant ${this.o.tenant})` : ''}`;
  }

  /** GET /ready: true when Loki says it can take traffic. Never retried. */
  async ready(): Promise<boolean> {
    try {
      const res = await this.agent.request({
        origin: this.origin,
        path: `${this.prefix}/ready`,
        method: 'GET',
        headers: this.headers,
        signal: AbortSignal.timeout(Math.min(this.timeoutMs, 5000)),
      });
      const text = await res.body.text();
      return res.statusCode === 200 && text.trim() === 'ready';
    } catch {
      return false;
    }
  }

  /** POST /loki/api/v1/push as gzipped JSON. Loki drops exact duplicates, so a retried push is harmless. */
  async push(streams: PushStream[]): Promise<void> {
    if (streams.length === 0) return;
    const body = await gzip(JSON.stringify({ streams: streams.map((s) => ({ stream: s.labels, values: s.values })) }));
    await this.call('POST', '/loki/api/v1/push', { body, headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } });
  }

  /** One query_range call, direction forward; entries merged across streams in time order. */
  async queryPage(req: PageRequest): Promise<LokiEntry[]> {
    const qs = new URLSearchParams({ query: req.query, start: req.start, end: req.end, limit: String(req.limit), direction: 'forward' });
    // categorize-labels: stream labels apart from structured metadata, as the tail sends them (entries.ts).
    const { text } = await this.call('GET', `/loki/api/v1/query_range?${qs.toString()}`, { headers: { 'x-loki-response-encoding-flags': 'categorize-labels' } });
    let parsed: { status?: string; data?: { resultType?: string; result?: unknown } };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      throw new LokiError('TRIP_LOKI_RESPONSE', 'Loki query_range answered something that is not JSON', 200, false);
    }
    if (parsed.status !== 'success' || parsed.data?.resultType !== 'streams') {
      throw new LokiError('TRIP_LOKI_RESPONSE', `Loki query_range did not return log streams (resultType ${parsed.data?.resultType ?? 'none'}): give a log query, not a metric query`, 200, false);
    }
    return flattenStreams(parsed.data.result, this.labelForms);
  }

  /** Every entry of `query` in [start, end), exactly once, in time order (paging.ts). */
  queryRange(o: RangeOptions): AsyncGenerator<LokiEntry[]> {
    return pageRange((req) => this.queryPage(req), o);
  }

  /** Follows `query` over the tail websocket, reconnecting from the last entry seen (tail.ts). */
  tail(o: TailOptions, signal: AbortSignal): AsyncGenerator<TailBatch> {
    return tailEntries(this, o, signal);
  }

  /** Opens the raw tail websocket (used by tail.ts). */
  openTailSocket(params: { query: string; start: string; limit: number; delayForSec: number }): WebSocket {
    const qs = new URLSearchParams({ query: params.query, start: params.start, limit: String(params.limit), delay_for: String(params.delayForSec) });
    const url = `${this.origin.replace(/^http/, 'ws')}${this.prefix}/loki/api/v1/tail?${qs.toString()}`;
    return new WebSocket(url, { headers: this.headers, dispatcher: this.agent });
  }

  async close(): Promise<void> {
    await this.agent.close().catch(() => undefined);
  }

  private async call(method: 'GET' | 'POST', path: string, o: { body?: Buffer; headers?: Record<string, string> }): Promise<{ status: number; text: string }> {
    const base = this.o.backoffBaseMs ?? 250;
    const max = this.o.backoffMaxMs ?? 10_000;
    const what = `Loki ${method} ${path.split('?')[0]}`;
    for (let attempt = 0; ; attempt++) {
      let err: LokiError;
      try {
        const res = await this.agent.request({
          origin: this.origin,
          path: `${this.prefix}${path}`,
          method,
          headers: { ...this.headers, ...o.headers },
          body: o.body,
          headersTimeout: this.timeoutMs,
          bodyTimeout: this.timeoutMs,
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        const text = await res.body.text();
        if (res.statusCode >= 200 && res.statusCode < 300) return { status: res.statusCode, text };
        const ra = retryAfterMs(res.headers['retry-after']);
        err = new LokiError(
          `TRIP_LOKI_HTTP_${res.statusCode}`,
          `${what}: HTTP ${res.statusCode}${text ? `: ${oneLine(text)}` : ''}`,
          res.statusCode,
          RETRYABLE_STATUS.has(res.statusCode),
          ra,
        );
      } catch (e) {
        if (e instanceof LokiError) throw e;
        const name = (e as Error).name;
        const timeout = name === 'TimeoutError' || name === 'HeadersTimeoutError' || name === 'BodyTimeoutError' || name === 'ConnectTimeoutError';
        const code = (e as NodeJS.ErrnoException).code ?? name;
        err = timeout
          ? new LokiError('TRIP_LOKI_TIMEOUT', `${what}: no answer within ${this.timeoutMs} ms`, 0, true)
          : new LokiError('TRIP_LOKI_UNREACHABLE', `${what}: ${code} (${this.origin})`, 0, true);
      }
      if (!err.retryable || attempt >= this.retries) throw err;
      const backoff = Math.min(max, base * 2 ** attempt);
      const delayMs = err.retryAfterMs ?? Math.round(backoff / 2 + (Math.random() * backoff) / 2);
      this.o.onRetry?.({ attempt: attempt + 1, delayMs, code: err.code, message: err.message });
      await this.sleep(delayMs);
    }
  }
}

function retryAfterMs(v: string | string[] | undefined): number | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  if (!s) return undefined;
  const secs = Number(s);
  if (Number.isFinite(secs) && secs >= 0) return Math.min(secs * 1000, 60_000);
  const at = Date.parse(s);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.min(at - Date.now(), 60_000));
}

function oneLine(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > 300 ? `${t.slice(0, 299)}…` : t;
}
