// K4: exec or attach into a pod in a sensitive namespace.
// Fires: `pods` with subresource `exec` or `attach`, verb `create` (SPDY, older kubectl)
// or `get` (WebSocket upgrade, kubectl >= 1.30), in a namespace of
// `k8s.sensitiveExecNamespaces` (vault, kube-system, dbaas, cnpg-system), by a user not in
// `k8s.execAllowed`. The command (`command=` query parameters of the request URI) goes in
// details. Key = username + namespace/pod.
// Must not fire: allowed users, other namespaces, other subresources (logs, portforward,
// status), other verbs. Denied attempts do fire (code in details).
// Stages: exec logs ResponseStarted and, when the session ends, ResponseComplete; both
// fire with the same key and the engine counts the request once (by auditID).
import { defineRule, type MatchRule } from '../define.js';
import { k8sDetails } from './k2-serviceaccount-outside.js';

const SUBRESOURCES = new Set(['exec', 'attach']);
const VERBS = new Set(['create', 'get']);

/** The `command=` arguments of an exec request URI, joined by spaces; null when none. */
export function execCommand(uri: string | null | undefined): string | null {
  if (!uri) return null;
  const q = uri.indexOf('?');
  if (q < 0) return null;
  const args = new URLSearchParams(uri.slice(q + 1)).getAll('command');
  return args.length > 0 ? args.join(' ') : null;
}

export const K4: MatchRule = defineRule({
  kind: 'match',
  id: 'K4',
  title: 'Exec into a pod in a sensitive namespace',
  severity: 'warning',
  sources: ['k8s-audit'],
  apps: ['k8s'],
  runbook: 'k4',
  tags: ['T1609'],
  description: 'exec/attach (verb create or get) into a pod in k8s.sensitiveExecNamespaces by a user not in k8s.execAllowed',
  params: (config) => ({
    sensitiveExecNamespaces: config.k8s.sensitiveExecNamespaces,
    execAllowed: config.k8s.execAllowed,
  }),
  interest: { 'k8s-audit': (v) => v.resource === 'pods' && v.subresource !== null && SUBRESOURCES.has(v.subresource) },
  match(e, ctx) {
    const k = e.k8s;
    const t = e.target;
    if (!k || t.resource !== 'pods' || t.apiGroup || !t.subresource || !SUBRESOURCES.has(t.subresource)) return null;
    if (!VERBS.has(k.verb)) return null;
    const ns = t.namespace;
    if (!ns || !ctx.matches(ctx.config.k8s.sensitiveExecNamespaces, ns)) return null;
    if (ctx.matches(ctx.config.k8s.execAllowed, e.actor.name)) return null;
    const user = e.actor.name ?? '(no username)';
    const pod = `${ns}/${t.name ?? '(unnamed pod)'}`;
    const command = execCommand(t.path);
    const from = e.client.addrs.length > 0 ? e.client.addrs.join(', ') : 'an unknown address';
    return {
      key: `${user} ${pod}`,
      summary: `${user} ran ${t.subresource} into pod ${pod}${command ? ` (${command})` : ''} from ${from}${
        e.outcome === 'failure' ? ` (denied, ${k.code})` : ''
      }`,
      fields: {
        actor: user,
        actorKind: e.actor.kind,
        addresses: [...e.client.addrs],
        target: `pods/${t.subresource} ${pod}`,
        host: e.host,
        details: { ...k8sDetails(e), namespace: ns, pod: t.name ?? null, subresource: t.subresource, command, outcome: e.outcome },
      },
    };
  },
});
