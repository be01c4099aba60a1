// Loki source of `tripline run`: the entries of a LogQL query, caught up with
// query_range and then followed over the tail websocket (services/loki/tail.ts).
// Upstream API: formats.md §5, https://grafana.com/docs/loki/latest/reference/loki-http-api/
//
// Position: { ts, seen }: the newest Loki timestamp passed (ns, decimal string) and
// the hashes of the entries already passed at exactly that timestamp (many entries can
// share one nanosecond). A restart re-reads from `ts` and skips the `seen` ones, so
// nothing is lost or repeated at the seam. Without a saved position the source starts
// at the moment `start` is called (startAt: end) or `since` earlier (startAt: beginning).
// Limitation (inherent to Loki timestamps as positions): an entry ingested after a
// restart with a timestamp older than the saved `ts` is not read.
//
// Records: one per entry; refMs (year inference for year-less lines) is the entry's
// Loki timestamp; defaultHost comes from the first present label of `hostLabels`,
// used only where the line names no host.
import type { InputKind } from '../../schemas/event.js';
import type { LokiSourceSettings } from '../../schemas/loki.js';
import { createLog, type Log } from '../lib/log.js';
import { LokiClient } from '../loki/client.js';
import { addNs, formatNs, isNs, msFromNs, nowNs, type LokiEntry } from '../loki/entries.js';
import type { TailPosition } from '../loki/tail.js';
import { MAX_LINE_BYTES } from '../parsers/types.js';
import type { CollectedBatch, CollectedRecord, Collector, CollectorStatus, SourcePosition } from './types.js';

export interface LokiCollectorOptions {
  name: string;
  kind: InputKind;
  loki: LokiSourceSettings;
  startAt?: 'end' | 'beginning';
  log?: Log;
  now?: () => number;
  /** How long start() waits for the first connection before resolving anyway (default 5 s). */
  openTimeoutMs?: number;
}

/** A saved position, or undefined when it is not one of ours (then the source starts fresh). */
export function lokiPosition(p: SourcePosition | undefined): TailPosition | undefined {
  if (!p || typeof p['ts'] !== 'string' || !isNs(p['ts'])) return undefined;
  const seen = Array.isArray(p['seen']) ? (p['seen'] as unknown[]).filter((h): h is string => typeof h === 'string' && /^[0-9a-f]{16}$/.test(h)) : [];
  return { ts: p['ts'], seen };
}

export function hostFromLabels(labels: Record<string, string>, names: readonly string[]): string | undefined {
  for (const n of names) {
    const v = labels[n];
    if (v) return v;
  }
  return undefined;
}

export function toRecord(e: LokiEntry, hostLabels: readonly string[]): CollectedRecord {
  let text = e.line;
  let truncated = false;
  if (text.length > MAX_LINE_BYTES / 4 && Buffer.byteLength(text) > MAX_LINE_BYTES) {
    text = Buffer.from(text).subarray(0, MAX_LINE_BYTES).toString('utf8');
    truncated = true;
  }
  return {
    text,
    position: `loki ${formatNs(e.ts)} ${e.stream}`,
    invalidUtf8: false,
    truncated,
    refMs: msFromNs(e.ts),
    defaultHost: hostFromLabels(e.labels, hostLabels),
  };
}

/** How long a source Loki refused (bad query, bad credentials) waits before trying again. */
const FAILED_RETRY_MS = 60_000;

export class LokiCollector implements Collector {
  readonly name: string;
  readonly kind: InputKind;
  private readonly client: LokiClient;
  private readonly log: Log;
  private readonly now: () => number;
  private abort = new AbortController();
  private loop: Promise<void> | undefined;
  private state: 'starting' | 'connecting' | 'catching-up' | 'live' | 'disconnected' | 'failed' | 'stopped' = 'starting';
  private lastProblem = '';
  private dropped = 0;
  private truncated = 0;
  private entries = 0;

