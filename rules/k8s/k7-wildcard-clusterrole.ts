// K7: a ClusterRole granting every verb on every resource.
// Fires: create/update/patch of a ClusterRole whose requestObject has ANY rule (any
// position in `rules`) with `*` in its verbs and `*` in its resources; apiGroups are
// irrelevant. By a user not in `k8s.wildcardRoleCreators`. Key = role name.
// Must not fire: `*` only in verbs or only in resources (in the same rule), Roles
// (namespaced), other verbs, allowed creators, or a request logged without a
// requestObject (level Metadata, or a stage that does not carry it): nothing to judge.
// Patches: requestObject is then the patch. A merge/strategic/apply patch is an object and
// is judged like a full object (a `rules` list replaces the whole list). A JSON patch is a
// list of ops: the `value` of add/replace ops is judged where it says enough: a whole
// `rules` list, one rule, or a verbs and a resources list (or `-` element) set for the same
// rule index by the same patch. An op that touches rules but cannot be judged alone
// (only verbs, a copy/move) is judged on the resulting object (responseObject, level
// RequestResponse) when the line has it, else it does not fire.
// Stages: fires on each stage that carries the body, with the same key.
import { defineRule, type RuleContext, type MatchRule } from '../define.js';
import type { SecurityEvent } from '../../schemas/event.js';
import { k8sDetails } from './k2-serviceaccount-outside.js';

type Obj = Record<string, unknown>;
const WRITE_VERBS = new Set(['create', 'update', 'patch']);

export function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The request and response bodies of a k8s audit event (undefined when not logged). */
export function bodies(e: SecurityEvent): { request: unknown; response: unknown } {
  if (e.raw.format !== 'k8s-audit') return { request: undefined, response: undefined };
  return { request: e.raw.entry.requestObject ?? undefined, response: e.raw.entry.responseObject ?? undefined };
}

export interface PatchOp {
  op: string;
  path: string;
  value?: unknown;
}

/** A JSON patch (RFC 6902): a list of {op, path, ...}. */
export function asPatchOps(v: unknown): PatchOp[] | null {
  if (!Array.isArray(v)) return null;
  const ops = v.filter((o): o is PatchOp => isObj(o) && typeof o.op === 'string' && typeof o.path === 'string');
  return ops.length === v.length ? ops : null;
}

/** `/rules/3/verbs/-` → ['rules','3','verbs','-'] (RFC 6901 unescaping). */
export function pointer(path: string): string[] {
  if (path === '') return [];
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function isWildcardRule(r: unknown): boolean {
  return isObj(r) && strings(r.verbs).includes('*') && strings(r.resources).includes('*');
}

function wildcardInObject(o: Obj): boolean {
  return Array.isArray(o.rules) && o.rules.some(isWildcardRule);
}

type Verdict = 'wildcard' | 'clean' | 'unknown';

/** Judges a JSON patch's ops against the rules list. */
function judgePatch(ops: PatchOp[]): Verdict {
  let unknown = false;
  const verbs = new Set<string>();
  const resources = new Set<string>();
  for (const o of ops) {
    const p = pointer(o.path);
    if (p.length === 0) {
      if (o.op === 'add' || o.op === 'replace') {
        if (isObj(o.value) && wildcardInObject(o.value)) return 'wildcard';
      } else if (o.op !== 'test' && o.op !== 'remove') unknown = true;
      continue;
    }
    if (p[0] !== 'rules') continue;
    const writes = o.op === 'add' || o.op === 'replace';
    if (!writes) {
      if (o.op === 'copy' || o.op === 'move') unknown = true;
      continue; // remove/test never add a wildcard
    }
    if (p.length === 1) {
      if (Array.isArray(o.value) && o.value.some(isWildcardRule)) return 'wildcard';
    } else if (p.length === 2) {
      if (isWildcardRule(o.value)) return 'wildcard';
    } else if (p[2] === 'verbs' || p[2] === 'resources') {
      const star = p.length === 3 ? strings(o.value).includes('*') : o.value === '*';
      const set = p[2] === 'verbs' ? verbs : resources;
      if (star) set.add(p[1]!);
      unknown ||= star;
    }
  }
  for (const i of verbs) if (resources.has(i)) return 'wildcard';
  return unknown ? 'unknown' : 'clean';
}

/** Whether the event's body grants a wildcard rule; null when it cannot be judged. */
export function grantsWildcard(e: SecurityEvent): boolean | null {
  const { request, response } = bodies(e);
  if (request === undefined || request === null) return null;
  let verdict: Verdict;
  const ops = asPatchOps(request);
  if (ops) verdict = judgePatch(ops);
  else if (isObj(request)) verdict = wildcardInObject(request) ? 'wildcard' : 'clean';
  else verdict = 'unknown';
  if (verdict === 'unknown' && isObj(response) && Array.isArray(response.rules)) verdict = wildcardInObject(response) ? 'wildcard' : 'clean';
  return verdict === 'unknown' ? null : verdict === 'wildcard';
}

/** The object name: objectRef, else the body's metadata.name. */
export function objectName(e: SecurityEvent): string | null {
  if (e.target.name) return e.target.name;
  const { request, response } = bodies(e);
  for (const b of [request, response]) if (isObj(b) && isObj(b.metadata) && typeof b.metadata.name === 'string') return b.metadata.name;
  return null;
}

export function isRbac(e: SecurityEvent, resource: string): boolean {
  return e.target.resource === resource && (!e.target.apiGroup || e.target.apiGroup === 'rbac.authorization.k8s.io') && !e.target.subresource;
}

export const K7: MatchRule = defineRule({
  kind: 'match',
  id: 'K7',
  title: 'Wildcard ClusterRole written',
  severity: 'warning',
  sources: ['k8s-audit'],
  apps: ['k8s'],
  runbook: 'k7',
  tags: ['T1098'],
  description: "create/update/patch of a ClusterRole with a rule having '*' verbs and '*' resources, by a user not in k8s.wildcardRoleCreators",
  params: (config) => ({ wildcardRoleCreators: config.k8s.wildcardRoleCreators }),
  interest: { 'k8s-audit': (v) => WRITE_VERBS.has(v.verb) && v.resource === 'clusterroles' },
  match(e: SecurityEvent, ctx: RuleContext) {
    const k = e.k8s;
    if (!k || !WRITE_VERBS.has(k.verb) || !isRbac(e, 'clusterroles')) return null;
    if (ctx.matches(ctx.config.k8s.wildcardRoleCreators, e.actor.name)) return null;
    if (grantsWildcard(e) !== true) return null;
    const user = e.actor.name ?? '(no username)';
    const role = objectName(e) ?? '(unnamed)';
    const from = e.client.addrs.length > 0 ? e.client.addrs.join(', ') : 'an unknown address';
    return {
      key: role,
      summary: `${user} ${k.verb === 'create' ? 'created' : k.verb === 'update' ? 'updated' : 'patched'} ClusterRole ${role} granting * verbs on * resources from ${from}${
        e.outcome === 'failure' ? ` (denied, ${k.code})` : ''
      }`,
      fields: {
        actor: user,
        actorKind: e.actor.kind,
        addresses: [...e.client.addrs],
        target: `clusterroles ${role}`,
        host: e.host,
        details: { ...k8sDetails(e), role, outcome: e.outcome },
      },
    };
  },
});
