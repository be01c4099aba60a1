// Bounded exponential backoff for reconnecting the Kafka roles' clients after an outage
// (consumer-supervisor.ts, collect-role.ts). Pure: the caller owns the clock and timers,
// so tests step through a whole outage without sleeping on wall time.
//
// Invariants: next() stays within [initialMs·(1 − jitter), maxMs]; the jitter (a
// fraction of the step, from the injected `random`) only spreads replicas that lost the
// broker at the same instant so they do not all knock at once when it returns.

export interface BackoffOptions {
  /** First delay (ms). */
  initialMs?: number;
  /** Upper bound of any delay (ms); default 10 s, kafkajs's own retry cap (client.ts): a
   *  broker that is back is found within that, and each attempt runs kafkajs's retries too. */
  maxMs?: number;
  /** Growth per failed attempt. */
  factor?: number;
  /** ± this fraction of the step, from `random` (0: deterministic). */
  jitter?: number;
  random?: () => number;
}

export class Backoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private n = 0;

  constructor(o: BackoffOptions = {}) {
    this.initialMs = o.initialMs ?? 500;
    this.maxMs = o.maxMs ?? 10_000;
    this.factor = o.factor ?? 2;
    this.jitter = o.jitter ?? 0.2;
    this.random = o.random ?? Math.random;
    if (!(this.initialMs > 0) || !(this.maxMs >= this.initialMs) || !(this.factor >= 1) || !(this.jitter >= 0 && this.jitter < 1)) {
      throw new RangeError(`backoff: bad bounds ${JSON.stringify({ initialMs: this.initialMs, maxMs: this.maxMs, factor: this.factor, jitter: this.jitter })}`);
    }
  }

  /** Failed attempts since the last reset(). */
  get attempts(): number {
    return this.n;
  }

  /** The delay before the next attempt; counts one more failed attempt. */
  next(): number {
    // Exponent capped so a very long outage never overflows to Infinity/NaN.
    const step = Math.min(this.maxMs, this.initialMs * this.factor ** Math.min(this.n, 64));
    this.n++;
    const spread = step * this.jitter * (2 * this.random() - 1);
    return Math.round(Math.min(this.maxMs, Math.max(this.initialMs * (1 - this.jitter), step + spread)));
  }

  /** The link works again: the next outage starts from initialMs. */
  reset(): void {
    this.n = 0;
  }
}
