// Deterministic alert ids (architecture convention 5): the same rule, key and anchor
// always give the same id, so re-processing input after a crash, a replay of the same
// files or a Kafka redelivery yields ids the router has already delivered.
//
// Anchors by rule kind (the engine chooses them; see engine.ts):
// - match: the API request behind the event (k8s auditID, Vault request id), else the
//   event's own id (plus the finding's index when one event yields several findings
//   with the same key); see request-dedupe.ts;
// - threshold: the dedupe id of the entry whose addition made the window exceed the
//   threshold (order-independent for input shuffled within the allowed lateness);
// - first-seen: the constant "first" (a key fires once while it is remembered);
// - absence: the time the silence started; error-rate: the window start.
import { createHash } from 'node:crypto';

/** 24 hex digits (96 bits) of sha256 over an unambiguous encoding of the parts. */
export function alertId(ruleId: string, key: string, anchor: string): string {
  // JSON array encoding: no separator a key or anchor could forge.
  return createHash('sha256').update(JSON.stringify([ruleId, key, anchor])).digest('hex').slice(0, 24);
}
