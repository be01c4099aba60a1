// K5: one user deleting many pods, secrets or configmaps in a short time.
// Counts: verb delete or deletecollection on core pods/secrets/configmaps (not a
// subresource such as pods/eviction) by a user not matching `k8s.massDelete.exclude`
// (kubelets, the garbage collector, namespace and daemon-set controllers, CI, the
// local-path provisioner). Fires when more than `k8s.massDelete.threshold` (5) requests
// fall within `k8s.massDelete.window` (60 s). Key = username.
// Each request counts once: dedupe = auditID, so its stages (RequestReceived,
// ResponseComplete, ...) count as one, whichever arrives. A request answered with an
// error (403 denied, 404 already gone) deleted nothing and does not count; a stage with
// no response yet counts (many policies log only one stage).
// A deletecollection counts as one request (the audit log does not say how many objects
// it removed); it is listed as `resource:namespace/*`.
// Must not fire: excluded deleters, other verbs or resources, the same request's stages.
import { defineRule, type RuleContext, type ThresholdRule } from '../define.js';

const VERBS = new Set(['delete', 'deletecollection']);
const RESOURCES = new Set(['pods', 'secrets', 'configmaps']);
const LISTED = 8;

/** Whether a request counts: a successful (or not yet answered) delete of a core pod/secret/configmap by a user not excluded. */
function counted(
  verb: string,
  resource: string | null | undefined,
  apiGroup: string | null | undefined,
  subresource: string | null | undefined,
  failed: boolean,
  user: string | null,
  ctx: RuleContext,
): boolean {
  if (!VERBS.has(verb) || !resource || !RESOURCES.has(resource) || apiGroup || subresource || failed) return false;
  return !ctx.matches(ctx.config.k8s.massDelete.exclude, user);
}

export const K5: ThresholdRule = defineRule({
  kind: 'threshold',
  id: 'K5',
  title: 'Mass delete in Kubernetes',
  severity: 'critical',
  sources: ['k8s-audit'],
  apps: ['k8s'],
  runbook: 'k5',
  tags: ['T1485'],
  description: 'One user deletes more than k8s.massDelete.threshold pods/secrets/configmaps within k8s.massDelete.window',
  params: (config) => ({
    threshold: config.k8s.massDelete.threshold,
    windowMs: config.k8s.massDelete.window,
    exclude: config.k8s.massDelete.exclude,
  }),
  // Exactly select()'s conditions, on the same request facts (code ≥ 400 is a failed outcome).
  // The verb first: a request that is no delete is judged without reading the rest.
  interest: { 'k8s-audit': (v, ctx) => VERBS.has(v.verb) && counted(v.verb, v.resource, v.apiGroup, v.subresource, v.code !== null && v.code >= 400, v.username, ctx) },
  threshold: (config) => config.k8s.massDelete.threshold,
  window: (config) => config.k8s.massDelete.window,
  select(e, ctx) {
    const k = e.k8s;
    const t = e.target;
    if (!k || !counted(k.verb, t.resource, t.apiGroup, t.subresource, e.outcome === 'failure', e.actor.name, ctx)) return null;
    const name = k.verb === 'deletecollection' ? '*' : (t.name ?? '*');
    return {
      key: e.actor.name ?? '(no username)',
      dedupe: k.auditID,
      item: `${t.resource}:${t.namespace ?? '(cluster)'}/${name}`,
      detail: { addrs: e.client.addrs, userAgent: k.userAgent, actorKind: e.actor.kind },
    };
  },
  describe(agg) {
    const shown = agg.items.slice(0, LISTED).map((i) => (i.count > 1 ? `${i.value} (×${i.count})` : i.value));
    const more = agg.count - agg.items.slice(0, LISTED).reduce((n, i) => n + i.count, 0);
    const seconds = Math.max(0, Math.round((agg.lastMs - agg.firstMs) / 1000));
    const details = agg.entries.map((x) => x.detail ?? {});
    const addrs = [...new Set(details.flatMap((d) => (Array.isArray(d.addrs) ? (d.addrs as string[]) : [])))];
    const agents = [...new Set(details.map((d) => d.userAgent).filter((a): a is string => typeof a === 'string' && a !== ''))];
    return {
      summary: `${agg.key} deleted ${agg.count} pods/secrets/configmaps in ${seconds} s: ${shown.join(', ')}${
        more > 0 ? ` and ${more} more` : ''
      }`,
      fields: {
        actor: agg.key,
        actorKind: (details[0]?.actorKind as string | undefined) ?? null,
        addresses: addrs,
        target: agg.items[0]?.value ?? null,
        details: {
          objects: agg.items.map((i) => i.value),
          deletes: agg.count,
          userAgents: agents,
        },
      },
    };
  },
});
