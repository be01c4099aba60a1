// Config checks zod cannot express: CIDR syntax, rule ids that exist, maintenance windows
// that parse, K6 object names. They run on the raw (interpolated) data, even when the
// schema rejected other parts of it, so one `tripline check` lists every problem at once.
// Anything of the wrong type is skipped here: the schema already reports it.
import { cidrReason } from '../lib/cidr.js';
import { windowProblems } from './maintenance.js';
import { formatPath, quote, type PathSeg, type RawProblem, type Secrets } from './problems.js';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The value as a message subject: quoted, or the variable it came from when interpolated. */
function subject(value: string, segs: PathSeg[], secrets: Secrets): string {
  const vars = secrets.varsFor(formatPath(segs), value);
  return vars ? `the value of ${vars.map((v) => '${' + v + '}').join(', ')} (not shown)` : quote(value);
}

function networkProblems(networks: unknown, secrets: Secrets): RawProblem[] {
  const out: RawProblem[] = [];
  if (!isRecord(networks)) return out;
  for (const [name, list] of Object.entries(networks)) {
    if (!Array.isArray(list)) continue;
    list.forEach((entry, i) => {
      if (typeof entry !== 'string' || entry === '') return;
      const reason = cidrReason(entry);
      if (!reason) return;
      const segs = ['networks', name, i];
      const secret = secrets.varsFor(formatPath(segs), entry);
      // A "did you mean" for host bits would repeat most of a secret value: keep it generic then.
      const message = secret ? `${subject(entry, segs, secrets)} is not a valid IPv4/IPv6 address or CIDR` : `${quote(entry)} ${reason}`;
      out.push({ segs, message });
    });
  }
  return out;
}

function ruleIdProblems(rules: unknown, ruleIds: readonly string[]): RawProblem[] {
  if (!isRecord(rules)) return [];
  const known = new Set(ruleIds);
  return Object.keys(rules)
    .filter((id) => !known.has(id))
    .map((id) => {
      // Rule ids are two characters: edit distance would suggest K2 for K1, so only case is forgiven.
      const sameCase = ruleIds.find((k) => k.toLowerCase() === id.toLowerCase());
      const hint = sameCase ? `did you mean ${quote(sameCase)}?` : `known ids: ${ruleIds.join(', ')}`;
      return { segs: ['rules', id], message: `unknown rule id ${quote(id)} (${hint})`, atKey: true };
    });
}

function maintenanceProblems(hosts: unknown, secrets: Secrets): RawProblem[] {
  if (!isRecord(hosts) || !Array.isArray(hosts.maintenance)) return [];
  const out: RawProblem[] = [];
  hosts.maintenance.forEach((w, i) => {
    if (!isRecord(w)) return;
    for (const p of windowProblems(w)) {
      const segs: PathSeg[] = p.field ? ['hosts', 'maintenance', i, p.field] : ['hosts', 'maintenance', i];
      const value = p.field ? w[p.field] : undefined;
      const message = typeof value === 'string' ? `${subject(value, segs, secrets)}: ${p.message}` : p.message;
      out.push({ segs, message });
    }
  });
  return out;
}

/** K6 objects are `resource:namespace/name` or `resource:name` (globs allowed). */
function criticalObjectProblems(k8s: unknown, secrets: Secrets): RawProblem[] {
  if (!isRecord(k8s) || !Array.isArray(k8s.auditCriticalObjects)) return [];
  const out: RawProblem[] = [];
  k8s.auditCriticalObjects.forEach((o, i) => {
    if (typeof o !== 'string' || o === '') return;
    const colon = o.indexOf(':');
    const rest = o.slice(colon + 1);
    const parts = rest.split('/');
    const ok = colon > 0 && parts.length <= 2 && parts.every((p) => p.length > 0) && !/\s/.test(o);
    if (!ok) {
      const segs = ['k8s', 'auditCriticalObjects', i];
      out.push({ segs, message: `${subject(o, segs, secrets)} is not resource:namespace/name or resource:name (e.g. configmaps:kube-system/kubeadm-config)` });
    }
  });
  return out;
}

/** Every semantic problem of the raw config data. */
export function semanticProblems(data: unknown, secrets: Secrets, ruleIds: readonly string[]): RawProblem[] {
  if (!isRecord(data)) return [];
  return [
    ...networkProblems(data.networks, secrets),
    ...criticalObjectProblems(data.k8s, secrets),
    ...maintenanceProblems(data.hosts, secrets),
    ...ruleIdProblems(data.rules, ruleIds),
  ];
}
