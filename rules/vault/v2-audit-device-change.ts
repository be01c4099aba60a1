// V2: a Vault audit device was enabled, changed or disabled.
// Fires: an entry of a create/update/delete on `sys/audit/<path>` (not the `sys/audit`
// listing, not `sys/audit-hash/<path>`). Denied attempts fire too (the error is in
// details). Key = the device path.
// Both entries may fire: the engine anchors match-rule ids on the Vault request id and
// emits each once, so one request is one alert. Both are needed: disabling a device
// writes only the request entry, and ENABLING the first device writes only the response
// (the device did not exist when the request was logged: the tutorial log's line 1).
// Must not fire: reads and lists, other paths.
import { defineRule, type MatchRule } from '../define.js';
import { vaultActor, vaultDetails, vaultFrom } from './v1-root-token.js';

const OPERATIONS: Record<string, string> = { create: 'enabled', update: 'enabled or changed', delete: 'disabled' };

export const V2: MatchRule = defineRule({
  kind: 'match',
  id: 'V2',
  title: 'Vault audit device changed',
  severity: 'critical',
  sources: ['vault-audit'],
  apps: ['vault'],
  runbook: 'v2',
  tags: ['T1562.008'],
  description: 'create/update/delete on sys/audit/<path>: an audit device enabled, changed or disabled',
  params: () => ({ paths: ['sys/audit/<path>'], operations: Object.keys(OPERATIONS), entry: 'request or response, once per request id' }),
  match(e) {
    const v = e.vault;
    if (!v || e.action !== 'audit.config' || (v.type !== 'request' && v.type !== 'response') || !v.operation || !Object.hasOwn(OPERATIONS, v.operation)) return null;
    const what = OPERATIONS[v.operation]!;
    const device = e.target.name ?? v.path?.slice('sys/audit/'.length) ?? '(unknown)';
    const actor = vaultActor(e);
    return {
      key: device,
      summary: `${actor} ${what} audit device ${device} (${v.operation} ${v.path}) from ${vaultFrom(e)}${v.error ? ` (error: ${v.error})` : ''}`,
      fields: {
        actor,
        actorKind: e.actor.kind,
        addresses: [...e.client.addrs],
        target: v.path,
        host: e.host,
        details: { ...vaultDetails(e), device },
      },
    };
  },
});
