// One API request, one alert: a Kubernetes request is logged at several stages
// (RequestReceived, ResponseStarted, ResponseComplete, Panic) under one auditID, and a
// Vault request as a `request` and a `response` entry under one request id. Stateless
// rules may fire on each of those lines with the same key; the engine anchors their
// alert ids on the request (not the line) and emits each id once.
//
// Invariants:
// - requestAnchor() is the request identity when the event has one, else the event id:
//   ids stay deterministic whichever stage arrives first.
// - The emitted-id memory is bounded: entries older than REQUEST_MEMORY_MS (event time)
//   are swept, and at most maxKeys are kept (LRU, counted). A stage arriving after its
//   id was forgotten (an exec session longer than a day) re-emits the SAME id, which
//   the router's delivered-id log suppresses.
import type { SecurityEvent } from '../../schemas/event.js';
import { CappedMap } from './capped-map.js';

export const REQUEST_MEMORY_MS = 24 * 60 * 60_000;

/** The identity of the API request behind `e`, or its own id. */
export function requestAnchor(e: SecurityEvent): string {
  if (e.k8s) return `k8s-audit:${e.k8s.auditID}`;
  if (e.vault?.requestId) return `vault:${e.vault.requestId}`;
  return e.id;
}

export function hasRequestIdentity(e: SecurityEvent): boolean {
  return e.k8s !== undefined || (e.vault?.requestId ?? null) !== null;
}

export class EmittedIds {
  /** alert id → event time (ms) it was emitted at. */
  readonly ids: CappedMap<number>;

  constructor(maxKeys: number) {
    this.ids = new CappedMap<number>(maxKeys);
  }

  /** True the first time `id` is offered (and remembers it); false for a repeat. */
  first(id: string, ms: number, maxMs: number): boolean {
    this.ids.sweep((t) => t < maxMs - REQUEST_MEMORY_MS);
    if (this.ids.has(id)) return false;
    this.ids.set(id, ms);
    return true;
  }

  toJSON(): Array<[string, number]> {
    return [...this.ids.entries()];
  }

  restore(entries: ReadonlyArray<[string, number]>): void {
    for (const [id, ms] of entries) this.ids.set(id, ms);
  }
}
