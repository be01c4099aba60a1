// k-way merge of several inputs by event time, for replay: five files replayed together
// reach the engine in the order a live run would have seen them (within each input's
// own order), so replay and live give the same alerts.
//
// Invariants:
// - Items come out ordered by (ms, subNs); ties go to the lower input index, and within
//   one input arrival order is kept (each input contributes only its head), so the
//   merge is stable and deterministic.
// - An input that is itself out of order is not sorted: its items keep their relative
//   order and the engine's allowed lateness absorbs the disorder.
// - Keys may be -Infinity (e.g. a parse error before an input's first event): compared
//   with < and >, never by subtraction (-Infinity - -Infinity is NaN).
// - At most one pending item per input is held; inputs are closed (return()) when the
//   consumer stops early.

type AnyIterable<T> = AsyncIterable<T> | Iterable<T>;
type AnyIterator<T> = AsyncIterator<T> | Iterator<T>;

interface Head<T> {
  item: T;
  ms: number;
  ns: number;
  input: number;
}

function iteratorOf<T>(it: AnyIterable<T>): AnyIterator<T> {
  if (Symbol.asyncIterator in it) return (it as AsyncIterable<T>)[Symbol.asyncIterator]();
  return (it as Iterable<T>)[Symbol.iterator]();
}

function before<T>(a: Head<T>, b: Head<T>): boolean {
  if (a.ms !== b.ms) return a.ms < b.ms;
  if (a.ns !== b.ns) return a.ns < b.ns;
  return a.input < b.input;
}

/** A binary min-heap of input heads; at most one head per input, so at most k entries. */
class HeadHeap<T> {
  private readonly a: Head<T>[] = [];

  get size(): number {
    return this.a.length;
  }

  push(h: Head<T>): void {
    const a = this.a;
    a.push(h);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }

  pop(): Head<T> | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l]!, a[m]!)) m = l;
        if (r < a.length && before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

/**
 * Merges `inputs` by `key(item) = [epochMs, subMillisecondNs]`. Accepts async or sync
 * iterables (tests pass arrays).
 */
export async function* mergeByTime<T>(
  inputs: ReadonlyArray<AnyIterable<T>>,
  key: (item: T) => readonly [number, number],
): AsyncGenerator<T> {
  const iters = inputs.map(iteratorOf);
  const open = new Set<number>(iters.map((_, i) => i));
  const heap = new HeadHeap<T>();

  const pull = async (input: number): Promise<void> => {
    const r = await iters[input]!.next();
    if (r.done) {
      open.delete(input);
      return;
    }
    const [ms, ns] = key(r.value);
    heap.push({ item: r.value, ms, ns, input });
  };

  try {
    await Promise.all(iters.map((_, i) => pull(i)));
    while (heap.size > 0) {
      const head = heap.pop()!;
      yield head.item;
      await pull(head.input);
    }
  } finally {
    // Close inputs the consumer abandoned (break, throw), so files and streams are released.
    await Promise.all([...open].map(async (i) => iters[i]!.return?.()));
  }
}

/**
 * issue 8: the same merge over inputs that arrive in batches (one per chunk read), with
 * a callback instead of one async step per item: `each` sees exactly the sequence
 * mergeByTime would yield over the flattened inputs, and the only awaits are for the
 * next batch of an input whose batch ran out. Empty batches are skipped. A single
 * input is passed through in order without a heap.
 */
export async function mergeBatchesByTime<T>(
  inputs: ReadonlyArray<AsyncIterable<T[]>>,
  key: (item: T) => readonly [number, number],
  each: (item: T) => void,
): Promise<void> {
  const iters = inputs.map((it) => it[Symbol.asyncIterator]());
  const open = new Set<number>(iters.map((_, i) => i));
  try {
    if (iters.length === 1) {
      for (;;) {
        const r = await iters[0]!.next();
        if (r.done) break;
        for (const item of r.value) each(item);
      }
      open.clear();
      return;
    }
    const batches: T[][] = iters.map(() => []);
    const pos: number[] = iters.map(() => 0);
    const heap = new HeadHeap<T>();
    /** Loads the next non-empty batch of `input` and pushes its first item; false at its end. */
    const refill = async (input: number): Promise<void> => {
      for (;;) {
        const r = await iters[input]!.next();
        if (r.done) {
          open.delete(input);
          return;
        }
        if (r.value.length === 0) continue;
        batches[input] = r.value;
        pos[input] = 0;
        const [ms, ns] = key(r.value[0]!);
        heap.push({ item: r.value[0]!, ms, ns, input });
        return;
      }
    };
    await Promise.all(iters.map((_, i) => refill(i)));
    while (heap.size > 0) {
      const head = heap.pop()!;
      each(head.item);
      const i = head.input;
      const b = batches[i]!;
      const next = ++pos[i]!;
      if (next < b.length) {
        const [ms, ns] = key(b[next]!);
        heap.push({ item: b[next]!, ms, ns, input: i });
      } else await refill(i);
    }
  } finally {
    await Promise.all([...open].map(async (i) => iters[i]!.return?.()));
  }
}
