// Loki sink: each alert pushed as one line, the alert JSON, to the stream
// {job="tripline", rule="<id>", severity="<sev>"} plus configured static labels, so
// Grafana shows alerts beside the logs (`{job="tripline"} | json`). Labels stay
// low-cardinality on purpose: rule ids and severities are bounded sets; hosts, users
// and addresses live in the JSON line, never in labels.
// Upstream: formats.md §5 (push); https://grafana.com/docs/loki/latest/reference/loki-http-api/#ingest-logs
//
// The entry's timestamp is the alert's event time (alert.ts at ns precision), not the
// send time: a retried or repeated push of the same alert is then an exact duplicate
// that Loki drops at ingest, and the alert sits at the moment of its evidence.
// Failures: 429/5xx/network are transient (the router retries); other 4xx (e.g. an
// alert older than Loki's reject_old_samples_max_age) are permanent and dead-lettered.
import type { Alert } from '../../schemas/alert.js';
import type { LokiSinkConfig } from '../../schemas/loki.js';
import { parseRfc3339 } from '../lib/time.js';
import { LokiClient, LokiError, type PushStream } from '../loki/client.js';
import type { SendResult, Sink } from './types.js';

/** The alert's event time in ns (decimal string). */
export function alertTsNs(alert: Alert): string {
  const t = parseRfc3339(alert.ts);
  if (!t) throw new Error(`alert ${alert.id} has no usable ts (${alert.ts})`);
  return (BigInt(t.ms) * 1_000_000n + BigInt(t.subNs)).toString();
}

/** Pure formatter: alerts → push streams, grouped by label set, entries in time order. */
export function formatLokiPush(alerts: Alert[], opts: { job?: string; labels?: Record<string, string> } = {}): PushStream[] {
  const streams = new Map<string, PushStream>();
  for (const a of alerts) {
    const labels = { ...opts.labels, job: opts.job ?? 'tripline', rule: a.rule, severity: a.severity };
    const key = JSON.stringify(labels);
    let s = streams.get(key);
    if (!s) streams.set(key, (s = { labels, values: [] }));
    s.values.push([alertTsNs(a), JSON.stringify(a)]);
  }
  for (const s of streams.values()) s.values.sort((x, y) => (BigInt(x[0]) < BigInt(y[0]) ? -1 : BigInt(x[0]) > BigInt(y[0]) ? 1 : 0));
  return [...streams.values()];
}

export class LokiSink implements Sink {
  readonly name = 'loki';
  private readonly client: LokiClient;

  constructor(private readonly cfg: LokiSinkConfig) {
    // The router owns retries and backoff (convention 6): one attempt per send here.
    this.client = new LokiClient({ url: cfg.url, tenant: cfg.tenant, auth: cfg.auth, timeoutMs: cfg.timeout, retries: 0 });
  }

  async send(alerts: Alert[]): Promise<SendResult> {
    if (alerts.length === 0) return { ok: true };
    try {
      await this.client.push(formatLokiPush(alerts, { job: this.cfg.job, labels: this.cfg.labels }));
      return { ok: true };
    } catch (e) {
      if (e instanceof LokiError) {
        const code = e.status === 0 ? e.code.replace('TRIP_LOKI_', 'TRIP_SINK_LOKI_') : `TRIP_SINK_LOKI_${e.status}`;
        return { ok: false, failure: { code, permanent: !e.retryable, retryAfterMs: e.retryAfterMs, message: e.message } };
      }
      return { ok: false, failure: { code: 'TRIP_SINK_LOKI', permanent: false, message: (e as Error).message } };
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
