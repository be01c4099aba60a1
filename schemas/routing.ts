import { z } from 'zod';
import { Duration } from './durations.js';
import { Severity } from './alert.js';

// Routing configuration (issue 5): the `route` and `grafana` blocks of Config and the
// `sinks.slack` / `sinks.alertmanager` blocks of SinksConfig, plus the persisted silence.
// Kept apart from config.ts/run-config.ts so those files only compose it.
// Strict objects, every field described (architecture convention 1). No I/O here: the
// time-zone check uses Intl, which is pure.

/** True for an IANA zone name (or UTC) this runtime knows. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const TimeZone = z.string().refine(isTimeZone, { message: 'an IANA time zone such as UTC, Europe/Sofia or America/New_York' });

/** http(s) URL check that never echoes the value: a webhook URL is a secret. */
function isHttpUrl(v: string): boolean {
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

export const MinSeverity = Severity.describe('lowest severity this sink receives: critical, warning or info');

export const SlackSinkConfig = z
  .strictObject({
    webhookUrl: z
      .string()
      .refine(isHttpUrl, { message: 'expected an http(s) incoming-webhook URL (the value is not shown: it is a secret)' })
      .optional()
      .describe('the incoming-webhook URL; absent: the SLACK_WEBHOOK_URL environment variable. Never logged'),
    minSeverity: MinSeverity.default('warning').describe('lowest severity posted; lower ones only reach the digest (default warning)'),
    timeout: Duration.prefault('10s').describe('how long one post may take before it counts as a network failure'),
    digest: z.boolean().default(true).describe('post the daily digest to this webhook'),
  })
  .describe('post alerts to Slack through an incoming webhook (Block Kit)');
export type SlackSinkConfig = z.infer<typeof SlackSinkConfig>;

export const AlertmanagerSinkConfig = z
  .strictObject({
    url: z
      .string()
      .refine(isHttpUrl, { message: 'expected an http(s) base URL such as http://127.0.0.1:9093' })
      .describe('Alertmanager base URL; alerts are POSTed to <url>/api/v2/alerts'),
    minSeverity: MinSeverity.default('warning').describe('lowest severity sent (default warning)'),
    resendInterval: Duration.prefault('1m').describe('how often firing alerts are re-sent; keep it well below resolveTimeout'),
    resolveTimeout: Duration.prefault('5m').describe('each send sets endsAt = now + this, so an alert no longer re-sent resolves by itself'),
    firingFor: Duration.prefault('1h').describe('how long after its last occurrence a fingerprint counts as firing (and is re-sent)'),
    timeout: Duration.prefault('10s').describe('how long one POST may take before it counts as a network failure'),
  })
  .describe('send alerts to a Prometheus Alertmanager (API v2)');
export type AlertmanagerSinkConfig = z.infer<typeof AlertmanagerSinkConfig>;

export const DigestConfig = z
  .strictObject({
    at: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day HH:MM, e.g. 09:00')
      .default('09:00')
      .describe('when the daily digest is posted (HH:MM in digest.timezone)'),
    timezone: TimeZone.default('UTC').describe('IANA zone of digest.at'),
    topN: z.number().int().min(1).max(20).default(5).describe('how many top actors, addresses and signatures the digest lists'),
  })
  .describe('the daily digest: one message about the last 24 hours');

export const RouteConfig = z
  .strictObject({
    repeatInterval: Duration.prefault('4h').describe('a fingerprint (rule + key) posts again only this long after its last post, in event time; repeats in between are counted for the digest'),
    groupWait: Duration.prefault('30s').describe('alerts of one rule arriving within this long of the first post as one grouped message'),
    maxGroupSize: z.number().int().min(1).max(20).default(10).describe('alerts per grouped message; a fuller group starts a new message'),
    timezone: TimeZone.default('UTC').describe('IANA zone event times are shown in'),
    runbookBaseUrl: z
      .string()
      .refine(isHttpUrl, { message: 'expected an http(s) URL' })
      .optional()
      .describe('base URL that runbook paths (docs/runbooks.md#k4) are resolved against; absent: the path is shown as text'),
    digest: DigestConfig.prefault({}).describe('the daily digest: one message about the last 24 hours'),
  })
  .describe('how alerts become messages: dedup, grouping, time zone, digest');
export type RouteConfig = z.infer<typeof RouteConfig>;

export const GrafanaConfig = z
  .strictObject({
    url: z.string().refine(isHttpUrl, { message: 'expected an http(s) URL such as https://grafana.example.org' }).describe('Grafana base URL'),
    datasource: z.string().min(1).default('loki').describe('uid of the Loki data source in Grafana'),
    orgId: z.number().int().positive().default(1).describe('Grafana organisation id'),
    selectors: z
      .record(z.string(), z.string().regex(/^\{.*\}$/, 'a LogQL stream selector such as {job="sshd"}'))
      .default({})
      .describe('LogQL stream selector per source name or input kind; default {job="<kind>"}'),
    padding: Duration.prefault('1m').describe('time added before the first and after the last evidence line'),
  })
  .describe('Grafana Explore links in Slack messages: LogQL and a time range showing the evidence');
export type GrafanaConfig = z.infer<typeof GrafanaConfig>;

/** `key=value` matchers of a silence: field names an alert carries. */
export const SilenceField = z.enum(['actor', 'address', 'target', 'host', 'key', 'source']);

/** One silence, as kept in <stateDir>/silences.json (written by `tripline silence`). */
export const Silence = z
  .strictObject({
    id: z.string().regex(/^s-[0-9a-f]{8}$/).describe('stable id, e.g. s-1a2b3c4d'),
    rule: z.string().min(1).describe('rule id, or * for every rule'),
    matchers: z
      .array(z.strictObject({ field: SilenceField, value: z.string().min(1).describe('exact value, or a glob with *') }).describe('one field=value matcher'))
      .describe('all must match'),
    createdAt: z.string().describe('RFC 3339'),
    endsAt: z.string().describe('RFC 3339; the silence stops at this time'),
    expiredAt: z.string().nullable().default(null).describe('set by `silence expire`'),
    reason: z.string().min(1).describe('why: shown in list and digest'),
    createdBy: z.string().default('').describe('who added it (the user name)'),
  })
  .describe('a silence: matching alerts are not posted, only counted in the digest');
export type Silence = z.infer<typeof Silence>;

export const SilenceFile = z.strictObject({ version: z.literal(1), silences: z.array(Silence) }).describe('silences.json');
export type SilenceFile = z.infer<typeof SilenceFile>;