  constructor(private readonly o: LokiCollectorOptions) {
    this.name = o.name;
    this.kind = o.kind;
    this.now = o.now ?? Date.now;
    this.log = o.log ?? createLog();
    const l = o.loki;
    this.client = new LokiClient({
      url: l.url,
      tenant: l.tenant,
      auth: l.auth,
      timeoutMs: l.timeout,
      retries: l.retries,
      onRetry: (r) => this.log.warn({ source: this.name, code: r.code, attempt: r.attempt, retryInMs: r.delayMs }, 'Loki request failed; retrying'),
    });
  }

  async start(from: SourcePosition | undefined, onBatch: (batch: CollectedBatch) => Promise<void>): Promise<void> {
    const l = this.o.loki;
    let resume = lokiPosition(from);
    if (from !== undefined && !resume) this.log.warn({ source: this.name, code: 'TRIP_LOKI_POSITION' }, 'saved position is not a Loki position; starting fresh');
    if (!resume) {
      const start = this.o.startAt === 'beginning' ? addNs(nowNs(this.now), -BigInt(l.since) * 1_000_000n) : nowNs(this.now);
      resume = { ts: start, seen: [] };
    }
    let opened!: () => void;
    const openedOnce = new Promise<void>((r) => (opened = r));
    const signal = this.abort.signal;
    const follow = (from: TailPosition) =>
      this.client.tail(
        {
          query: l.query,
          from,
          delayForSec: l.delayFor,
          pageLimit: l.pageLimit,
          maxLimit: l.maxLimit,
          now: this.now,
          onStatus: (s) => {
            if (this.state === 'stopped') return;
            this.state = s.state;
            if (s.state === 'catching-up' || s.state === 'live') opened();
            if (s.state === 'disconnected' && s.detail) {
              this.lastProblem = s.detail;
              this.log.warn({ source: this.name, code: 'TRIP_LOKI_TAIL', detail: s.detail, retryInMs: s.retryInMs }, 'Loki tail disconnected; reconnecting from the last entry');
              if (s.retryInMs !== undefined) opened();
            }
          },
          onDropped: (d) => {
            this.dropped += d.count;
            this.log.warn({ source: this.name, code: 'TRIP_LOKI_DROPPED', count: d.count, oldest: formatNs(d.oldest), newest: formatNs(d.newest) }, 'Loki dropped tail entries (we were slow); re-reading them with query_range');
          },
        },
        signal,
      );
    this.loop = (async () => {
      let at: TailPosition = resume;
      while (!signal.aborted) {
        try {
          for await (const b of follow(at)) {
            const records = b.entries.map((e) => toRecord(e, l.hostLabels));
            for (const r of records) if (r.truncated) this.truncated++;
            this.entries += records.length;
            if (b.position) at = b.position;
            await onBatch({ source: this.name, kind: this.kind, records, position: { ...at } });
          }
        } catch (e) {
          // A refused query or credentials (4xx): say so loudly, stay not-ready, and try
          // again now and then (credentials may be fixed outside tripline), from `at`.
          this.state = 'failed';
          this.lastProblem = (e as Error).message;
          this.log.error({ source: this.name, code: (e as { code?: string }).code ?? 'TRIP_LOKI', err: this.lastProblem, retryInMs: FAILED_RETRY_MS }, 'Loki refused this source; fix the query or credentials');
          opened();
          await new Promise<void>((r) => {
            const t = setTimeout(done, FAILED_RETRY_MS);
            function done() {
              clearTimeout(t);
              signal.removeEventListener('abort', done);
              r();
            }
            signal.addEventListener('abort', done);
          });
        }
      }
    })();
    const timeout = new Promise<void>((r) => setTimeout(r, this.o.openTimeoutMs ?? 5000).unref());
    await Promise.race([openedOnce, timeout]);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    this.state = 'stopped';
    await this.client.close();
  }

  status(): CollectorStatus {
    const opened = this.state === 'live' || this.state === 'catching-up';
    let detail = `loki ${this.client.describe()} ${this.o.loki.query} (${this.state}; ${this.entries} entries`;
    if (this.dropped > 0) detail += `; ${this.dropped} dropped by Loki and re-read`;
    detail += ')';
    if (!opened && this.lastProblem) detail += `; last problem: ${this.lastProblem}`;
    return { opened, detail, truncated: this.truncated };
  }
}

export type { TailPosition };
