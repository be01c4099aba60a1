import { z } from 'zod';
import { Duration } from './durations.js';

// Grafana Loki connection settings (issue 6), shared by the Loki source of
// `tripline run`, the Loki sink and the top-level `loki` block that `tripline replay
// --loki` takes its defaults from. Secrets (password, bearerToken) belong in the
// environment: write `${LOKI_PASSWORD}` and the config loader keeps them out of every
// message (services/config/interpolate.ts).

export const LokiAuth = z
  .union([
    z.strictObject({
      username: z.string().min(1).describe('basic auth user'),
      password: z.string().min(1).describe('basic auth password; use ${ENV} interpolation'),
    }),
    z.strictObject({ bearerToken: z.string().min(1).describe('bearer token; use ${ENV} interpolation') }),
  ])
  .describe('basic auth ({username, password}) or a bearer token ({bearerToken})');
export type LokiAuth = z.infer<typeof LokiAuth>;

const LokiUrl = z
  .string()
  .regex(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, 'an http(s) base URL such as http://loki:3100')
  .describe('Loki base URL, e.g. http://loki:3100 (a path prefix is kept: https://gw/loki)');

/** How to reach Loki; every field but url has a default. */
export const LokiConnectionShape = {
  url: LokiUrl,
  tenant: z.string().min(1).optional().describe('X-Scope-OrgID tenant; absent when Loki runs with auth_enabled: false'),
  auth: LokiAuth.optional().describe('basic auth ({username, password}) or a bearer token ({bearerToken}); absent: none'),
  timeout: Duration.prefault('30s').describe('per request: connect, headers and body'),
  retries: z.number().int().min(0).max(20).default(5).describe('retries of a failed request (network, 429, 5xx) with exponential backoff'),
};

export const LokiConnection = z.strictObject(LokiConnectionShape).describe('a Grafana Loki endpoint');
export type LokiConnection = z.infer<typeof LokiConnection>;

/** A Loki source of `tripline run` (the `loki` block of a source; the source's kind picks the parser). */
export const LokiSourceSettings = z
  .strictObject({
    ...LokiConnectionShape,
    query: z.string().regex(/^\s*\{/, 'a LogQL log query starting with a stream selector, e.g. {job="kubernetes-audit"}').describe('LogQL log query'),
    since: Duration.prefault('1h').describe('startAt: beginning without saved state: how far back to start'),
    hostLabels: z
      .array(z.string().min(1))
      .default(['host', 'hostname', 'nodename', 'node_name', 'node'])
      .describe('stream labels that name the host, in order of preference; used where the line names none'),
    delayFor: z.number().int().min(0).max(5).default(0).describe('tail delay_for in seconds (0-5): lets Loki order late entries'),
    pageLimit: z.number().int().min(1).max(100_000).default(2000).describe('entries per query_range page during catch-up'),
    maxLimit: z.number().int().min(1).max(100_000).default(5000).describe("largest page limit to try when a whole page shares one timestamp (Loki's max_entries_limit_per_query)"),
  })
  .describe('read a LogQL query from Loki: catch-up with query_range, then the tail websocket');
export type LokiSourceSettings = z.infer<typeof LokiSourceSettings>;

/** The Loki sink: each alert as one line under {job="tripline", rule, severity}. */
export const LokiSinkConfig = z
  .strictObject({
    // No `retries`: the router retries deliveries (architecture convention 6).
    url: LokiConnectionShape.url,
    tenant: LokiConnectionShape.tenant,
    auth: LokiConnectionShape.auth,
    timeout: LokiConnectionShape.timeout,
    job: z.string().min(1).default('tripline').describe('the job label of pushed alerts'),
    labels: z
      .record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'a Loki label name'), z.string())
      .default({})
      .describe('extra static labels (keep them low-cardinality), e.g. {cluster: home}'),
  })
  .describe('push each alert as one JSON line to Loki, so Grafana shows alerts beside the logs');
export type LokiSinkConfig = z.infer<typeof LokiSinkConfig>;
