// K2: a ServiceAccount token used from outside the cluster.
// Fires: `user.username` starts with `system:serviceaccount:` and some address in
// `sourceIPs` is outside `networks.trusted` + `networks.devvm`. Every address in the
// chain is judged, because X-Forwarded-For entries (the leading ones) are client-set: an
// attacker on 198.51.100.23 sending `X-Forwarded-For: 10.0.20.15` gets sourceIPs
// ["10.0.20.15","198.51.100.23"] and must still fire. One Finding per distinct offending
// address; key = username + offending address.
// Must not fire: every address inside the sets (IPv4-mapped IPv6 such as ::ffff:10.0.20.5
// counts as its IPv4 address), non-ServiceAccount users, or an event with no sourceIPs
// (nothing to judge). An entry that is not an address is outside every set (fail closed).
// Stages: the rule fires on every stage of a request with the same key; counting the
// request once is the engine's job (it anchors k8s alert ids on auditID, given in details).
import { defineRule, type Finding, type RawInterest, type RuleContext, type MatchRule } from '../define.js';
import type { SecurityEvent } from '../../schemas/event.js';

const SETS = ['trusted', 'devvm'] as const;

/** The distinct addresses of the chain outside `sets`, in chain order. Shared with K9. */
export function outsideAddresses(addrs: readonly string[], ctx: RuleContext, sets: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of addrs) if (!out.includes(a) && !ctx.inNetworks(a, sets)) out.push(a);
  return out;
}

/** Prefilter interest of K2 and K9: some address of the chain is outside the sets (whoever the caller is). */
export function someAddressOutside(addrs: readonly string[], ctx: RuleContext): boolean {
  for (const a of addrs) if (!ctx.inNetworks(a, SETS)) return true;
  return false;
}

/** The one interest object K2 and K9 share (the prefilter asks a shared interest once per line). */
export const OUTSIDE_INTEREST: RawInterest = { 'k8s-audit': (v, ctx) => someAddressOutside(v.addrs, ctx) };

/** The k8s request facts every K rule puts in details. */
export function k8sDetails(e: SecurityEvent): Record<string, string | number | null> {
  return {
    auditID: e.k8s?.auditID ?? null,
    stage: e.k8s?.stage ?? null,
    verb: e.k8s?.verb ?? null,
    code: e.k8s?.code ?? null,
    userAgent: e.k8s?.userAgent ?? null,
    requestURI: e.target.path ?? null,
  };
}

/** `resource namespace/name` (or the parts present) for summaries. */
export function k8sObject(e: SecurityEvent): string | null {
  const t = e.target;
  if (!t.resource) return null;
  const sub = t.subresource ? `/${t.subresource}` : '';
  const obj = [t.namespace, t.name].filter(Boolean).join('/');
  return obj ? `${t.resource}${sub} ${obj}` : `${t.resource}${sub}`;
}

export const K2: MatchRule = defineRule({
  kind: 'match',
  id: 'K2',
  title: 'ServiceAccount token used outside the cluster',
  severity: 'critical',
  sources: ['k8s-audit'],
  apps: ['k8s'],
  runbook: 'k2',
  tags: ['T1078.004', 'T1528'],
  description: 'A ServiceAccount made an API request with some address of sourceIPs outside networks.trusted + networks.devvm',
  params: (config) => ({ networks: { trusted: config.networks.trusted, devvm: config.networks.devvm } }),
  interest: OUTSIDE_INTEREST,
  match(e, ctx) {
    const user = e.actor.name;
    if (!e.k8s || !user || !user.startsWith('system:serviceaccount:')) return null;
    const bad = outsideAddresses(e.client.addrs, ctx, SETS);
    if (bad.length === 0) return null;
    return bad.map(
      (addr): Finding => ({
        key: `${user} ${addr}`,
        summary: `ServiceAccount ${user} used its token from ${addr} (outside trusted networks): ${e.k8s!.verb} ${k8sObject(e) ?? e.target.path ?? 'a non-resource URL'}`,
        fields: {
          actor: user,
          actorKind: e.actor.kind,
          addresses: [...e.client.addrs],
          outsideTrusted: bad,
          target: k8sObject(e) ?? e.target.path ?? null,
          host: e.host,
          details: { ...k8sDetails(e), offendingAddress: addr },
        },
      }),
    );
  },
});
