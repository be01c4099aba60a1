// Kubernetes API audit parser: one audit.k8s.io Event (v1, v1beta1, or the older form
// without apiVersion) per line, as the log backend writes them (JSON Lines).
// Format: https://kubernetes.io/docs/reference/config-api/apiserver-audit.v1/
//
// Invariants:
// - One line is one Event. A webhook `EventList` or a GKE `protoPayload` wrapper is a
//   SHAPE error (the reader, not the parser, would have to split batches). The AKS
//   diagnostic wrapper is unwrapped because it costs one lookup: `properties.log` as
//   an object or as a JSON string holding the Event.
// - id = `k8s:<auditID>:<stage>`: one request logged at several stages gives distinct
//   events; rules dedup on k8s.auditID.
// - ts comes from stageTimestamp, else requestReceivedTimestamp, else `timestamp`
//   (v1beta1). The first field present decides: if it does not parse, the line is a
//   TIMESTAMP error rather than silently taking an older time from another field.
// - client.addrs is sourceIPs in order (X-Forwarded-For first, TCP peer last), copied
//   verbatim: rules must judge every entry, because the leading ones can be forged.
// - Pure: no I/O, no clock, no throw.
import type { ActorKind, SecurityEvent } from '../../schemas/event.js';
import { K8sAuditEvent } from '../../schemas/sources/k8s-audit.js';
import { ParseErrorCode } from '../lib/errors.js';
import { cachedRfc3339 } from './cached-time.js';
import { baseEvent, capDepth, describeIssues, fail, parseJsonObject, precheck } from './common.js';
import type { ParseContext, ParseResult, Parser } from './types.js';

/**
 * Actor kind from the username.
 * - `system:serviceaccount:<ns>:<name>` → serviceaccount
 * - `system:node:<node>` → node (kubelets)
 * - `system:anonymous`, an empty or missing username → unknown: the caller did not
 *   authenticate, so it must never be mistaken for a trusted control-plane component
 *   (rules that skip `system` actors would otherwise skip anonymous access).
 * - any other `system:*` (kube-controller-manager, kube-scheduler, apiserver, admin) → system
 * - everything else (certificate CNs, OIDC users, `kubernetes-admin`) → human
 */
export function k8sActorKind(username: string | null): ActorKind {
  if (!username) return 'unknown';
  if (username.startsWith('system:serviceaccount:')) return 'serviceaccount';
  if (username.startsWith('system:node:')) return 'node';
  if (username === 'system:anonymous') return 'unknown';
  if (username.startsWith('system:')) return 'system';
  return 'human';
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** AKS diagnostic export: {"category":"kube-audit...","properties":{"log": Event | "<json>"}}. */
function unwrapAks(value: Obj): Obj | string {
  if (value.auditID !== undefined || !isObj(value.properties)) return value;
  const log = value.properties.log;
  if (isObj(log)) return log;
  if (typeof log !== 'string') return value;
  let inner: unknown;
  try {
    inner = JSON.parse(log);
  } catch {
    return 'an AKS wrapper whose properties.log is not JSON';
  }
  capDepth(inner, log); // issue 9: the wrapped Event is line text too
  return isObj(inner) ? inner : 'an AKS wrapper whose properties.log is not an object';
}

/**
 * Recognizes wrappers and batches before the schema check, so the error says what the
 * line is instead of "auditID: expected string". Returns the Event candidate or why not.
 */
function unwrap(value: Obj): Obj | string {
  const v = unwrapAks(value);
  if (typeof v === 'string') return v;
  if (v.kind === 'EventList' || Array.isArray(v.items)) return 'an EventList (webhook batch); expected one Event per line';
  if (isObj(v.protoPayload)) return 'a GKE Cloud Audit Logs entry (protoPayload); expected an audit.k8s.io Event';
  if (typeof v.kind === 'string' && v.kind !== 'Event') return `kind "${v.kind.slice(0, 64)}" is not an audit Event`;
  return v;
}

/** Lines come in time order: the minute's arithmetic is reused (cached-time.ts). */
const parseTime = cachedRfc3339();

export const parseK8sAudit: Parser = (line: string, ctx: ParseContext): ParseResult => {
  const pre = precheck(line, ctx);
  if (pre) return pre;
  const json = parseJsonObject(line, ctx);
  if (!json.ok) return json.result;

  const candidate = unwrap(json.value);
  if (typeof candidate === 'string') return fail(ctx, ParseErrorCode.SHAPE, `not a Kubernetes audit Event: ${candidate}`, line);
  // A line the scanner proved canonical passes the schema unchanged (ParseContext.scannedCanonical).
  const parsed = ctx.scannedCanonical === true && candidate === json.value ? { success: true as const, data: candidate as K8sAuditEvent } : K8sAuditEvent.safeParse(candidate);
  if (!parsed.success) return fail(ctx, ParseErrorCode.SHAPE, `not a Kubernetes audit Event: ${describeIssues(parsed.error.issues)}`, line);
  const e = parsed.data;

  const tsField = e.stageTimestamp !== undefined ? 'stageTimestamp' : e.requestReceivedTimestamp !== undefined ? 'requestReceivedTimestamp' : 'timestamp';
  const tsText = e[tsField];
  if (tsText === undefined) {
    return fail(ctx, ParseErrorCode.TIMESTAMP, 'no stageTimestamp, requestReceivedTimestamp or timestamp', line);
  }
  const time = parseTime(tsText);
  if (!time) return fail(ctx, ParseErrorCode.TIMESTAMP, `${tsField} is not RFC 3339: ${tsText.slice(0, 64)}`, line);

  const event: SecurityEvent = baseEvent(ctx, `k8s:${e.auditID}:${e.stage}`, time, 'k8s', { format: 'k8s-audit', entry: e });

  // Only ResponseStarted/ResponseComplete/Panic carry responseStatus; RequestReceived
  // has no outcome yet. 1xx (exec/attach upgrades: 101) and 2xx/3xx count as success.
  const code = e.responseStatus?.code ?? null;
  const username = e.user?.username || null;
  const ref = e.objectRef ?? null;

  event.action = 'api.request';
  event.outcome = code === null ? 'unknown' : code < 400 ? 'success' : 'failure';
  // `user` is the real caller even under impersonation; the impersonated name is in the facet.
  event.actor = { name: username, kind: k8sActorKind(username), id: e.user?.uid || null };
  event.client = { addrs: [...(e.sourceIPs ?? [])], port: null };
  // "" and absent mean the same in objectRef (omitempty): both become null, so the core
  // API group ("") is apiGroup null, and a cluster-scoped object has namespace null.
  event.target = {
    resource: ref?.resource || null,
    subresource: ref?.subresource || null,
    apiGroup: ref?.apiGroup || null,
    namespace: ref?.namespace || null,
    name: ref?.name || null,
    path: e.requestURI || null,
    operation: e.verb,
  };
  event.k8s = {
    auditID: e.auditID,
    stage: e.stage,
    level: e.level || null,
    verb: e.verb,
    code,
    userAgent: e.userAgent || null,
    groups: [...(e.user?.groups ?? [])],
    impersonatedUser: e.impersonatedUser?.username || null,
    decision: e.annotations?.['authorization.k8s.io/decision'] || null,
    // requestObject is present only at level Request/RequestResponse and only on stages
    // that carry it; rules that read the body (K7, K8) look for the stage that has it.
    hasRequestObject: e.requestObject !== undefined && e.requestObject !== null,
  };
  return { ok: true, event };
};
