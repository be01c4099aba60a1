// Alerts for router and sink tests: synthetic ones with deterministic 24-hex ids, and the
// real alerts of the bundled scenario (test/fixtures/scenario/expected-alerts.jsonl).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Alert, Severity } from '../../schemas/alert.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export function hexId(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 24);
}

export function makeAlert(o: { rule?: string; key?: string; ts: string; severity?: Severity; actor?: string; addresses?: string[]; n?: number; title?: string }): Alert {
  const rule = o.rule ?? 'K9';
  const key = o.key ?? 'me@example.org 203.0.113.50';
  return {
    id: hexId(`${rule}|${key}|${o.ts}|${o.n ?? 0}`),
    rule,
    severity: o.severity ?? 'critical',
    title: o.title ?? `Rule ${rule}`,
    summary: `${rule} fired for ${key} at ${o.ts}`,
    ts: o.ts,
    key,
    count: 1,
    firstSeen: o.ts,
    lastSeen: o.ts,
    fields: { actor: o.actor ?? key.split(' ')[0] ?? null, addresses: o.addresses ?? ['203.0.113.50'], outsideTrusted: o.addresses ? [] : ['203.0.113.50'], target: null, host: 'pve' },
    evidence: [],
    runbook: `docs/runbooks.md#${rule.toLowerCase()}`,
    tags: [],
  };
}

/** Every alert of the golden scenario replay, in event-time order. */
export function scenarioAlerts(): Alert[] {
  return readFileSync(join(ROOT, 'test/fixtures/scenario/expected-alerts.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Alert);
}

/** The first alert of each rule in the scenario, by rule id. */
export function onePerRule(): Map<string, Alert> {
  const out = new Map<string, Alert>();
  for (const a of scenarioAlerts()) if (!out.has(a.rule)) out.set(a.rule, a);
  return out;
}

export const REPO_ROOT = ROOT;
