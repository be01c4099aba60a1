// V1: a root token was created.
// Fires: the *response* entry of auth/token/create, create-orphan or create/<role> whose
// issued token (`response.auth.policies`, or its token_policies) includes `root`, alone or
// with others. Key = the new token's accessor (an HMAC; the request id when absent).
// Must not fire: the request entry (the outcome is only in the response), tokens without
// root, other paths. A root parent creating a root child does fire: root tokens should be
// generated only for an emergency.
import { defineRule, type MatchRule } from '../define.js';
import type { SecurityEvent } from '../../schemas/event.js';

/** Who made the Vault request, for summaries. */
export function vaultActor(e: SecurityEvent): string {
  return e.actor.name ?? e.vault?.displayName ?? 'an unauthenticated caller';
}

/** `from <addr>` or `from an unknown address`. */
export function vaultFrom(e: SecurityEvent): string {
  return e.client.addrs.length > 0 ? e.client.addrs.join(', ') : 'an unknown address';
}

/** The Vault request facts every V rule puts in details. */
export function vaultDetails(e: SecurityEvent): Record<string, string | null | string[]> {
  const v = e.vault;
  return {
    requestId: v?.requestId ?? null,
    type: v?.type ?? null,
    operation: v?.operation ?? null,
    path: v?.path ?? null,
    displayName: v?.displayName ?? null,
    entityId: v?.entityId ?? null,
    callerPolicies: v?.callerPolicies ?? [],
    error: v?.error ?? null,
  };
}

export const V1: MatchRule = defineRule({
  kind: 'match',
  id: 'V1',
  title: 'Vault root token created',
  severity: 'critical',
  sources: ['vault-audit'],
  apps: ['vault'],
  runbook: 'v1',
  tags: ['T1078'],
  description: 'A response to auth/token/create* issued a token whose policies include root',
  params: () => ({ paths: ['auth/token/create', 'auth/token/create-orphan', 'auth/token/create/<role>'], policy: 'root' }),
  match(e) {
    const v = e.vault;
    if (!v || e.action !== 'token.create' || v.type !== 'response' || !v.issued) return null;
    const { policies, tokenPolicies, accessor } = v.issued;
    if (!policies.includes('root') && !tokenPolicies.includes('root')) return null;
    const key = accessor ?? v.requestId ?? e.id;
    const actor = vaultActor(e);
    return {
      key,
      summary: `${actor} created a root token (policies ${policies.join(', ') || tokenPolicies.join(', ')}) via ${v.path} from ${vaultFrom(e)}`,
      fields: {
        actor,
        actorKind: e.actor.kind,
        addresses: [...e.client.addrs],
        target: v.path,
        host: e.host,
        details: { ...vaultDetails(e), accessor, issuedPolicies: policies, issuedTokenPolicies: tokenPolicies },
      },
    };
  },
});
