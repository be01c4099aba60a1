// Following a LogQL query live over GET /loki/api/v1/tail (a websocket; formats.md §5),
// without gaps or repeats across reconnects and restarts.
//
// Each connection: (1) open the websocket (start = the newest timestamp passed, or now)
// and buffer what it sends; (2) once it is up, catch up with query_range from that
// timestamp to now: the tail's own backfill is best-effort (at most `limit` entries),
// query_range pages through everything (paging.ts); (3) drain the buffer, then stream.
// Entries are deduplicated at every seam: SeamTracker drops entries already passed at
// the position's timestamp (its hashes survive restarts in the saved position);
// RecentKeys drops the overlap of the catch-up with the tail's backfill.
// A closed socket (Loki ends tails after tail_max_duration, a restart, a network
// fault) reconnects with backoff and catches up from the last timestamp again.
// dropped_entries (Loki skipped lines because we were slow) are reported, and their
// time span is re-read with query_range so nothing is lost.
// A buffer above `maxBuffered` entries (the consumer is slower than the stream) closes
// the socket: the catch-up of the next connection reads the backlog at our pace.
import type { WebSocket } from 'undici';
import { TriplineError } from '../lib/errors.js';
import { addNs, cmpNs, flattenStreams, nowNs, RecentKeys, SeamTracker, type LabelForms, type LokiEntry } from './entries.js';
import type { LokiClient } from './client.js';
import { LokiError } from './client.js';

export interface TailPosition {
  /** Newest entry timestamp passed (ns). */
  ts: string;
  /** entryHash of every entry passed at exactly `ts`. */
  seen: string[];
}

export interface TailOptions {
  query: string;
  /** Resume point; absent: from now. */
  from?: TailPosition;
  /** Tail `limit` (backfill size per connection; default 1000). */
  limit?: number;
  delayForSec?: number;
  pageLimit?: number;
  maxLimit?: number;
  /** Wait after the socket opened before the catch-up query, so Loki has registered the tail (default 250 ms). */
  settleMs?: number;
  maxBuffered?: number;
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  onDropped?: (info: { count: number; oldest: string; newest: string }) => void;
  onStatus?: (s: { state: 'connecting' | 'catching-up' | 'live' | 'disconnected'; detail?: string; retryInMs?: number }) => void;
}

export interface TailBatch {
  entries: LokiEntry[];
  /** Where to resume once these entries are processed. */
  position: TailPosition | undefined;
  /** Which phase produced them. */
  phase: 'catch-up' | 'live' | 'repair';
}

const CATCH_UP_AHEAD_NS = 10n * 60n * 1_000_000_000n;

type Dropped = { count: number; oldest: string; newest: string };
type SocketEvent = { type: 'entries'; entries: LokiEntry[]; dropped?: Dropped } | { type: 'closed'; detail: string };
/** A message as received: flattened only when read, so label names learned by the catch-up apply. */
type Queued = { type: 'raw'; streams: unknown; count: number; dropped?: Dropped } | { type: 'closed'; detail: string };

/** A websocket whose messages queue up until read. */
class TailSocket {
  private readonly queue: Queued[] = [];
  private waiter: (() => void) | undefined;
  buffered = 0;
  overflowed = false;
  readonly opened: Promise<void>;

  constructor(
    private readonly ws: WebSocket,
    private readonly maxBuffered: number,
    private readonly forms: LabelForms,
  ) {
    this.opened = new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve());
      ws.addEventListener('error', () => reject(new LokiError('TRIP_LOKI_TAIL', 'Loki tail websocket failed to open', 0, true)));
      ws.addEventListener('close', (ev) => reject(new LokiError('TRIP_LOKI_TAIL', `Loki tail websocket closed before opening (code ${ev.code}${ev.reason ? `: ${ev.reason}` : ''})`, 0, true)));
    });
    this.opened.catch(() => undefined);
    ws.addEventListener('message', (ev) => this.onMessage(ev.data));
    ws.addEventListener('close', (ev) => this.enqueue({ type: 'closed', detail: `code ${ev.code}${ev.reason ? `: ${ev.reason}` : ''}` }));
  }

  private onMessage(data: unknown): void {
    if (this.overflowed) return;
    let msg: { streams?: unknown; dropped_entries?: Array<{ timestamp?: string }> | null };
    try {
      msg = JSON.parse(typeof data === 'string' ? data : Buffer.from(data as ArrayBuffer).toString('utf8')) as typeof msg;
    } catch {
      return;
    }
    let count = 0;
    if (Array.isArray(msg.streams)) for (const s of msg.streams as Array<{ values?: unknown }>) count += Array.isArray(s.values) ? s.values.length : 0;
    let dropped: Dropped | undefined;
    const d = (msg.dropped_entries ?? []).map((x) => x.timestamp).filter((t): t is string => typeof t === 'string' && /^\d{1,22}$/.test(t));
    if (d.length > 0) {
      d.sort(cmpNs);
      dropped = { count: d.length, oldest: d[0]!, newest: d[d.length - 1]! };
    }
    if (count === 0 && !dropped) return;
    this.buffered += count;
    if (this.buffered > this.maxBuffered) {
      // The consumer cannot keep up: stop buffering; the next catch-up reads the backlog.
      this.overflowed = true;
      this.queue.length = 0;
      this.close();
      return;
    }
    this.enqueue({ type: 'raw', streams: msg.streams ?? [], count, dropped });
  }

  private enqueue(ev: Queued): void {
    this.queue.push(ev);
    this.waiter?.();
  }

  /** The next event, or undefined when aborted. */
  async next(signal: AbortSignal): Promise<SocketEvent | undefined> {
    while (this.queue.length === 0) {
      if (signal.aborted) return undefined;
      await new Promise<void>((resolve) => {
        const done = () => {
          signal.removeEventListener('abort', done);
          this.waiter = undefined;
          resolve();
        };
        this.waiter = done;
        signal.addEventListener('abort', done);
      });
    }
    const ev = this.queue.shift()!;
    if (ev.type === 'closed') return ev;
    this.buffered -= ev.count;
    return { type: 'entries', entries: flattenStreams(ev.streams, this.forms, 'tail'), dropped: ev.dropped };
  }

  close(): void {
    try {
      this.ws.close(1000, 'tripline');
    } catch {
      /* already closed */
    }
  }
}

