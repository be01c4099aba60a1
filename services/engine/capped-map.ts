// A map with a size cap and least-recently-updated eviction: the one way every keyed
// structure in the engine stays bounded (engine.maxKeys per rule or index).
//
// Invariants:
// - Order is a doubly linked list, least recently updated first; a Map only finds the
//   nodes. (Re-inserting into a JavaScript Map to move a key to the end looks cheaper,
//   but V8 rehashes the whole table when a few hot keys churn in a big Map: a brute
//   forcer hammering one key among 17,000 cost ~10 µs per event that way.)
// - get() does not count as an update: reading a key never keeps it alive.
// - Every eviction is counted; the engine reports the count per structure in stats().

interface Node<V> {
  key: string;
  value: V;
  prev: Node<V> | null;
  next: Node<V> | null;
}

export class CappedMap<V> {
  private readonly nodes = new Map<string, Node<V>>();
  private head: Node<V> | null = null; // least recently updated
  private tail: Node<V> | null = null; // most recently updated
  /** Keys dropped because the map was full. */
  evicted = 0;

  constructor(readonly cap: number) {
    if (!Number.isInteger(cap) || cap < 1) throw new Error(`cap must be a positive integer, got ${cap}`);
  }

  get size(): number {
    return this.nodes.size;
  }

  get(key: string): V | undefined {
    return this.nodes.get(key)?.value;
  }

  has(key: string): boolean {
    return this.nodes.has(key);
  }

  /** Stores `value` as the most recently updated key, evicting the oldest keys over the cap. */
  set(key: string, value: V): void {
    const found = this.nodes.get(key);
    if (found) {
      found.value = value;
      if (found !== this.tail) {
        this.unlink(found);
        this.append(found);
      }
      return;
    }
    const node: Node<V> = { key, value, prev: null, next: null };
    this.nodes.set(key, node);
    this.append(node);
    while (this.nodes.size > this.cap && this.head) {
      this.remove(this.head);
      this.evicted++;
    }
  }

  delete(key: string): boolean {
    const node = this.nodes.get(key);
    if (!node) return false;
    this.remove(node);
    return true;
  }

  /** Least recently updated first, without allocating (the per-event paths use it). */
  forEach(fn: (value: V, key: string) => void): void {
    for (let n = this.head; n; n = n.next) fn(n.value, n.key);
  }

  /** Least recently updated first. */
  *entries(): IterableIterator<[string, V]> {
    for (let n = this.head; n; n = n.next) yield [n.key, n.value];
  }

  /**
   * Removes keys from the front (least recently updated) while `idle` says so, stopping
   * at the first live key: amortized O(1), and good enough because updates arrive in
   * roughly increasing event time, so idle keys gather at the front.
   */
  sweep(idle: (value: V, key: string) => boolean): number {
    let removed = 0;
    while (this.head && idle(this.head.value, this.head.key)) {
      this.remove(this.head);
      removed++;
    }
    return removed;
  }

  private append(node: Node<V>): void {
    node.prev = this.tail;
    node.next = null;
    if (this.tail) this.tail.next = node;
    else this.head = node;
    this.tail = node;
  }

  private unlink(node: Node<V>): void {
    if (node.prev) node.prev.next = node.next;
    else this.head = node.next;
    if (node.next) node.next.prev = node.prev;
    else this.tail = node.prev;
    node.prev = null;
    node.next = null;
  }

  private remove(node: Node<V>): void {
    this.unlink(node);
    this.nodes.delete(node.key);
  }
}
