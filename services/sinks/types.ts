// The sink contract (architecture convention 6): a pure formatter plus a thin sender.
// Retry, rate limits, metrics and the durable outbox live once, in the router.
import type { Alert } from '../../schemas/alert.js';

/** How a send failed, so the router knows whether to retry. */
export interface SendFailure {
  /** Stable code, e.g. TRIP_SINK_SLACK_429. */
  code: string;
  /** Permanent failures are dead-lettered, never retried. */
  permanent: boolean;
  /** Server-requested wait (Retry-After), when given. */
  retryAfterMs?: number;
  message: string;
}

export type SendResult = { ok: true } | { ok: false; failure: SendFailure };

export interface Sink {
  /** Stable name, used in metrics, delivery logs and config. */
  readonly name: string;
  send(alerts: Alert[]): Promise<SendResult>;
  /** Ids this sink already holds (a file sink reads its file): marked delivered at start. */
  alreadyDelivered?(): Promise<Set<string>>;
  close?(): Promise<void>;
}
