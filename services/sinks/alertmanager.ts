// Alertmanager sink (issue 5): POST <url>/api/v2/alerts with a JSON array (formats.md §7;
// https://prometheus.io/docs/alerting/latest/clients/).
//
// Pure formatter `formatAlertmanager(alerts, opts)` + thin sender over fetch.
// - labels identify an alert in Alertmanager (its dedup key): alertname (= rule id),
//   severity, source="tripline", and fingerprint, a short hash of rule + key. The key
//   itself is attacker text of any length, so it goes to annotations, capped.
// - annotations (latest value wins): title, summary, key, actor, addresses, count,
//   runbook, tripline_alert_id.
// - startsAt = the alert's firstSeen; endsAt = now + resolveTimeout. Alertmanager resolves
//   an alert whose endsAt passed, so tripline re-sends firing fingerprints every
//   resendInterval (am-resend.ts) and simply stops when they stop firing.
// - 2xx = delivered; 429 honours Retry-After; other 4xx permanent; 5xx and network transient.
import { createHash } from 'node:crypto';
import type { Alert } from '../../schemas/alert.js';
import { parseRetryAfter } from './slack.js';
import type { SendResult, Sink } from './types.js';

export interface AlertmanagerAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
}

export interface AlertmanagerFormatOptions {
  nowMs: number;
  resolveTimeoutMs: number;
}

const CAP = 1024;
const capped = (s: string) => (s.length > CAP ? `${s.slice(0, CAP - 1)}…` : s);

export function fingerprintLabel(a: Pick<Alert, 'rule' | 'key'>): string {
  return createHash('sha256').update(`${a.rule}\u001f${a.key}`).digest('hex').slice(0, 16);
}

export function formatAlertmanager(alerts: readonly Alert[], o: AlertmanagerFormatOptions): AlertmanagerAlert[] {
  return alerts.map((a) => {
    const annotations: Record<string, string> = {
      title: a.title,
      summary: capped(a.summary),
      key: capped(a.key),
      count: String(a.count),
      runbook: a.runbook,
      tripline_alert_id: a.id,
    };
    if (a.fields.actor) annotations['actor'] = capped(a.fields.actor);
    if (a.fields.addresses?.length) annotations['addresses'] = capped(a.fields.addresses.join(', '));
    if (a.fields.outsideTrusted?.length) annotations['outside_trusted'] = capped(a.fields.outsideTrusted.join(', '));
    const labels: Record<string, string> = { alertname: a.rule, severity: a.severity, source: 'tripline', fingerprint: fingerprintLabel(a) };
    const startsMs = Date.parse(a.firstSeen);
    const endsMs = o.nowMs + o.resolveTimeoutMs;
    return {
      labels,
      annotations,
      // An alert first seen "in the future" of the clock (skew) must not end before it starts.
      startsAt: new Date(Number.isNaN(startsMs) ? o.nowMs : Math.min(startsMs, endsMs - 1)).toISOString(),
      endsAt: new Date(endsMs).toISOString(),
    };
  });
}

export interface AlertmanagerSinkOptions {
  url: string;
  resolveTimeoutMs: number;
  timeoutMs: number;
  now: () => number;
  fetch?: typeof fetch;
}

export class AlertmanagerSink implements Sink {
  readonly name = 'alertmanager';
  constructor(private readonly o: AlertmanagerSinkOptions) {}

  send(alerts: Alert[]): Promise<SendResult> {
    return this.post(formatAlertmanager(alerts, { nowMs: this.o.now(), resolveTimeoutMs: this.o.resolveTimeoutMs }));
  }

  async post(body: AlertmanagerAlert[]): Promise<SendResult> {
    const url = `${this.o.url.replace(/\/+$/, '')}/api/v2/alerts`;
    let res: Response;
    try {
      res = await (this.o.fetch ?? fetch)(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.o.timeoutMs),
        redirect: 'error',
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code ?? ((e as Error).name === 'TimeoutError' ? 'timeout' : 'request failed');
      return { ok: false, failure: { code: 'TRIP_SINK_ALERTMANAGER_NETWORK', permanent: false, message: `cannot reach Alertmanager (${cause})` } };
    }
    const text = (await res.text().catch(() => '')).slice(0, 200).replace(/\s+/g, ' ');
    if (res.ok) return { ok: true };
    if (res.status === 429) {
      return { ok: false, failure: { code: 'TRIP_SINK_ALERTMANAGER_429', permanent: false, retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), this.o.now()) ?? 60_000, message: 'Alertmanager rate limit (429)' } };
    }
    if (res.status >= 400 && res.status < 500) {
      return { ok: false, failure: { code: 'TRIP_SINK_ALERTMANAGER_4XX', permanent: true, message: `Alertmanager refused the alerts (${res.status} ${text})` } };
    }
    return { ok: false, failure: { code: 'TRIP_SINK_ALERTMANAGER_5XX', permanent: false, message: `Alertmanager server error (${res.status} ${text})` } };
  }
}
