// Silences (issue 5): which alerts are not posted, only counted in the digest. Pure:
// matching and the parsing of `--match field=value`; the file lives in silence-file.ts.
//
// A silence is active from createdAt until endsAt (or until `silence expire` set
// expiredAt), judged on the router's clock at the moment it decides about an alert. It
// matches an alert when its rule is the alert's rule (or *) and every matcher matches:
// `actor`, `target`, `host`, `source` and `key` compare with that alert field, `address`
// with any of the alert's addresses. Values are exact or `*` globs (services/lib/glob.ts:
// linear, no regex built from user text).
import type { Alert } from '../../schemas/alert.js';
import { SilenceField, type Silence } from '../../schemas/routing.js';
import { compileGlobs } from '../lib/glob.js';
import { UsageError } from '../lib/errors.js';

export function isActive(s: Silence, nowMs: number): boolean {
  const start = Date.parse(s.createdAt);
  const end = Date.parse(s.endsAt);
  const expired = s.expiredAt === null ? Number.POSITIVE_INFINITY : Date.parse(s.expiredAt);
  return start <= nowMs && nowMs < end && nowMs < expired;
}

function values(alert: Alert, field: Silence['matchers'][number]['field']): Array<string | null | undefined> {
  const f = alert.fields;
  switch (field) {
    case 'actor':
      return [f.actor];
    case 'address':
      return f.addresses ?? [];
    case 'target':
      return [f.target];
    case 'host':
      return [f.host];
    case 'source':
      return [f.source];
    case 'key':
      return [alert.key];
  }
}

export function silenceMatches(s: Silence, alert: Alert, nowMs: number): boolean {
  if (!isActive(s, nowMs)) return false;
  if (s.rule !== '*' && s.rule !== alert.rule) return false;
  return s.matchers.every((m) => {
    const match = compileGlobs([m.value]);
    return values(alert, m.field).some((v) => match(v));
  });
}

/** The first active silence matching `alert`, in the order the silences were added. */
export function findSilence(silences: readonly Silence[], alert: Alert, nowMs: number): Silence | undefined {
  return silences.find((s) => silenceMatches(s, alert, nowMs));
}

/** `actor=kubernetes-admin` → a matcher; a clear usage error otherwise. */
export function parseMatcher(spec: string): Silence['matchers'][number] {
  const eq = spec.indexOf('=');
  const field = eq > 0 ? spec.slice(0, eq) : '';
  const value = eq > 0 ? spec.slice(eq + 1) : '';
  const known = SilenceField.options;
  if (!(known as readonly string[]).includes(field) || value.length === 0) {
    throw new UsageError(`--match takes FIELD=VALUE with FIELD one of ${known.join(', ')} and a non-empty VALUE (exact, or a glob with *); got ${JSON.stringify(spec)}`);
  }
  return { field: field as Silence['matchers'][number]['field'], value };
}

/** One line for `silence list` and the digest: `K4 actor=kubernetes-admin`. */
export function describeSilence(s: Pick<Silence, 'rule' | 'matchers'>): string {
  const m = s.matchers.map((x) => `${x.field}=${x.value}`).join(' ');
  return m ? `${s.rule} ${m}` : s.rule;
}
