// V4: a Vault ACL policy written or deleted by someone other than the policy writers.
// Fires: the *request* entry of a create/update/delete on `sys/policies/acl/<name>` or
// `sys/policy/<name>`, unless the actor matches `vault.policyWriters` by display name,
// metadata username, metadata role_name (AppRole) or entity id. Denied attempts fire too
// (error in details). Key = the policy name. One alert per request: request entry only.
// Must not fire: reads and lists, the response entry, writers (the Terraform AppRole).
import { defineRule, type MatchRule } from '../define.js';
import { vaultActor, vaultDetails, vaultFrom } from './v1-root-token.js';

const OPERATIONS: Record<string, string> = { create: 'wrote', update: 'wrote', delete: 'deleted' };

export const V4: MatchRule = defineRule({
  kind: 'match',
  id: 'V4',
  title: 'Vault policy written',
  severity: 'warning',
  sources: ['vault-audit'],
  apps: ['vault'],
  runbook: 'v4',
  tags: ['T1098'],
  description: 'create/update/delete on sys/policies/acl/<name> or sys/policy/<name> by an actor not in vault.policyWriters',
  params: (config) => ({ policyWriters: config.vault.policyWriters }),
  match(e, ctx) {
    const v = e.vault;
    if (!v || e.action !== 'policy.write' || v.type !== 'request' || !v.operation || !Object.hasOwn(OPERATIONS, v.operation)) return null;
    const writers = ctx.config.vault.policyWriters;
    const ids = [v.displayName, v.metadata.username, v.metadata.role_name, v.entityId];
    if (ids.some((id) => ctx.matches(writers, id))) return null;
    const policy = e.target.name ?? v.path ?? '(unknown)';
    const actor = vaultActor(e);
    return {
      key: policy,
      summary: `${actor} ${OPERATIONS[v.operation]} Vault policy ${policy} (${v.operation} ${v.path}) from ${vaultFrom(e)}${v.error ? ` (error: ${v.error})` : ''}`,
      fields: {
        actor,
        actorKind: e.actor.kind,
        addresses: [...e.client.addrs],
        target: v.path,
        host: e.host,
        details: { ...vaultDetails(e), policy, roleName: v.metadata.role_name ?? null },
      },
    };
  },
});
