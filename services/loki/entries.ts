// Loki entries as tripline handles them: nanosecond timestamps kept as decimal strings
// (they exceed Number precision; see formats.md §5 "Gotchas"), stream labels with a
// canonical text form, and the short hash that identifies "this line of this stream"
// at one timestamp (used for dedup at page seams, tail reconnects and saved positions).
import { createHash } from 'node:crypto';
import { fromEpochNanos } from '../lib/time.js';

export type Labels = Record<string, string>;

export interface LokiEntry {
  /** Nanoseconds since the epoch, decimal, no leading zeros. */
  ts: string;
  line: string;
  /** Every label Loki gave the entry: stream labels, structured metadata, parsed labels. */
  labels: Labels;
  /** Canonical text ({a="1", b="2"}, sorted) of the stream labels as Loki sent them. */
  stream: string;
  /**
   * The other form of the same entry's labels, when it differs. Loki 3 answers
   * query_range (with categorize-labels) with the indexed stream labels apart from
   * structured metadata (e.g. detected_level) and parsed labels; the tail websocket
   * sends live entries with the bare stream labels but its backfill, and any query with
   * a pipeline, with all of them merged. An entry read two ways must dedup either way:
   * query entries carry `stream` = indexed labels and `alt` = all labels; tail entries
   * carry `stream` = their labels minus the names known not to be indexed (LabelForms)
   * and `alt` = their labels as sent. Every dedup check accepts any of the hashes.
   */
  alt?: string;
}

const NS = /^(0|[1-9]\d{0,19})$/;

export function isNs(text: string): boolean {
  return NS.test(text);
}

/** Normalizes a ns timestamp string (strips leading zeros); throws on anything else. */
export function ns(text: string): string {
  if (!/^\d{1,22}$/.test(text)) throw new Error(`not a nanosecond timestamp: ${JSON.stringify(text.slice(0, 40))}`);
  return BigInt(text).toString();
}