/** Resolves with `p`, or early (undefined) when `signal` aborts; rejects when `p` does. */
async function untilAborted(p: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  let onAbort: () => void = () => undefined;
  try {
    await Promise.race([p, new Promise<void>((r) => (onAbort = r, signal.addEventListener('abort', onAbort)))]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

/** Follows `o.query`; ends only when `signal` aborts (or with a non-retryable error). */
export async function* tailEntries(client: LokiClient, o: TailOptions, signal: AbortSignal): AsyncGenerator<TailBatch> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? abortableSleep;
  const seam = new SeamTracker(o.from?.ts, o.from?.seen ?? []);
  const recent = new RecentKeys(Math.max(50_000, 4 * (o.limit ?? 1000)));
  // The saved position's entries may come again in a tail backfill after the catch-up
  // has moved the seam past their timestamp: remember them as recent too.
  if (o.from) for (const h of o.from.seen) recent.addHash(o.from.ts, h);
  const position = (): TailPosition | undefined => (seam.ts === undefined ? undefined : { ts: seam.ts, seen: [...seam.atTs] });
  const accept = (entries: LokiEntry[]): LokiEntry[] => {
    const fresh: LokiEntry[] = [];
    for (const e of entries) {
      if (seam.isSeen(e) || recent.has(e)) continue;
      seam.advance(e);
      recent.add(e);
      fresh.push(e);
    }
    return fresh;
  };
  const range = (start: string, end: string, seenAtStart?: Iterable<string>) =>
    client.queryRange({ query: o.query, start, end, pageLimit: o.pageLimit, maxLimit: o.maxLimit, seenAtStart });

  let failures = 0;
  let probed = false;
  while (!signal.aborted) {
    let socket: TailSocket | undefined;
    try {
      if (!probed) {
        // A bad query or bad credentials fail here with Loki's message, instead of as a
        // websocket that closes without saying why.
        const t = nowNs(now);
        for await (const _ of range(addNs(t, -1_000_000_000n), t)) break;
        probed = true;
      }
      o.onStatus?.({ state: 'connecting' });
      const start = seam.ts ?? nowNs(now);
      socket = new TailSocket(client.openTailSocket({ query: o.query, start, limit: o.limit ?? 1000, delayForSec: o.delayForSec ?? 0 }), o.maxBuffered ?? 100_000, client.labelForms);
      await untilAborted(socket.opened, signal);
      if (signal.aborted) break;
      const openedAt = now();
      if (seam.ts !== undefined) {
        o.onStatus?.({ state: 'catching-up' });
        await sleep(o.settleMs ?? 250, signal);
        // Up to a little past now: entries stamped ahead of our clock (skewed shippers)
        // are read here too, not left to the best-effort backfill.
        for await (const page of range(seam.ts, addNs(nowNs(now), CATCH_UP_AHEAD_NS), seam.atTs)) {
          const fresh = accept(page);
          if (fresh.length > 0) yield { entries: fresh, position: position(), phase: 'catch-up' };
          if (signal.aborted) break;
        }
      }
      failures = 0;
      o.onStatus?.({ state: 'live' });
      for (;;) {
        const ev = await socket.next(signal);
        if (!ev) break;
        if (ev.type === 'closed') {
          if (socket.overflowed) {
            o.onStatus?.({ state: 'disconnected', detail: 'consumer behind the stream; catching up with query_range' });
            break;
          }
          // A tail that lived long ended normally (tail_max_duration): reconnect now.
          // One that closed at once (too many tails, a proxy) backs off like a failure.
          if (now() - openedAt < 5000) throw new LokiError('TRIP_LOKI_TAIL', `Loki closed the tail right after opening it (${ev.detail})`, 0, true);
          o.onStatus?.({ state: 'disconnected', detail: ev.detail });
          break;
        }
        const fresh = accept(ev.entries);
        if (fresh.length > 0) yield { entries: fresh, position: position(), phase: 'live' };
        if (ev.dropped) {
          o.onDropped?.(ev.dropped);
          // Re-read the span Loki skipped; entries we did get are deduplicated.
          for await (const page of range(ev.dropped.oldest, addNs(ev.dropped.newest, 1n))) {
            const got = accept(page);
            if (got.length > 0) yield { entries: got, position: position(), phase: 'repair' };
          }
        }
      }
    } catch (e) {
      if (e instanceof TriplineError && !(e instanceof LokiError && e.retryable) && e.code !== 'TRIP_LOKI_TAIL') throw e;
      failures++;
      const delay = Math.min(30_000, 250 * 2 ** Math.min(failures, 7));
      o.onStatus?.({ state: 'disconnected', detail: (e as Error).message, retryInMs: delay });
      socket?.close();
      await sleep(delay, signal);
      continue;
    } finally {
      socket?.close();
    }
  }
}
