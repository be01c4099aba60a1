// Every entry of a LogQL log query in [start, end), page by page, each exactly once
// (formats.md §5 "Paginating a large range correctly", as logcli does):
// - direction forward; the next page starts AT the last returned timestamp (start is
//   inclusive), never one nanosecond later: several entries can share that nanosecond
//   and the page may have cut through them;
// - entries already passed at that boundary timestamp are dropped, keyed on (stream,
//   ts, line): SeamTracker keeps the hashes of every entry at the newest timestamp;
// - a page shorter than its limit ends the range;
// - a full page that did not move past its own start (every entry on one timestamp)
//   would spin forever: the limit is doubled for that page, up to maxLimit (Loki's
//   max_entries_limit_per_query, default 5000), then the range fails loudly rather
//   than skip entries.
// Pure paging logic over an injected page fetcher, so tests can drive it with a fake.
import { TriplineError } from '../lib/errors.js';
import { cmpNs, SeamTracker, type LokiEntry } from './entries.js';

export interface PageRequest {
  query: string;
  /** Inclusive, ns. */
  start: string;
  /** Exclusive, ns. */
  end: string;
  limit: number;
}

/** One query_range call (direction forward): entries sorted by ts. */
export type FetchPage = (req: PageRequest) => Promise<LokiEntry[]>;

export interface PageProgress {
  pages: number;
  entries: number;
  /** Start of the last page requested (ns). */
  at: string;
}

export interface RangeOptions {
  query: string;
  start: string;
  end: string;
  /** Entries per page (default 2000). */
  pageLimit?: number;
  /** Largest limit to try for a page whose entries all share one timestamp (default 5000). */
  maxLimit?: number;
  /** Hashes (entryHash) of entries already passed at exactly `start`: a saved position. */
  seenAtStart?: Iterable<string>;
  onPage?: (p: PageProgress) => void;
}

export const DEFAULT_PAGE_LIMIT = 2000;
export const DEFAULT_MAX_LIMIT = 5000;

/** Yields the new entries of each page, in time order. */
export async function* pageRange(fetch: FetchPage, o: RangeOptions): AsyncGenerator<LokiEntry[]> {
  const base = Math.max(1, o.pageLimit ?? DEFAULT_PAGE_LIMIT);
  const maxLimit = Math.max(base, o.maxLimit ?? DEFAULT_MAX_LIMIT);
  // Hashes of the entries already passed at exactly `start`; only entries at the
  // boundary timestamp are ever hashed, so paging costs no hashing in between.
  const seam = new SeamTracker(o.start, o.seenAtStart ?? []);
  let start = o.start;
  let limit = base;
  let pages = 0;
  let total = 0;
  while (cmpNs(start, o.end) < 0) {
    const page = await fetch({ query: o.query, start, end: o.end, limit });
    pages++;
    const fresh: LokiEntry[] = [];
    for (const e of page) {
      // Outside the asked range can only be a server quirk; never emit it twice or early.
      if (cmpNs(e.ts, start) < 0 || cmpNs(e.ts, o.end) >= 0) continue;
      if (e.ts === start && seam.isSeen(e)) continue;
      fresh.push(e);
    }
    total += fresh.length;
    o.onPage?.({ pages, entries: total, at: start });
    if (page.length < limit) {
      if (fresh.length > 0) yield fresh;
      return;
    }
    const last = page[page.length - 1]!.ts;
    if (cmpNs(last, start) <= 0) {
      // A full page on one timestamp: the same request would return the same page.
      for (const e of fresh) seam.advance(e);
      if (fresh.length > 0) yield fresh;
      if (limit >= maxLimit) {
        throw new TriplineError(
          'TRIP_LOKI_PAGE_STUCK',
          `more than ${limit} entries of ${o.query} share the timestamp ${start} ns; raise Loki's limits_config.max_entries_limit_per_query and the maxLimit setting to read them all`,
        );
      }
      limit = Math.min(limit * 2, maxLimit);
      continue;
    }
    // The next page starts at `last`: remember what was passed there.
    if (last !== seam.ts) {
      seam.ts = last;
      seam.atTs.clear();
    }
    for (let i = fresh.length - 1; i >= 0 && fresh[i]!.ts === last; i--) seam.advance(fresh[i]!);
    if (fresh.length > 0) yield fresh;
    start = last;
    limit = base;
  }
}
