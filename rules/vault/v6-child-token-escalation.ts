// V6: a child token with policies its parent does not hold.
// Fires: the *response* entry of auth/token/create* whose issued token's policies
// (`response.auth.policies`, ignoring `default`) are not a subset of the parent's
// (`auth.policies`, the caller). Key = the new token's accessor (the request id when absent).
// Must not fire: a subset (the normal case), a parent holding `root` (root may mint
// anything; V1 still reports a root child), the request entry, no token issued.
// Note: a role-based create (auth/token/create/<role>) may legitimately grant the role's
// allowed policies that the caller lacks; the runbook says how to tell.
import { defineRule, type MatchRule } from '../define.js';
import { vaultActor, vaultDetails, vaultFrom } from './v1-root-token.js';

export const V6: MatchRule = defineRule({
  kind: 'match',
  id: 'V6',
  title: 'Vault child token with escalated policies',
  severity: 'critical',
  sources: ['vault-audit'],
  apps: ['vault'],
  runbook: 'v6',
  tags: ['T1078', 'T1548'],
  description: "A response to auth/token/create* issued a child token with policies (besides default) that the parent lacks, unless the parent holds root",
  params: () => ({ ignoredPolicies: ['default'], exemptParentPolicy: 'root' }),
  match(e) {
    const v = e.vault;
    if (!v || e.action !== 'token.create' || v.type !== 'response' || !v.issued) return null;
    const parent = v.callerPolicies;
    if (parent.includes('root')) return null;
    const child = v.issued.policies.length > 0 ? v.issued.policies : v.issued.tokenPolicies;
    const extra = [...new Set(child.filter((p) => p !== 'default' && !parent.includes(p)))];
    if (extra.length === 0) return null;
    const key = v.issued.accessor ?? v.requestId ?? e.id;
    const actor = vaultActor(e);
    return {
      key,
      summary: `${actor} created a child token with policies it does not hold (${extra.join(', ')}) via ${v.path} from ${vaultFrom(e)}`,
      fields: {
        actor,
        actorKind: e.actor.kind,
        addresses: [...e.client.addrs],
        target: v.path,
        host: e.host,
        details: { ...vaultDetails(e), accessor: v.issued.accessor, issuedPolicies: child, escalatedPolicies: extra, parentPolicies: parent },
      },
    };
  },
});
