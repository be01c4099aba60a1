// V5: a spike of failed Vault requests (password guessing, token spraying).
// Counts: RESPONSE entries (outcomes live in the response) that failed:
//  - a top-level `error` (permission denied, invalid credentials, invalid token), or
//  - a login (`auth/<mount>/login...`) with `response.data.error` or no `response.auth`:
//    an unknown user's failed login carries no top-level error at all.
// Fires when more than `vault.authFailures.threshold` (10) failures fall within
// `vault.authFailures.window` (60 s). Key = the remote address, or `*` with
// `vault.authFailures.groupBy: none`. Each request id counts once (dedupe).
// Items: the paths, or the addresses when grouping by none; the alert lists the top ones.
// Must not fire: request entries, successful logins, successful responses.
import { defineRule, type ThresholdRule } from '../define.js';
import type { SecurityEvent } from '../../schemas/event.js';

const LISTED = 5;

function remote(e: SecurityEvent): string {
  return e.client.addrs[e.client.addrs.length - 1] ?? '(no address)';
}

/** A failed response entry, as docs/rules.md defines it for V5. */
export function isVaultFailure(e: SecurityEvent): boolean {
  const v = e.vault;
  if (!v || v.type !== 'response') return false;
  if (v.error !== null) return true;
  return v.login && (v.responseDataError || v.issued === null);
}

function top(values: Iterable<string>): Array<{ value: string; count: number }> {
  const n = new Map<string, number>();
  for (const v of values) n.set(v, (n.get(v) ?? 0) + 1);
  return [...n]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([value, count]) => ({ value, count }));
}

const show = (list: Array<{ value: string; count: number }>): string =>
  list
    .slice(0, LISTED)
    .map((i) => `${i.value} (${i.count})`)
    .join(', ');

export const V5: ThresholdRule = defineRule({
  kind: 'threshold',
  id: 'V5',
  title: 'Vault authentication failures',
  severity: 'warning',
  sources: ['vault-audit'],
  apps: ['vault'],
  runbook: 'v5',
  tags: ['T1110'],
  description: 'More than vault.authFailures.threshold failed Vault requests within vault.authFailures.window, per remote address',
  params: (config) => ({ ...config.vault.authFailures }),
  threshold: (config) => config.vault.authFailures.threshold,
  window: (config) => config.vault.authFailures.window,
  select(e, ctx) {
    if (!isVaultFailure(e)) return null;
    const byAddress = ctx.config.vault.authFailures.groupBy === 'remote_address';
    const path = e.vault!.path ?? '(no path)';
    const v = e.vault!;
    return {
      key: byAddress ? remote(e) : '*',
      dedupe: v.requestId ?? e.id,
      item: byAddress ? path : remote(e),
      detail: {
        path,
        error: v.error ?? (v.responseDataError ? 'login error in response data' : 'no token issued'),
        actor: v.metadata.username ?? v.displayName,
      },
    };
  },
  describe(agg, ctx) {
    const byAddress = ctx.config.vault.authFailures.groupBy === 'remote_address';
    // Items hold what the key does not: paths per address, or addresses for `*`.
    const addresses = byAddress ? [{ value: agg.key, count: agg.count }] : agg.items;
    const details = agg.entries.map((x) => x.detail ?? {});
    const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
    const paths = byAddress ? agg.items : top(details.map((d) => text(d.path) ?? '(no path)'));
    const errors = top(details.map((d) => text(d.error) ?? 'no token issued'));
    const actors = [...new Set(details.map((d) => text(d.actor)).filter((a): a is string => !!a))];
    return {
      summary: `${agg.count} failed Vault requests in ${Math.round((agg.lastMs - agg.firstMs) / 1000)} s from ${show(addresses)} on ${show(paths)}`,
      fields: {
        actor: actors.length === 1 ? actors[0]! : null,
        addresses: addresses.map((a) => a.value),
        target: paths[0]?.value ?? null,
        details: {
          failures: agg.count,
          topAddresses: addresses.slice(0, LISTED).map((a) => `${a.value} (${a.count})`),
          topPaths: paths.slice(0, LISTED).map((p) => `${p.value} (${p.count})`),
          errors: errors.slice(0, LISTED).map((x) => `${x.value} (${x.count})`),
          actors,
        },
      },
    };
  },
});
