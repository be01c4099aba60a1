// `tripline replay --loki`: a LogQL query over [from, to) as a replay input (issue 6).
// Every entry exactly once and in Loki time order (services/loki/paging.ts), parsed by
// the --parser kind, handed to replay-run.ts, which merges it by event time with the
// other inputs, so the engine sees what it would have seen live.
//
// - The range is read in windows (default 24 h): Loki refuses queries longer than
//   limits_config.max_query_length (721 h by default), and 30-90 days is normal here.
// - One page is fetched ahead while the engine works on the current one.
// - Year-less lines (RFC 3164, alert_fast) take their year from the entry's Loki
//   timestamp unless --year is given; the stream labels name the host where the line
//   names none (the live source does the same).
import type { InputKind } from '../../schemas/event.js';
import { LokiClient } from '../loki/client.js';
import { addNs, cmpNs, formatNs, msFromNs, nsFromMs, type LokiEntry } from '../loki/entries.js';
import { hostFromLabels } from '../collectors/loki.js';
import type { ParsedRecord, ReadOptions } from '../collectors/file-input.js';
import { parsers } from '../parsers/index.js';
import type { ParseContext } from '../parsers/types.js';

export const DEFAULT_HOST_LABELS = ['host', 'hostname', 'nodename', 'node_name', 'node'];

export interface LokiReplaySpec {
  query: string;
  kind: InputKind;
  /** Source name carried into events (H1/H2 keys); default: the query text. */
  name?: string;
}

/** What replay-run.ts needs from a non-file input. */
export interface ReplaySource {
  name: string;
  kind: InputKind;
  /** For the summary and failure messages. */
  label: string;
  batches(): AsyncIterable<ParsedRecord[]>;
  progress(): string;
}

export interface LokiReplayOptions {
  client: LokiClient;
  fromMs: number;
  toMs: number;
  readOpts: ReadOptions;
  windowMs?: number;
  pageLimit?: number;
  maxLimit?: number;
  hostLabels?: readonly string[];
}

/** Pulls one item ahead of the consumer, so the next page is on the wire while this one is parsed. */
export async function* readAhead<T>(it: AsyncIterable<T>): AsyncGenerator<T> {
  const iter = it[Symbol.asyncIterator]();
  let next = iter.next();
  try {
    for (;;) {
      const r = await next;
      if (r.done) return;
      next = iter.next();
      next.catch(() => undefined); // surfaced when awaited
      yield r.value;
    }
  } finally {
    await iter.return?.();
  }
}

export class LokiReplaySource implements ReplaySource {
  readonly name: string;
  readonly kind: InputKind;
  readonly label: string;
  private pages = 0;
  private entries = 0;
  private at: string;
  private readonly start: string;
  private readonly end: string;

  constructor(
    private readonly spec: LokiReplaySpec,
    private readonly o: LokiReplayOptions,
  ) {
    this.name = spec.name ?? spec.query;
    this.kind = spec.kind;
    this.label = `loki ${spec.kind} ${spec.query}`;
    this.start = nsFromMs(o.fromMs);
    this.end = nsFromMs(o.toMs);
    this.at = this.start;
  }

  progress(): string {
    const span = Number(BigInt(this.end) - BigInt(this.start));
    const done = span > 0 ? Number(BigInt(this.at) - BigInt(this.start)) / span : 1;
    return `${this.spec.query}: ${this.entries} entries in ${this.pages} pages, ${Math.floor(done * 100)}% (at ${formatNs(this.at)})`;
  }

  async *entryPages(): AsyncGenerator<LokiEntry[]> {
    const window = BigInt(this.o.windowMs ?? 24 * 3600_000) * 1_000_000n;
    for (let w = this.start; cmpNs(w, this.end) < 0; w = addNs(w, window)) {
      const wEnd = cmpNs(addNs(w, window), this.end) < 0 ? addNs(w, window) : this.end;
      const pages = this.o.client.queryRange({
        query: this.spec.query,
        start: w,
        end: wEnd,
        pageLimit: this.o.pageLimit,
        maxLimit: this.o.maxLimit,
        onPage: (p) => {
          this.pages++;
          if (cmpNs(p.at, this.at) > 0) this.at = p.at;
        },
      });
      for await (const page of pages) {
        this.entries += page.length;
        yield page;
      }
      this.at = wEnd;
    }
  }

  async *batches(): AsyncGenerator<ParsedRecord[]> {
    const parse = parsers[this.kind];
    const hostLabels = this.o.hostLabels ?? DEFAULT_HOST_LABELS;
    const ctx: ParseContext = { kind: this.kind, sourceName: this.name, position: '', year: this.o.readOpts.year, date: this.o.readOpts.date, carry: {} };
    let n = 0;
    for await (const page of readAhead(this.entryPages())) {
      const out: ParsedRecord[] = [];
      for (const e of page) {
        n++;
        const position = `loki ${formatNs(e.ts)} ${e.stream}`;
        ctx.position = position;
        ctx.refMs = this.o.readOpts.year === undefined ? msFromNs(e.ts) : undefined;
        ctx.defaultHost = hostFromLabels(e.labels, hostLabels) ?? this.o.readOpts.defaultHost;
        out.push({ record: { text: e.line, position, lineNo: n, offset: 0, invalidUtf8: false, truncated: false }, result: parse(e.line, ctx) });
      }
      yield out;
    }
  }
}
