// Turns what a rule reported into an Alert: evidence lines capped at 4 KB (at most 20),
// the runbook link, tags, and the severity after config.rules[id] overrides.
//
// Invariants:
// - Evidence lines are cut at MAX_EVIDENCE_CHARS UTF-16 units (the Alert schema's cap)
//   without splitting a surrogate pair, and flagged `truncated`.
// - Nothing here reads a clock or holds state: same inputs, same Alert.
import { createHash } from 'node:crypto';
import type { Alert, AlertFields, Evidence, Severity } from '../../schemas/alert.js';
import type { Config } from '../../schemas/config.js';
import type { SecurityEvent } from '../../schemas/event.js';
import type { RuleMeta } from '../../rules/define.js';

export const MAX_EVIDENCE_CHARS = 4096;
export const MAX_EVIDENCE = 20;

/** Cuts `line` to the evidence cap, never leaving half a surrogate pair at the end. */
export function capLine(line: string): { line: string; truncated: boolean } {
  if (line.length <= MAX_EVIDENCE_CHARS) return { line, truncated: false };
  let end = MAX_EVIDENCE_CHARS;
  const last = line.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return { line: line.slice(0, end), truncated: true };
}

/** The evidence record of one input line. */
export function evidenceOf(event: SecurityEvent, line: string): Evidence {
  const capped = capLine(line);
  return {
    source: event.source.name,
    kind: event.source.kind,
    position: event.source.position,
    ts: event.ts,
    line: capped.line,
    truncated: capped.truncated,
  };
}

/** The rule's severity after a `rules.<id>.severity` override. */
export function effectiveSeverity(rule: RuleMeta, config: Config): Severity {
  return config.rules[rule.id]?.severity ?? rule.severity;
}

/** Whether `rules.<id>.enabled: false` switched the rule off. */
export function isEnabled(rule: RuleMeta, config: Config): boolean {
  return config.rules[rule.id]?.enabled !== false;
}

export interface AlertParts {
  id: string;
  key: string;
  summary: string;
  fields?: AlertFields | undefined;
  ts: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
  evidence: Evidence[];
}

/**
 * issue 9 (hardening): caps on the attacker-derived text of an alert. Rules put log text
 * (user names, policy names, paths, drone ids) into the key, the summary and the fields,
 * each sometimes several times: one 1 MB username made a 3-9 MB alert (V4: 9 MB), stored
 * in the outbox, pushed to Loki, produced to tripline.alerts (over Kafka's 1 MB message
 * limit, so the detect role retried it for ever). No real value comes near these caps
 * (the scenario's longest field is 230 characters), so no alert of real input changes.
 */
export const MAX_ALERT_TEXT = 1024;
export const MAX_ALERT_SUMMARY = 2048;
export const MAX_ALERT_LIST = 100;

/** `text` cut to `max` UTF-16 units (never half a surrogate pair), marked when cut. */
export function capText(text: string, max: number = MAX_ALERT_TEXT): string {
  if (text.length <= max) return text;
  const mark = `… [${text.length - max} more characters]`;
  let end = Math.max(0, max - mark.length);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return text.slice(0, end) + mark;
}

/**
 * A capped key that stays distinct per full key: a prefix plus a hash of the whole. The
 * key is the router's dedup fingerprint and a silence field, so two long keys sharing a
 * prefix must not merge. (Alert ids already hash the full key.)
 */
export function capKey(key: string): string {
  if (key.length <= MAX_ALERT_TEXT) return key;
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 16);
  return `${capText(key, MAX_ALERT_TEXT - 18)}#${hash}`;
}

function capValue<T>(v: T): T {
  if (typeof v === 'string') return capText(v) as T;
  if (Array.isArray(v)) return v.slice(0, MAX_ALERT_LIST).map((x) => (typeof x === 'string' ? capText(x) : x)) as T;
  return v;
}

/** Every string (and list of strings) of the fields, capped; same keys, same types. */
export function capFields(fields: AlertFields): AlertFields {
  const out: AlertFields = {};
  for (const [k, v] of Object.entries(fields)) {
    if (k === 'details' && v && typeof v === 'object' && !Array.isArray(v)) {
      out.details = Object.fromEntries(Object.entries(v as NonNullable<AlertFields['details']>).map(([dk, dv]) => [dk, capValue(dv)]));
    } else {
      (out as Record<string, unknown>)[k] = capValue(v);
    }
  }
  return out;
}

export function buildAlert(rule: RuleMeta, severity: Severity, parts: AlertParts): Alert {
  return {
    id: parts.id,
    rule: rule.id,
    severity,
    title: rule.title,
    summary: capText(parts.summary, MAX_ALERT_SUMMARY), // issue 9: see MAX_ALERT_TEXT
    ts: parts.ts,
    key: capKey(parts.key),
    count: Math.max(1, Math.floor(parts.count)),
    firstSeen: parts.firstSeen,
    lastSeen: parts.lastSeen,
    fields: capFields(parts.fields ?? {}),
    evidence: parts.evidence.slice(0, MAX_EVIDENCE),
    runbook: `docs/runbooks.md#${rule.runbook}`,
    tags: [...rule.tags],
  };
}
