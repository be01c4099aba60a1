// The health lane of the detector replica that owns the health partition (issue 7):
// H1 (silence) and H2 (parse failures) over every source's records, merged back into
// event-time order.
//
// Why a merge: the replay merges its inputs by event time (merge.ts) before the engine,
// and H1 judges a source's silence against the newest event of ANY source. On Kafka the
// sources arrive independently (a slow collector, a partition whose replica just died),
// so records are held here and released in the replay's order: by (order time, source
// index), each source in its own collector order. That is a watermark: a record is
// released only once every source that is not idle has a later record buffered, i.e.
// once the minimum over the sources' event times has passed it. A source with nothing
// buffered for `idleMs` of wall time (kafka.idleTimeout) stops holding the others back,
// so a dead source is eventually reported silent instead of freezing the lane.
//
// Invariants:
// - Per source, records are released in collector sequence (ep, seq), whatever partitions
//   and replicas carried them; a seq already released is a redelivery and is dropped.
// - A gap in a source's sequence holds that source back like a silent one; after `idleMs`
//   without progress the gap is skipped (counted, logged by the caller): never a freeze.
// - Deterministic given arrival: same records, same release order. toJSON()/fromJSON keep
//   the buffered records, so a replica taking over the partition continues exactly.
import type { Alert } from '../../schemas/alert.js';
import { quietLineOf } from '../engine/quiet-line.js';
import type { Config } from '../../schemas/config.js';
import type { Rule } from '../../rules/define.js';
import { Engine, type EngineSnapshot, type SourceInfo } from '../engine/engine.js';
import type { EventRecord } from './records.js';

interface Stream {
  index: number;
  epoch: string | null;
  next: number;
  pending: Map<number, EventRecord>;
  ready: EventRecord[];
  /** Wall time of the last arrival (or of the lane's start): idleness. */
  touchedMs: number;
  /** Wall time `next` last moved (or the lane's start): how old a gap is. */
  progressMs: number;
}

export interface MergerJson {
  order: string[];
  streams: Array<{ name: string; epoch: string | null; next: number; records: EventRecord[] }>;
  skipped: number;
  dropped: number;
}

function before(a: EventRecord, ai: number, b: EventRecord, bi: number): boolean {
  const am = a.ms ?? Number.NEGATIVE_INFINITY;
  const bm = b.ms ?? Number.NEGATIVE_INFINITY;
  if (am !== bm) return am < bm;
  if (a.ns !== b.ns) return a.ns < b.ns;
  return ai < bi;
}

export class HealthMerger {
  private readonly streams = new Map<string, Stream>();
  private readonly order: string[] = [];
  /** Sequence numbers skipped over after a gap outlived idleMs. */
  skipped = 0;
  /** Redelivered records dropped. */
  dropped = 0;

  /** `sources`: the configured sources in config order (the replay's input order); others join as they appear. */
  constructor(
    sources: readonly string[],
    private readonly idleMs: number,
    nowMs: number,
  ) {
    for (const s of sources) this.stream(s, nowMs);
  }

  private stream(name: string, nowMs: number): Stream {
    let s = this.streams.get(name);
    if (!s) {
      s = { index: this.order.length, epoch: null, next: 0, pending: new Map(), ready: [], touchedMs: nowMs, progressMs: nowMs };
      this.order.push(name);
      this.streams.set(name, s);
    }
    return s;
  }

  offer(r: EventRecord, nowMs: number): void {
    const s = this.stream(r.src, nowMs);
    s.touchedMs = nowMs;
    if (s.epoch !== r.ep) {
      // Epochs sort by creation (the collector stamps them "<time>-<random>"): an older
      // one is a late redelivery; a newer one means the collector restarted its numbering.
      if (s.epoch !== null && r.ep < s.epoch) {
        this.dropped++;
        return;
      }
      s.epoch = r.ep;
      s.next = 0;
      s.pending.clear();
    }
    if (r.seq < s.next || s.pending.has(r.seq)) {
      this.dropped++;
      return;
    }
    s.pending.set(r.seq, r);
    this.advance(s, nowMs);
  }

  private advance(s: Stream, nowMs: number): void {
    for (let r = s.pending.get(s.next); r !== undefined; r = s.pending.get(s.next)) {
      s.pending.delete(s.next);
      s.ready.push(r);
      s.next++;
      s.progressMs = nowMs;
    }
  }

  /** A stream with nothing ready, and no arrival for idleMs: it no longer holds the merge back. */
  private idle(s: Stream, nowMs: number): boolean {
    return s.ready.length === 0 && nowMs - s.touchedMs >= this.idleMs;
  }

