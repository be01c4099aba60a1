// K6: a change to an object the audit trail depends on.
// Fires: verb update, patch or delete (and deletecollection over a namespace that holds a
// listed object) of an object listed in `k8s.auditCriticalObjects`, written
// `resource:namespace/name` (`resource:name` for cluster-scoped objects; globs allowed).
// Default: configmaps:kube-system/kubeadm-config, where the audit policy lives. Any user,
// any subresource; denied attempts fire too (code in details). Key = the object.
// Must not fire: reads (get/list/watch), create, other objects.
// Stages: fires on every stage with the same key; the engine counts the request once.
import { defineRule, type MatchRule } from '../define.js';
import { k8sDetails } from './k2-serviceaccount-outside.js';

const VERBS = new Set(['update', 'patch', 'delete']);

export const K6: MatchRule = defineRule({
  kind: 'match',
  id: 'K6',
  title: 'Audit-critical object changed',
  severity: 'critical',
  sources: ['k8s-audit'],
  apps: ['k8s'],
  runbook: 'k6',
  tags: ['T1562.008'],
  description: 'update/patch/delete of an object in k8s.auditCriticalObjects (default configmap kube-system/kubeadm-config)',
  params: (config) => ({ auditCriticalObjects: config.k8s.auditCriticalObjects }),
  // Any write of a resource that has a listed object. Entries are `resource:...` (globs
  // allowed): an entry with a `*` before its first colon, or no colon, or a resource name
  // that itself holds a colon, could match anything, so they make every write interesting.
  interest: {
    'k8s-audit': (v, ctx) =>
      v.resource !== null &&
      (VERBS.has(v.verb) || v.verb === 'deletecollection') &&
      (v.resource.includes(':') ||
        ctx.config.k8s.auditCriticalObjects.some((o) => !o.includes(':') || o.slice(0, o.indexOf(':')).includes('*') || o.startsWith(`${v.resource}:`))),
  },
  match(e, ctx) {
    const k = e.k8s;
    const t = e.target;
    if (!k || !t.resource) return null;
    const list = ctx.config.k8s.auditCriticalObjects;
    const scope = t.namespace ? `${t.resource}:${t.namespace}/` : `${t.resource}:`;
    let object: string | null = null;
    if (VERBS.has(k.verb) && t.name) {
      const candidate = `${scope}${t.name}`;
      if (ctx.matches(list, candidate)) object = candidate;
    } else if (k.verb === 'deletecollection' && t.namespace) {
      // No name: every listed object in this resource+namespace is deleted with the rest.
      object = list.find((o) => o.startsWith(scope) && !o.slice(scope.length).includes('/')) ?? null;
    }
    if (object === null) return null;
    const user = e.actor.name ?? '(no username)';
    const from = e.client.addrs.length > 0 ? e.client.addrs.join(', ') : 'an unknown address';
    return {
      key: object,
      summary: `${user} ran ${k.verb} on ${object} from ${from}${e.outcome === 'failure' ? ` (denied, ${k.code})` : ''}`,
      fields: {
        actor: user,
        actorKind: e.actor.kind,
        addresses: [...e.client.addrs],
        target: object,
        host: e.host,
        details: { ...k8sDetails(e), outcome: e.outcome },
      },
    };
  },
});
