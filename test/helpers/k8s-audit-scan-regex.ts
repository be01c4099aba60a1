// The regular-expression k8s-audit scanner the replay prefilter used before the
// hand-written one (services/parsers/k8s-audit-scan.ts): kept as a test oracle, both must
// accept exactly the same lines and read the same values.
// The k8s-audit raw-line scanner behind the replay prefilter (issue 8): reads the
// request facts rules judge (verb, user, sourceIPs, objectRef, code) and the event time
// from a line WITHOUT JSON.parse, and says when it cannot.
//
// Invariants (what makes skipping the full parse safe):
// - It recognizes only the canonical form the API server's log backend writes (Go
//   struct field order, compact, `kind: Event`, `audit.k8s.io/v1`), with ONE anchored
//   regular expression whose every part accepts only valid JSON: strings with valid
//   escapes and no raw control characters, numbers by the JSON grammar, nesting to a
//   fixed depth. So a match proves the line is valid JSON, parses to an object with
//   exactly these top-level keys, and passes the K8sAuditEvent schema (types checked per
//   key; the keys of user, objectRef and responseStatus are fixed, so no duplicate key
//   can change a value JSON.parse would pick). Anything else (other field orders,
//   whitespace, impersonation, deep bodies, escapes in a value it reads, ...) is null:
//   the caller parses in full. Null is always safe; a wrong non-null is a missed alert.
// - Values it returns are read verbatim from unescaped JSON strings, so they equal the
//   parsed values; "" becomes null exactly as the parser does (`x || null`).
// - The time is stageTimestamp (always present in this form, so it is the field the
//   parser picks), converted exactly as parseRfc3339 does; if that fails, null.
// - Linear time: no nested unbounded quantifiers over the same characters.
import type { K8sLineScan, TimeCache } from '../../services/parsers/k8s-audit-scan.js';

/** A JSON string (valid escapes, no raw control characters). */
const ESC = String.raw`"[^"\\\x00-\x1f]*(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\x00-\x1f]*)*"`;
/**
 * A JSON string without escapes: its text is its value. Used wherever the API server
 * never escapes (ids, names, groups, times): about twice as fast as ESC, and a line
 * that does escape there simply takes the full parse. ESC is kept for the fields Go's
 * encoder does escape in practice: requestURI (`&` as \u0026), userAgent, messages and
 * annotation values (the RBAC reason quotes names).
 */
const RAW = String.raw`"[^"\\\x00-\x1f]*"`;
const NUM = String.raw`-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?`;
/** Object members and array elements: a comma must be followed by another one, no trailing comma. */
const MEMBER_END = String.raw`(?:,(?=")|(?=\}))`;
const ELEMENT_END = String.raw`(?:,(?=[-"0-9tfn{\[])|(?=\]))`;
/** Nesting the generic value pattern allows (requestObject and friends); deeper lines take the full parse. */
const DEPTH = 4;

function value(depth: number): string {
  const scalar = `${ESC}|${NUM}|true|false|null`;
  if (depth === 0) return `(?:${scalar})`;
  const v = value(depth - 1);
  return `(?:${scalar}|\\{(?:${ESC}:${v}${MEMBER_END})*\\}|\\[(?:${v}${ELEMENT_END})*\\])`;
}

const VALUE = value(DEPTH);
const RAW_LIST = `\\[(?:${RAW}${ELEMENT_END})*\\]`;
const ANNOTATIONS = `\\{(?:${RAW}:${ESC}${MEMBER_END})*\\}`;
const EXTRA_MAP = `\\{(?:${RAW}:(?:${RAW}|${RAW_LIST})${MEMBER_END})*\\}`;
const CAP = String.raw`"([^"\\\x00-\x1f]*)"`;

// Field order is the API server's (k8s.io/apiserver/pkg/apis/audit Event, ObjectReference,
// UserInfo, metav1.Status); optional fields may be absent (omitempty).
const LINE = new RegExp(
  [
    '^\\{"kind":"Event","apiVersion":"audit\\.k8s\\.io/v1","level":(?:"Metadata"|"Request"|"RequestResponse"|"None")',
    String.raw`,"auditID":"[^"\\\x00-\x1f]+","stage":"[A-Za-z]+"`,
    `(?:,"requestURI":${ESC})?`,
    ',"verb":"([a-z]+)"',
    `,"user":\\{"username":${CAP}(?:,"uid":${RAW})?(?:,"groups":${RAW_LIST})?(?:,"extra":${EXTRA_MAP})?\\}`,
    `(?:,"sourceIPs":\\[((?:${RAW}${ELEMENT_END})*)\\])?`,
    `(?:,"userAgent":${ESC})?`,
    `(?:,"objectRef":\\{"resource":${CAP}(?:,"namespace":${CAP})?(?:,"name":${CAP})?(?:,"uid":${RAW})?(?:,"apiGroup":${CAP})?(?:,"apiVersion":${RAW})?(?:,"resourceVersion":${RAW})?(?:,"subresource":${CAP})?\\})?`,
    `(?:,"responseStatus":\\{"metadata":${VALUE}(?:,"status":${RAW})?(?:,"message":${ESC})?(?:,"reason":${RAW})?(?:,"details":${VALUE})?(?:,"code":([1-9][0-9]{2}))?\\})?`,
    `(,"requestObject":${VALUE})?(?:,"responseObject":${VALUE})?`,
    `(?:,"requestReceivedTimestamp":${RAW})?`,
    `,"stageTimestamp":${CAP}`,
    `(?:,"annotations":${ANNOTATIONS})?`,
    '\\}$',
  ].join(''),
);

/** Scans one line; null when the line is not in the canonical form (parse it in full). */
export function scanK8sAuditLineByRegex(line: string, times: TimeCache): K8sLineScan | null {
  const m = LINE.exec(line);
  if (m === null) return null;
  const time = times.parse(m[11]!);
  if (time === null) return null;
  const ips = m[3];
  return {
    view: {
      verb: m[1]!,
      username: m[2] || null,
      addrs: !ips ? [] : ips.indexOf('","') < 0 ? [ips.slice(1, -1)] : ips.slice(1, -1).split('","'),
      resource: m[4] || null,
      namespace: m[5] || null,
      name: m[6] || null,
      apiGroup: m[7] || null,
      subresource: m[8] || null,
      code: m[9] === undefined ? null : Number(m[9]),
      hasRequestObject: m[10] !== undefined && m[10] !== ',"requestObject":null',
    },
    time,
  };
}
