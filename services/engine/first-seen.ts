// The remembered keys of one first-seen rule (N1): a key fires the first time it is
// seen, approved keys are remembered without firing, and the set survives restarts
// through the engine snapshot.
//
// Invariants:
// - Membership does not depend on event order, so late events (behind the watermark)
//   still join the set: dropping them would lose a genuinely new key for good.
// - Bounded: at most maxKeys keys, least recently seen evicted (and counted); an evicted
//   key that comes back fires again with the same alert id, which the router's
//   delivered-id log then suppresses.
import { CappedMap } from './capped-map.js';

export type FirstSeenJson = Array<[string, number]>;

export class FirstSeenSet {
  /** key → event time (ms) it was last seen. */
  readonly keys: CappedMap<number>;

  constructor(maxKeys: number) {
    this.keys = new CappedMap<number>(maxKeys);
  }

  /** Records `key` as seen at `ms`; true when it was not known before. */
  see(key: string, ms: number): boolean {
    const prev = this.keys.get(key);
    this.keys.set(key, prev === undefined ? ms : Math.max(prev, ms));
    return prev === undefined;
  }

  toJSON(): FirstSeenJson {
    return [...this.keys.entries()];
  }

  restore(entries: FirstSeenJson): void {
    for (const [k, ms] of entries) this.keys.set(k, ms);
  }
}
