// K8: a RoleBinding or ClusterRoleBinding granting a role to anonymous callers.
// Fires: create/update/patch of a rolebinding or clusterrolebinding whose requestObject
// `subjects` include `system:anonymous` or `system:unauthenticated` (kind User or Group).
// Judged on the subjects only, never on the text of the line: an annotation, a label, a
// role name or a userAgent containing "system:anonymous" does not fire. Key = the binding
// (`clusterrolebindings:<name>` or `rolebindings:<namespace>/<name>`).
// Must not fire: other subjects, reads, deletes, a line with no requestObject (level
// Metadata: nothing to judge).
// Patches (see K7): a merge/strategic/apply patch object is judged on its `subjects`; a
// JSON patch on the `value` of add/replace ops that set the whole list, one subject, or a
// subject's name; a copy/move into subjects is judged on responseObject when present.
// Stages: fires on each stage that carries the body, with the same key.
import { defineRule, type MatchRule } from '../define.js';
import type { SecurityEvent } from '../../schemas/event.js';
import { k8sDetails } from './k2-serviceaccount-outside.js';
import { asPatchOps, bodies, isObj, isRbac, objectName, pointer } from './k7-wildcard-clusterrole.js';

const ANONYMOUS = new Set(['system:anonymous', 'system:unauthenticated']);
const WRITE_VERBS = new Set(['create', 'update', 'patch']);

function anonSubject(s: unknown): string | null {
  if (!isObj(s) || typeof s.name !== 'string' || !ANONYMOUS.has(s.name)) return null;
  // A ServiceAccount cannot be named system:*; only User and Group name these identities.
  return s.kind === undefined || s.kind === 'User' || s.kind === 'Group' ? s.name : null;
}

function anonIn(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list.map(anonSubject).filter((n): n is string => n !== null);
}

/** The anonymous subjects the request grants; null when the body cannot be judged. */
export function anonymousSubjects(e: SecurityEvent): string[] | null {
  const { request, response } = bodies(e);
  if (request === undefined || request === null) return null;
  const ops = asPatchOps(request);
  if (!ops) return isObj(request) ? anonIn(request.subjects) : null;
  const found: string[] = [];
  let unknown = false;
  for (const o of ops) {
    const p = pointer(o.path);
    const writes = o.op === 'add' || o.op === 'replace';
    if (p.length === 0) {
      if (writes && isObj(o.value)) found.push(...anonIn(o.value.subjects));
      else if (o.op === 'copy' || o.op === 'move') unknown = true;
      continue;
    }
    if (p[0] !== 'subjects') continue;
    if (!writes) {
      if (o.op === 'copy' || o.op === 'move') unknown = true;
      continue;
    }
    if (p.length === 1) found.push(...anonIn(o.value));
    else if (p.length === 2) {
      const n = anonSubject(o.value);
      if (n) found.push(n);
    } else if (p.length === 3 && p[2] === 'name' && typeof o.value === 'string' && ANONYMOUS.has(o.value)) found.push(o.value);
  }
  if (found.length === 0 && unknown) return isObj(response) && Array.isArray(response.subjects) ? anonIn(response.subjects) : null;
  return [...new Set(found)];
}

function roleRef(e: SecurityEvent): string | null {
  const { request, response } = bodies(e);
  for (const b of [request, response]) {
    if (isObj(b) && isObj(b.roleRef) && typeof b.roleRef.name === 'string') {
      return typeof b.roleRef.kind === 'string' ? `${b.roleRef.kind} ${b.roleRef.name}` : b.roleRef.name;
    }
  }
  return null;
}

export const K8: MatchRule = defineRule({
  kind: 'match',
  id: 'K8',
  title: 'Role bound to anonymous users',
  severity: 'critical',
  sources: ['k8s-audit'],
  apps: ['k8s'],
  runbook: 'k8',
  tags: ['T1098'],
  description: 'create/update/patch of a (Cluster)RoleBinding whose subjects include system:anonymous or system:unauthenticated',
  params: () => ({ subjects: [...ANONYMOUS] }),
  interest: { 'k8s-audit': (v) => WRITE_VERBS.has(v.verb) && (v.resource === 'rolebindings' || v.resource === 'clusterrolebindings') },
  match(e) {
    const k = e.k8s;
    if (!k || !WRITE_VERBS.has(k.verb)) return null;
    const cluster = isRbac(e, 'clusterrolebindings');
    if (!cluster && !isRbac(e, 'rolebindings')) return null;
    const subjects = anonymousSubjects(e);
    if (!subjects || subjects.length === 0) return null;
    const name = objectName(e) ?? '(unnamed)';
    const binding = cluster ? `clusterrolebindings:${name}` : `rolebindings:${e.target.namespace ?? '(no namespace)'}/${name}`;
    const user = e.actor.name ?? '(no username)';
    const role = roleRef(e);
    const from = e.client.addrs.length > 0 ? e.client.addrs.join(', ') : 'an unknown address';
    return {
      key: binding,
      summary: `${user} bound ${role ?? 'a role'} to ${subjects.join(' and ')} in ${binding} from ${from}${
        e.outcome === 'failure' ? ` (denied, ${k.code})` : ''
      }`,
      fields: {
        actor: user,
        actorKind: e.actor.kind,
        addresses: [...e.client.addrs],
        target: binding,
        host: e.host,
        details: { ...k8sDetails(e), subjects, roleRef: role, outcome: e.outcome },
      },
    };
  },
});
