// An in-memory Collector for runtime tests: records are fed by the test, positions
// are the index of the next record, and start(from) resumes there — the contract a
// real collector keeps, without files or timers.
import type { InputKind } from '../../schemas/event.js';
import type { CollectedBatch, Collector, SourcePosition } from '../../services/collectors/types.js';

export class FakeCollector implements Collector {
  private next = 0;
  private onBatch: ((b: CollectedBatch) => Promise<void>) | undefined;
  private inflight: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    readonly kind: InputKind,
    private readonly lines: string[],
  ) {}

  async start(from: SourcePosition | undefined, onBatch: (b: CollectedBatch) => Promise<void>): Promise<void> {
    this.next = typeof from?.['next'] === 'number' ? (from['next'] as number) : 0;
    this.onBatch = onBatch;
  }

  /** Hands the next `n` records over as one batch and waits for it to commit. */
  async feed(n: number): Promise<number> {
    const end = Math.min(this.lines.length, this.next + n);
    if (end === this.next || !this.onBatch) return 0;
    const records = [];
    for (let i = this.next; i < end; i++) {
      records.push({ text: this.lines[i]!, position: `line ${i + 1}`, invalidUtf8: false, truncated: false });
    }
    this.next = end;
    this.inflight = this.onBatch({ source: this.name, kind: this.kind, records, position: { next: end } });
    await this.inflight;
    return records.length;
  }

  get remaining(): number {
    return this.lines.length - this.next;
  }

  async stop(): Promise<void> {
    await this.inflight;
  }

  status() {
    return { opened: this.onBatch !== undefined, detail: `fake ${this.name}`, truncated: 0 };
  }
}
