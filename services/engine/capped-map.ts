// A Map with a size cap and least-recently-updated eviction: the one way every keyed
// structure in the engine stays bounded (engine.maxKeys per rule or index).
//
// Invariants:
// - Iteration order is least recently updated first (JavaScript Maps keep insertion
//   order; set() re-inserts), so eviction and idle sweeps look at the front only.
// - get() does not count as an update: reading a key never keeps it alive.
// - Every eviction is counted; the engine reports the count per structure in stats().

export class CappedMap<V> {
  private readonly map = new Map<string, V>();
  /** Keys dropped because the map was full. */
  evicted = 0;

  constructor(readonly cap: number) {
    if (!Number.isInteger(cap) || cap < 1) throw new Error(`cap must be a positive integer, got ${cap}`);
  }

  get size(): number {
    return this.map.size;
  }

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  /** Stores `value` as the most recently updated key, evicting the oldest keys over the cap. */
  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.cap) {
      const oldest = this.map.keys().next();
      if (oldest.done) break;
      this.map.delete(oldest.value);
      this.evicted++;
    }
  }

  delete(key: string): boolean {
    return this.map.delete(key);
  }

  /** Least recently updated first. */
  entries(): IterableIterator<[string, V]> {
    return this.map.entries();
  }

  /**
   * Removes keys from the front (least recently updated) while `idle` says so, stopping
   * at the first live key: amortized O(1), and good enough because updates arrive in
   * roughly increasing event time, so idle keys gather at the front.
   */
  sweep(idle: (value: V, key: string) => boolean): number {
    let removed = 0;
    for (const [key, value] of this.map) {
      if (!idle(value, key)) break;
      this.map.delete(key);
      removed++;
    }
    return removed;
  }
}
