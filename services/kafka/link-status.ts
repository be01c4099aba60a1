// Where each Kafka client of a role stands (consumer groups, the producer), for /readyz
// and /metrics: `tripline_kafka_reconnecting{client}` is 1 while that client is riding out
// an outage, `tripline_kafka_reconnects_total{client}` counts the clients recreated.
//
// A role is not ready while any client is reconnecting (it is not doing its job), but it
// stays alive (/healthz): restarting it would not bring the broker back any sooner.
import type { KafkaMetrics } from './metrics.js';

/** connecting: the first start, before the first join; reconnecting: riding out a failure. */
export type LinkState = 'connecting' | 'up' | 'reconnecting' | 'fatal' | 'stopped';

export class LinkStatus {
  private readonly states = new Map<string, LinkState>();

  constructor(private readonly km?: KafkaMetrics) {}

  set(client: string, state: LinkState): void {
    this.states.set(client, state);
    this.km?.reconnecting.set({ client }, state === 'reconnecting' ? 1 : 0);
  }

  get(client: string): LinkState | undefined {
    return this.states.get(client);
  }

  /** A client was recreated (a new consumer joining, a new producer). */
  recreated(client: string): void {
    this.km?.reconnects.inc({ client });
  }

  /** True when every client is up. */
  up(): boolean {
    return [...this.states.values()].every((s) => s === 'up');
  }

  detail(): Record<string, LinkState> {
    return Object.fromEntries([...this.states].sort(([a], [b]) => (a < b ? -1 : 1)));
  }
}
