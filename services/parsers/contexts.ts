// One ParseContext per live source, kept across batches: a context carries the
// per-input state the formats need (the year of the previous line, the date of the last
// full orchestrator timestamp), so it must live as long as the source does.
import type { InputKind } from '../../schemas/event.js';
import type { ParseContext } from './types.js';

export class ParseContexts {
  private readonly bySource = new Map<string, ParseContext>();

  constructor(private readonly year?: number) {}

  get(source: string, kind: InputKind): ParseContext {
    let ctx = this.bySource.get(source);
    if (!ctx) {
      ctx = { kind, sourceName: source, position: '', year: this.year, carry: {} };
      this.bySource.set(source, ctx);
    }
    return ctx;
  }
}
