// Turns what a rule reported into an Alert: evidence lines capped at 4 KB (at most 20),
// the runbook link, tags, and the severity after config.rules[id] overrides.
//
// Invariants:
// - Evidence lines are cut at MAX_EVIDENCE_CHARS UTF-16 units (the Alert schema's cap)
//   without splitting a surrogate pair, and flagged `truncated`.
// - Nothing here reads a clock or holds state: same inputs, same Alert.
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

export function buildAlert(rule: RuleMeta, severity: Severity, parts: AlertParts): Alert {
  return {
    id: parts.id,
    rule: rule.id,
    severity,
    title: rule.title,
    summary: parts.summary,
    ts: parts.ts,
    key: parts.key,
    count: Math.max(1, Math.floor(parts.count)),
    firstSeen: parts.firstSeen,
    lastSeen: parts.lastSeen,
    fields: parts.fields ?? {},
    evidence: parts.evidence.slice(0, MAX_EVIDENCE),
    runbook: `docs/runbooks.md#${rule.runbook}`,
    tags: [...rule.tags],
  };
}
