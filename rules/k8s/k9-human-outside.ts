// K9: a human's Kubernetes credentials used from outside the trusted networks.
// Fires: the caller is a human (`identities.humans`, via ctx.isHuman) and some address in
// `sourceIPs` is outside `networks.trusted` + `networks.devvm`. Every address in the chain
// is judged (X-Forwarded-For is client-set: ["10.0.20.15","198.51.100.23"] fires for
// 198.51.100.23). One Finding per distinct offending address; key = username + address.
// Must not fire: all addresses inside the sets (IPv4-mapped IPv6 ::ffff:10.0.20.5 counts
// as IPv4), a non-human caller (ServiceAccounts are K2), or no sourceIPs at all.
// Stages: fires on every stage with the same key; the engine counts the request once
// (by auditID, given in details), as for K2.
import { defineRule, type Finding, type MatchRule } from '../define.js';
import { k8sDetails, k8sObject, OUTSIDE_INTEREST, outsideAddresses } from './k2-serviceaccount-outside.js';

const SETS = ['trusted', 'devvm'] as const;

export const K9: MatchRule = defineRule({
  kind: 'match',
  id: 'K9',
  title: 'Human Kubernetes credentials used outside trusted networks',
  severity: 'critical',
  sources: ['k8s-audit'],
  apps: ['k8s'],
  runbook: 'k9',
  tags: ['T1078'],
  description: 'A human (identities.humans) made an API request with some address of sourceIPs outside networks.trusted + networks.devvm',
  params: (config) => ({
    humans: config.identities.humans,
    networks: { trusted: config.networks.trusted, devvm: config.networks.devvm },
  }),
  interest: OUTSIDE_INTEREST,
  match(e, ctx) {
    const user = e.actor.name;
    if (!e.k8s || !user || !ctx.isHuman(e)) return null;
    const bad = outsideAddresses(e.client.addrs, ctx, SETS);
    if (bad.length === 0) return null;
    const what = k8sObject(e) ?? e.target.path ?? 'a non-resource URL';
    return bad.map(
      (addr): Finding => ({
        key: `${user} ${addr}`,
        summary: `${user} used the Kubernetes API from ${addr} (outside trusted networks): ${e.k8s!.verb} ${what}`,
        fields: {
          actor: user,
          actorKind: 'human',
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