  /** Records that may go to the engine now, in order. */
  release(nowMs: number): EventRecord[] {
    // A gap that outlived idleMs is skipped: the lane must not freeze on a lost record.
    for (const s of this.streams.values()) {
      if (s.ready.length === 0 && s.pending.size > 0 && nowMs - s.progressMs >= this.idleMs) {
        const lowest = Math.min(...s.pending.keys());
        this.skipped += lowest - s.next;
        s.next = lowest;
        this.advance(s, nowMs);
      }
    }
    const out: EventRecord[] = [];
    const all = [...this.streams.values()];
    for (;;) {
      let best: Stream | undefined;
      let blocked = false;
      for (const s of all) {
        if (s.ready.length === 0) {
          if (!this.idle(s, nowMs)) blocked = true;
          continue;
        }
        if (!best || before(s.ready[0]!, s.index, best.ready[0]!, best.index)) best = s;
      }
      if (!best || blocked) break;
      out.push(best.ready.shift()!);
    }
    return out;
  }

  /** Sources currently holding the merge back (nothing ready, not idle yet). */
  waitingFor(nowMs: number): string[] {
    return this.order.filter((n) => {
      const s = this.streams.get(n)!;
      return s.ready.length === 0 && !this.idle(s, nowMs);
    });
  }

  /** Records held (ready or waiting for a gap). */
  buffered(): number {
    let n = 0;
    for (const s of this.streams.values()) n += s.ready.length + s.pending.size;
    return n;
  }

  toJSON(): MergerJson {
    return {
      order: [...this.order],
      streams: this.order.map((name) => {
        const s = this.streams.get(name)!;
        const pending = [...s.pending.values()].sort((a, b) => a.seq - b.seq);
        return { name, epoch: s.epoch, next: s.next - s.ready.length, records: [...s.ready, ...pending] };
      }),
      skipped: this.skipped,
      dropped: this.dropped,
    };
  }

  static fromJSON(j: MergerJson, idleMs: number, nowMs: number, sources: readonly string[]): HealthMerger {
    const m = new HealthMerger([...j.order, ...sources.filter((s) => !j.order.includes(s))], idleMs, nowMs);
    m.skipped = j.skipped;
    m.dropped = j.dropped;
    for (const st of j.streams) {
      const s = m.streams.get(st.name)!;
      s.epoch = st.epoch;
      s.next = st.next;
      for (const r of st.records) s.pending.set(r.seq, r);
      m.advance(s, nowMs);
    }
    return m;
  }
}

export interface HealthLaneJson {
  merger: MergerJson;
  engine: EngineSnapshot;
}

/** H1/H2 rules of a rule list (absence and error-rate kinds). */
export function healthRules(all: readonly Rule[]): Rule[] {
  return all.filter((r) => r.kind === 'absence' || r.kind === 'error-rate');
}

export class HealthLane {
  private readonly engine: Engine;
  private readonly merger: HealthMerger;
  private readonly startMs: number;
  /** Records released to the engine so far (a change of state to checkpoint). */
  released = 0;

  constructor(
    private readonly o: { rules: readonly Rule[]; config: Config; sources?: readonly SourceInfo[]; nowMs: number },
    state?: HealthLaneJson,
  ) {
    const names = (o.sources ?? []).map((s) => s.name);
    this.engine = new Engine({ rules: healthRules(o.rules), config: o.config, ...(o.sources ? { sources: o.sources } : {}), ...(state ? { state: state.engine } : {}) });
    this.merger = state ? HealthMerger.fromJSON(state.merger, o.config.kafka?.idleTimeout ?? 30_000, o.nowMs, names) : new HealthMerger(names, o.config.kafka?.idleTimeout ?? 30_000, o.nowMs);
    this.startMs = o.nowMs;
  }

  offer(r: EventRecord, nowMs: number): void {
    this.merger.offer(r, nowMs);
  }

  /** Feeds what the watermark lets through to H1/H2; returns their alerts. */
  release(nowMs: number): Alert[] {
    const out: Alert[] = [];
    for (const r of this.merger.release(nowMs)) {
      this.released++;
      if (r.q) out.push(...this.engine.pushQuiet(r.src, r.kind, quietLineOf({ ms: r.ms!, subNs: r.ns, iso: r.q.ts }, r.q.pos, r.line ?? '')));
      else if (r.e) out.push(...this.engine.push({ event: r.e, line: r.line ?? '' }));
      else out.push(...this.engine.pushError({ sourceName: r.src, kind: r.kind, code: r.err ?? 'TRIP_PARSE_UNKNOWN' }));
    }
    return out;
  }

  /** Live H1 on wall time (health.wallClock), as the embedded runner does (Engine.tick). */
  tick(nowMs: number): Alert[] {
    return this.o.config.health.wallClock ? this.engine.tick(nowMs, this.startMs) : [];
  }

  stats(nowMs: number): { buffered: number; waitingFor: string[]; skipped: number; dropped: number; watermarkMs: number | null } {
    return {
      buffered: this.merger.buffered(),
      waitingFor: this.merger.waitingFor(nowMs),
      skipped: this.merger.skipped,
      dropped: this.merger.dropped,
      watermarkMs: this.engine.stats().watermarkMs,
    };
  }

  toJSON(): HealthLaneJson {
    return { merger: this.merger.toJSON(), engine: this.engine.snapshot() };
  }
}
