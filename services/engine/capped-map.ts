// A map with a size cap and least-recently-updated eviction: the one way every keyed
// structure in the engine stays bounded (engine.maxKeys per rule or index).
//
// Invariants:
// - Order is a doubly linked list, least recently updated first; a Map only finds the
//   slots. (Re-inserting into a JavaScript Map to move a key to the end looks cheaper,
//   but V8 rehashes the whole table when a few hot keys churn in a big Map: a brute
//   forcer hammering one key among 17,000 cost ~10 µs per event that way.)
// - The list lives in slots, not node objects (issue 8: a million live keys): the Map
//   holds key → slot number, and parallel arrays hold each slot's key, value and links
//   (Int32Array, -1 for none). A removed slot is reused. ~30 bytes a key less than one
//   {key, value, prev, next} object per key.
// - get() does not count as an update: reading a key never keeps it alive.
// - Every eviction is counted; the engine reports the count per structure in stats().

const NONE = -1;

export class CappedMap<V> {
  private readonly slots = new Map<string, number>();
  private keyAt: Array<string | undefined> = [];
  private valueAt: Array<V | undefined> = [];
  private prev = new Int32Array(0);
  private next = new Int32Array(0);
  private readonly free: number[] = [];
  private head = NONE; // least recently updated
  private tail = NONE; // most recently updated
  /** Keys dropped because the map was full. */
  evicted = 0;

  constructor(readonly cap: number) {
    if (!Number.isInteger(cap) || cap < 1) throw new Error(`cap must be a positive integer, got ${cap}`);
  }

  get size(): number {
    return this.slots.size;
  }

  get(key: string): V | undefined {
    const s = this.slots.get(key);
    return s === undefined ? undefined : this.valueAt[s];
  }

  has(key: string): boolean {
    return this.slots.has(key);
  }

  /** Stores `value` as the most recently updated key, evicting the oldest keys over the cap. */
  set(key: string, value: V): void {
    const found = this.slots.get(key);
    if (found !== undefined) {
      this.valueAt[found] = value;
      if (found !== this.tail) {
        this.unlink(found);
        this.append(found);
      }
      return;
    }
    const s = this.allocate();
    this.keyAt[s] = key;
    this.valueAt[s] = value;
    this.slots.set(key, s);
    this.append(s);
    while (this.slots.size > this.cap && this.head !== NONE) {
      this.remove(this.head);
      this.evicted++;
    }
  }

  delete(key: string): boolean {
    const s = this.slots.get(key);
    if (s === undefined) return false;
    this.remove(s);
    return true;
  }

  /** Least recently updated first, without allocating (the per-event paths use it). */
  forEach(fn: (value: V, key: string) => void): void {
    for (let s = this.head; s !== NONE; s = this.next[s]!) fn(this.valueAt[s] as V, this.keyAt[s]!);
  }

  /** Least recently updated first. */
  *entries(): IterableIterator<[string, V]> {
    for (let s = this.head; s !== NONE; s = this.next[s]!) yield [this.keyAt[s]!, this.valueAt[s] as V];
  }

  /**
   * Removes keys from the front (least recently updated) while `idle` says so, stopping
   * at the first live key: amortized O(1), and good enough because updates arrive in
   * roughly increasing event time, so idle keys gather at the front.
   */
  sweep(idle: (value: V, key: string) => boolean): number {
    let removed = 0;
    while (this.head !== NONE && idle(this.valueAt[this.head] as V, this.keyAt[this.head]!)) {
      this.remove(this.head);
      removed++;
    }
    return removed;
  }

  private allocate(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    const s = this.keyAt.length;
    if (s >= this.prev.length) {
      const n = Math.max(16, this.prev.length * 2);
      const prev = new Int32Array(n);
      const next = new Int32Array(n);
      prev.set(this.prev);
      next.set(this.next);
      this.prev = prev;
      this.next = next;
    }
    this.keyAt.push(undefined);
    this.valueAt.push(undefined);
    return s;
  }

  private append(s: number): void {
    this.prev[s] = this.tail;
    this.next[s] = NONE;
    if (this.tail !== NONE) this.next[this.tail] = s;
    else this.head = s;
    this.tail = s;
  }

  private unlink(s: number): void {
    const p = this.prev[s]!;
    const n = this.next[s]!;
    if (p !== NONE) this.next[p] = n;
    else this.head = n;
    if (n !== NONE) this.prev[n] = p;
    else this.tail = p;
    this.prev[s] = NONE;
    this.next[s] = NONE;
  }

  private remove(s: number): void {
    this.unlink(s);
    this.slots.delete(this.keyAt[s]!);
    this.keyAt[s] = undefined;
    this.valueAt[s] = undefined;
    this.free.push(s);
  }
}
