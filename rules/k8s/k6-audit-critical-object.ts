// K6: a change to an object the audit trail depends on.
// Fires: verb update, patch or delete (and deletecollection over a namespace that holds a
// listed object) of an object listed in `k8s.auditCriticalObjects`, written
// `resource:namespace/name` (`resource:name` for cluster-scoped objects; globs allowed).
// Default: configmaps:kube-system/kubeadm-config, where the audit policy lives. Any user,
// any subresource; denied attempts fire too (code in details). Key = the object.
// Must not fire: reads (get/list/watch), create, other objects.
// Stages: fires on every stage with the same key; the engine counts the request once.
import { defineRule, type MatchRule, type RuleContext } from '../define.js';
import { k8sDetails } from './k2-serviceaccount-outside.js';

const VERBS = new Set(['update', 'patch', 'delete']);

/** Each list's entries up to their first `*`: what any object they match must start with. */
const heads = new WeakMap<readonly string[], string[]>();

/**
 * Whether some entry of `list` can match an object of `resource` (`resource:…`): a match
 * must start with the entry's text before its first `*` (lib/glob.ts has no other
 * metacharacter). Lets the prefilter judge a request without reading its object's name.
 */
export function resourceListed(list: readonly string[], resource: string | null | undefined): boolean {
  if (!resource) return false;
  let literal = heads.get(list);
  if (!literal) heads.set(list, (literal = list.map((o) => o.split('*')[0]!)));
  const head = `${resource}:`;
  return literal.some((l) => head.startsWith(l) || l.startsWith(head));
}

/** The listed object this request changes (`resource:namespace/name`), or null. */
export function criticalObject(verb: string, resource: string | null | undefined, namespace: string | null | undefined, name: string | null | undefined, ctx: RuleContext): string | null {
  if (!resource || !resourceListed(ctx.config.k8s.auditCriticalObjects, resource)) return null;
  const list = ctx.config.k8s.auditCriticalObjects;
  const scope = namespace ? `${resource}:${namespace}/` : `${resource}:`;
  if (VERBS.has(verb) && name) {
    const candidate = `${scope}${name}`;
    return ctx.matches(list, candidate) ? candidate : null;
  }
  if (verb === 'deletecollection' && namespace) {
    // No name: every listed object in this resource+namespace is deleted with the rest.
    return list.find((o) => o.startsWith(scope) && !o.slice(scope.length).includes('/')) ?? null;
  }
  return null;
}

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
  // The prefilter asks exactly what match() asks, from the same request facts; verb and
  // resource first, so most requests are judged without their object's name (criticalObject
  // is null for other verbs and for resources no entry can match).
  interest: {
    'k8s-audit': (v, ctx) =>
      (VERBS.has(v.verb) || v.verb === 'deletecollection') &&
      resourceListed(ctx.config.k8s.auditCriticalObjects, v.resource) &&
      criticalObject(v.verb, v.resource, v.namespace, v.name, ctx) !== null,
  },
  match(e, ctx) {
    const k = e.k8s;
    const t = e.target;
    if (!k) return null;
    const object = criticalObject(k.verb, t.resource, t.namespace, t.name, ctx);
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
