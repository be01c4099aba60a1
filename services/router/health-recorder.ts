// Source health for the digest (issue 5): every minute (injected timer) and at stop, the
// growth of the pipeline's counters (events parsed, parse failures, per source) and each
// source's newest event time are added to state.db (health.ts), in the current wall-clock
// hour. Counters restart at 0 with the process, so the first sample of a run counts from
// its start: nothing is counted twice, and at most the last minute before a kill -9 is
// missing from the digest's counts (never from the alerts).
import type { Metrics } from '../lib/metrics.js';
import type { Log } from '../lib/log.js';
import type { StateStore } from '../state/store.js';
import type { HealthDelta } from '../state/health.js';
import type { SetTimer } from './lane.js';

export interface HealthRecorderOptions {
  store: StateStore;
  metrics: Metrics;
  sources: ReadonlyArray<{ name: string; kind: string }>;
  /** Newest event time per source (the pipeline's view). */
  newestEvent: () => ReadonlyMap<string, number>;
  now: () => number;
  setTimer: SetTimer;
  log: Log;
  everyMs?: number;
}

async function bySource(counter: Metrics['eventsParsed']): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const v of (await counter.get()).values) {
    const s = String(v.labels['source'] ?? '');
    out.set(s, (out.get(s) ?? 0) + v.value);
  }
  return out;
}

export class HealthRecorder {
  private readonly seen = new Map<string, { events: number; errors: number; lastEventMs: number | null }>();
  private timer: { cancel(): void } | undefined;
  private running = false;

  constructor(private readonly o: HealthRecorderOptions) {}

  start(): void {
    this.running = true;
    this.arm();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.timer?.cancel();
    await this.sample();
  }

  /** Records the counters' growth since the last sample. */
  async sample(): Promise<void> {
    const events = await bySource(this.o.metrics.eventsParsed);
    const errors = await bySource(this.o.metrics.parseFailures as unknown as Metrics['eventsParsed']);
    const newest = this.o.newestEvent();
    const now = this.o.now();
    const deltas: HealthDelta[] = [];
    for (const s of this.o.sources) {
      const prev = this.seen.get(s.name) ?? { events: 0, errors: 0, lastEventMs: null };
      const cur = { events: events.get(s.name) ?? 0, errors: errors.get(s.name) ?? 0, lastEventMs: newest.get(s.name) ?? null };
      // A source row is written even with nothing new: the digest lists every configured source.
      if (this.seen.has(s.name) && cur.events === prev.events && cur.errors === prev.errors && cur.lastEventMs === prev.lastEventMs) continue;
      deltas.push({ source: s.name, kind: s.kind, bucketMs: now, events: cur.events - prev.events, parseErrors: cur.errors - prev.errors, lastEventMs: cur.lastEventMs });
      this.seen.set(s.name, cur);
    }
    try {
      this.o.store.health.record(deltas);
    } catch (e) {
      // Not recorded: keep the previous marks so the next sample adds these counts too.
      for (const d of deltas) {
        const cur = this.seen.get(d.source)!;
        this.seen.set(d.source, { events: cur.events - d.events, errors: cur.errors - d.parseErrors, lastEventMs: cur.lastEventMs });
      }
      this.o.log.warn({ code: 'TRIP_STATE_HEALTH', err: (e as Error).message }, 'source health not recorded; retrying at the next sample');
    }
  }

  private arm(): void {
    if (!this.running) return;
    this.timer = this.o.setTimer(() => {
      void this.sample().finally(() => this.arm());
    }, this.o.everyMs ?? 60_000);
  }
}
