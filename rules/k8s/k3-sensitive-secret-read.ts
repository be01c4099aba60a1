// K3: secrets read in a sensitive namespace by someone who has no business reading them.
// Fires: verb get/list/watch on core `secrets` in a namespace of
// `k8s.sensitiveSecretNamespaces` (vault, sealed-secrets, external-secrets) by a user not
// matching `k8s.secretReaders` (the human and the external-secrets, sealed-secrets and
// vault ServiceAccounts). Denied attempts fire too (the code is in details): trying to
// read the unseal keys is the interesting part. Key = username + namespace.
// Must not fire: readers (globs such as system:serviceaccount:external-secrets:*), other
// verbs, other namespaces, other resources. A cluster-wide list/watch (no namespace) is
// not "in" a sensitive namespace and does not fire: controllers watch secrets cluster-wide
// all the time, and K3 would drown in them (see the runbook).
// Stages: fires on every stage with the same key; the engine counts the request once.
import { defineRule, type MatchRule } from '../define.js';
import { k8sDetails, k8sObject } from './k2-serviceaccount-outside.js';

const READ_VERBS = new Set(['get', 'list', 'watch']);

export const K3: MatchRule = defineRule({
  kind: 'match',
  id: 'K3',
  title: 'Secret read in a sensitive namespace',
  severity: 'critical',
  sources: ['k8s-audit'],
  apps: ['k8s'],
  runbook: 'k3',
  tags: ['T1552.007'],
  description: 'get/list/watch on secrets in k8s.sensitiveSecretNamespaces by a user not in k8s.secretReaders',
  params: (config) => ({
    sensitiveSecretNamespaces: config.k8s.sensitiveSecretNamespaces,
    secretReaders: config.k8s.secretReaders,
  }),
  interest: {
    'k8s-audit': (v, ctx) =>
      v.resource === 'secrets' && READ_VERBS.has(v.verb) && ctx.matches(ctx.config.k8s.sensitiveSecretNamespaces, v.namespace),
  },
  match(e, ctx) {
    const k = e.k8s;
    const t = e.target;
    if (!k || !READ_VERBS.has(k.verb) || t.resource !== 'secrets' || t.apiGroup || t.subresource) return null;
    const ns = t.namespace;
    if (!ns || !ctx.matches(ctx.config.k8s.sensitiveSecretNamespaces, ns)) return null;
    const user = e.actor.name ?? '(no username)';
    if (ctx.matches(ctx.config.k8s.secretReaders, e.actor.name)) return null;
    const what = t.name ? `secret ${ns}/${t.name}` : `secrets in ${ns}`;
    const from = e.client.addrs.length > 0 ? e.client.addrs.join(', ') : 'an unknown address';
    return {
      key: `${user} ${ns}`,
      summary: `${user} ${k.verb === 'get' ? 'read' : k.verb === 'list' ? 'listed' : 'watched'} ${what} from ${from}${
        e.outcome === 'failure' ? ` (denied, ${k.code})` : ''
      }`,
      fields: {
        actor: user,
        actorKind: e.actor.kind,
        addresses: [...e.client.addrs],
        target: k8sObject(e),
        host: e.host,
        details: { ...k8sDetails(e), namespace: ns, secret: t.name ?? null, outcome: e.outcome },
      },
    };
  },
});
