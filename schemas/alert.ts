import { z } from 'zod';
import { InputKind } from './event.js';

// Alert: what the engine raises and the router delivers. `id` is deterministic
// (architecture convention 5): the same input always yields the same ids.

export const Severity = z.enum(['critical', 'warning', 'info']);
export type Severity = z.infer<typeof Severity>;

export const Evidence = z.object({
  source: z.string().describe('source name or input path'),
  kind: InputKind,
  position: z.string(),
  ts: z.string(),
  line: z.string().max(4096).describe('the raw line, capped at 4 KB'),
  truncated: z.boolean(),
});
export type Evidence = z.infer<typeof Evidence>;

export const AlertFields = z
  .object({
    actor: z.string().nullable().optional(),
    actorKind: z.string().nullable().optional(),
    addresses: z.array(z.string()).optional().describe('client addresses involved, in chain order'),
    outsideTrusted: z.array(z.string()).optional().describe('the addresses that are outside the trusted sets'),
    target: z.string().nullable().optional(),
    host: z.string().nullable().optional(),
    source: z.string().nullable().optional(),
    details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.string())])).optional(),
  })
  .describe('the facts a person needs to judge the alert');
export type AlertFields = z.infer<typeof AlertFields>;

export const Alert = z
  .object({
    id: z.string().describe('deterministic: hash of rule, key and window or triggering event'),
    rule: z.string().describe('rule id exactly as in docs/rules.md'),
    severity: Severity,
    title: z.string(),
    summary: z.string().describe('one sentence naming who did what from where'),
    ts: z.string().describe('event time of the alert, ISO 8601'),
    key: z.string(),
    count: z.number().int().positive(),
    firstSeen: z.string(),
    lastSeen: z.string(),
    fields: AlertFields,
    evidence: z.array(Evidence).max(20),
    runbook: z.string().describe('link to the rule\'s section of docs/runbooks.md'),
    tags: z.array(z.string()).describe('MITRE ATT&CK technique ids'),
  })
  .describe('A tripline alert');
export type Alert = z.infer<typeof Alert>;