/** Compares two normalized ns strings without BigInt: by length, then text. */
export function cmpNs(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function nsFromMs(ms: number): string {
  return (BigInt(Math.floor(ms)) * 1_000_000n).toString();
}

export function msFromNs(t: string): number {
  return Number(BigInt(t) / 1_000_000n);
}

export function addNs(t: string, delta: bigint): string {
  return (BigInt(t) + delta).toString();
}

/** RFC 3339 text of a ns timestamp (for messages and positions people read). */
export function formatNs(t: string): string {
  return fromEpochNanos(t)?.iso ?? t;
}

/** The current wall time in ns (ms precision: all a JS clock gives). */
export function nowNs(now: () => number = Date.now): string {
  return nsFromMs(now());
}

/** Loki's selector-like text of a label set, sorted by name: the stream identity. */
export function streamKey(labels: Labels): string {
  const names = Object.keys(labels).sort();
  return `{${names.map((n) => `${n}=${JSON.stringify(labels[n])}`).join(', ')}}`;
}

/**
 * Identity of a line within its stream at one timestamp: 16 hex digits (64 bits) of
 * sha256 over stream and line. Loki itself drops an exact duplicate (same stream, ts
 * and line) at ingest, so (ts, hash) names an entry.
 */
export function entryHash(stream: string, line: string): string {
  return createHash('sha256').update(stream).update('\u0000').update(line).digest('hex').slice(0, 16);
}

/** The hashes that name an entry: one per label form (see LokiEntry.alt). */
export function entryHashes(e: LokiEntry): string[] {
  const h = entryHash(e.stream, e.line);
  return e.alt === undefined ? [h] : [h, entryHash(e.alt, e.line)];
}

/** The ns timestamp of the newest entry passed and the hashes of every entry at it. */
export class SeamTracker {
  ts: string | undefined;
  readonly atTs = new Set<string>();

  constructor(ts?: string, seen: Iterable<string> = []) {
    this.ts = ts;
    for (const h of seen) this.atTs.add(h);
  }

  /** true when the entry was already passed (same ts, a matching hash) at the seam. */
  isSeen(e: LokiEntry): boolean {
    if (this.ts === undefined || e.ts !== this.ts || this.atTs.size === 0) return false;
    return entryHashes(e).some((h) => this.atTs.has(h));
  }

  /** Records a passed entry; entries older than the seam leave it unchanged. */
  advance(e: LokiEntry): void {
    if (this.ts === undefined || cmpNs(e.ts, this.ts) > 0) {
      this.ts = e.ts;
      this.atTs.clear();
    }
    if (e.ts === this.ts) for (const h of entryHashes(e)) this.atTs.add(h);
  }
}

/**
 * A bounded set of recent entry keys (insertion order, oldest evicted first): dedups
 * the overlap of a query_range catch-up and a tail's backfill after a reconnect.
 */
export class RecentKeys {
  private readonly keys = new Set<string>();
  constructor(private readonly capacity = 50_000) {}

  has(e: LokiEntry): boolean {
    return entryHashes(e).some((h) => this.keys.has(`${e.ts} ${h}`));
  }

  /** Records an entry known only by its timestamp and hash (a saved position's `seen`). */
  addHash(ts: string, hash: string): void {
    this.keys.add(`${ts} ${hash}`);
  }

  add(e: LokiEntry): void {
    for (const h of entryHashes(e)) {
      const k = `${e.ts} ${h}`;
      if (this.keys.has(k)) continue;
      this.keys.add(k);
      if (this.keys.size > this.capacity) {
        const oldest = this.keys.values().next().value;
        if (oldest !== undefined) this.keys.delete(oldest);
      }
    }
  }

  get size(): number {
    return this.keys.size;
  }
}

/**
 * Which label names are not stream (indexed) labels: structured metadata and parsed
 * labels, learned from categorized query_range answers (plus Loki 3's own
 * detected_level), used to bring tail entries' labels to the indexed form.
 */
export class LabelForms {
  readonly names = new Set<string>(['detected_level']);

  learn(more: Labels): void {
    for (const n of Object.keys(more)) this.names.add(n);
  }

  /** The labels without known non-indexed names (the same object when nothing is removed). */
  strip(labels: Labels): Labels {
    if (!Object.keys(labels).some((n) => this.names.has(n))) return labels;
    return Object.fromEntries(Object.entries(labels).filter(([n]) => !this.names.has(n)));
  }
}

/**
 * Flattens a `streams` result into entries sorted by ts (stable). Query values are
 * [ts, line] or, with categorize-labels, [ts, line, {structuredMetadata?, parsed?}]:
 * their extra labels are learned into `forms` and make the `alt` form. Tail entries
 * (mode 'tail') are brought to the indexed form with `forms`.
 */
export function flattenStreams(result: unknown, forms: LabelForms = new LabelForms(), mode: 'query' | 'tail' = 'query'): LokiEntry[] {
  if (!Array.isArray(result)) throw new Error('Loki answered without a streams result');
  const out: LokiEntry[] = [];
  for (const s of result as Array<{ stream?: unknown; values?: unknown }>) {
    const labels = (s.stream && typeof s.stream === 'object' ? s.stream : {}) as Labels;
    const stream = streamKey(labels);
    let tailForm: { stream: string; alt?: string } | undefined;
    if (mode === 'tail') {
      const stripped = forms.strip(labels);
      tailForm = stripped === labels ? { stream } : { stream: streamKey(stripped), alt: stream };
    }
    if (!Array.isArray(s.values)) continue;
    for (const v of s.values as unknown[]) {
      if (!Array.isArray(v) || typeof v[0] !== 'string' || typeof v[1] !== 'string') throw new Error('Loki answered a malformed entry');
      if (tailForm) {
        out.push({ ts: ns(v[0]), line: v[1], labels, ...tailForm });
        continue;
      }
      const extra = v[2] as { structuredMetadata?: Labels; parsed?: Labels } | undefined;
      const more = extra && typeof extra === 'object' ? { ...extra.structuredMetadata, ...extra.parsed } : undefined;
      if (more && Object.keys(more).length > 0) {
        forms.learn(more);
        const all = { ...labels, ...more };
        out.push({ ts: ns(v[0]), line: v[1], labels: all, stream, alt: streamKey(all) });
      } else {
        out.push({ ts: ns(v[0]), line: v[1], labels, stream });
      }
    }
  }
  // Streams arrive separately, each sorted: merge them into one time order.
  return out.sort((a, b) => cmpNs(a.ts, b.ts));
}
