// parseRfc3339 with a one-entry cache of the minute (TimeCache), for parsers whose lines
// come in time order: building each time through Date and toISOString was a tenth of a
// vault-audit replay (issue 8). The same answers as parseRfc3339 for every text
// (test/perf/prefilter-differential.test.ts holds TimeCache to it); a parser that sees
// minutes out of order only falls back to parseRfc3339 itself.
import type { EventTime } from '../lib/time.js';
import { TimeCache } from './k8s-audit-scan.js';

/** A parseRfc3339 (UTC default offset) with a cache of its own: one per parser, so two formats do not evict each other. */
export function cachedRfc3339(): (text: string) => EventTime | null {
  const cache = new TimeCache();
  return (text) => cache.parse(text);
}
