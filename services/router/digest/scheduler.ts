// The daily digest of `tripline run` (issue 5): at route.digest.at in
// route.digest.timezone (luxon, so DST is the zone's business), one message about the 24 h
// before that time, posted through the Slack lane (its rate limit and Retry-After hold).
//
// Invariants:
// - Each slot (the scheduled instant) is posted at most once: digest_runs records it, so a
//   restart does not post it again.
// - A missed slot (tripline was down at 09:00) is caught up at start when it is less than
//   12 h old and the state existed before this start; a brand-new state posts nothing
//   until its first slot.
// - Transient failures retry with backoff (30 s doubling, at most 15 min) until the next
//   slot; a permanent one (4xx) is logged and counted, not retried.
// - Time is the injected clock; waiting is the injected timer.
import { DateTime } from 'luxon';
import type { Config } from '../../../schemas/config.js';
import type { Silence } from '../../../schemas/routing.js';
import type { StateStore } from '../../state/store.js';
import type { SlackSink } from '../../sinks/slack.js';
import { formatSlackDigest } from '../../sinks/slack-digest.js';
import type { Log } from '../../lib/log.js';
import type { Metrics } from '../../lib/metrics.js';
import type { SetTimer } from '../lane.js';
import type { Router } from '../router.js';
import { composeDigest } from './compose.js';

const DAY_MS = 24 * 3_600_000;
const CATCH_UP_MS = 12 * 3_600_000;

/** The last digest instant at or before `nowMs`, and the next one after it. */
export function digestSlots(nowMs: number, at: string, zone: string): { prev: number; next: number } {
  const [h, m] = at.split(':').map(Number) as [number, number];
  const local = DateTime.fromMillis(nowMs, { zone });
  let today = local.set({ hour: h, minute: m, second: 0, millisecond: 0 });
  if (today.toMillis() > nowMs) today = today.minus({ days: 1 });
  return { prev: today.toMillis(), next: today.plus({ days: 1 }).toMillis() };
}

export interface DigestSchedulerOptions {
  store: StateStore;
  router: Router;
  slack: SlackSink;
  config: () => Config;
  silences: () => readonly Silence[];
  configuredSources: ReadonlyArray<{ name: string; kind: string }>;
  /** The state existed before this start (catch-up allowed). */
  stateExisted: boolean;
  now: () => number;
  setTimer: SetTimer;
  log: Log;
  metrics: Metrics;
}

export class DigestScheduler {
  private timer: { cancel(): void } | undefined;
  private running = false;
  private inflight: Promise<void> = Promise.resolve();

  constructor(private readonly o: DigestSchedulerOptions) {}

  start(): void {
    this.running = true;
    const { digest } = this.o.config().route;
    const { prev, next } = digestSlots(this.o.now(), digest.at, digest.timezone);
    if (this.o.stateExisted && this.o.now() - prev < CATCH_UP_MS && !this.o.store.health.digestPosted(prev)) {
      this.o.log.info({ slot: new Date(prev).toISOString() }, 'posting a digest that was missed while tripline was down');
      this.fire(prev, 0);
    } else {
      this.arm(next, 0);
    }
  }

  /** Stops the timer; a digest being posted finishes or fails (see settled). */
  stop(): void {
    this.running = false;
    this.timer?.cancel();
  }

  /**
   * Resolves when a digest in flight has finished. Await it after the router stopped: a
   * digest waiting behind a Retry-After is then failed at once instead of holding up the stop.
   */
  settled(): Promise<void> {
    return this.inflight;
  }

  /** Builds and posts the digest of `slotMs` now; resolves to whether it was posted. */
  async postSlot(slotMs: number): Promise<{ ok: boolean; permanent: boolean }> {
    if (this.o.store.health.digestPosted(slotMs)) return { ok: true, permanent: false };
    const config = this.o.config();
    const { layout } = this.o.store.read((db) =>
      composeDigest(db, { fromMs: slotMs - DAY_MS, toMs: slotMs, config, silences: this.o.silences(), configuredSources: this.o.configuredSources }),
    );
    const message = formatSlackDigest(layout);
    const r = await this.o.router.sendExtra(this.o.slack.name, () => this.o.slack.post(message));
    if (r.ok) {
      this.o.store.health.markDigestPosted(slotMs, this.o.now(), this.o.slack.name);
      this.o.metrics.digests.inc({ status: 'posted' });
      this.o.log.info({ slot: new Date(slotMs).toISOString() }, 'daily digest posted');
      return { ok: true, permanent: false };
    }
    this.o.metrics.digests.inc({ status: 'failed' });
    this.o.log.warn({ code: r.failure.code, slot: new Date(slotMs).toISOString(), permanent: r.failure.permanent }, `${r.failure.message}: daily digest not posted`);
    return { ok: false, permanent: r.failure.permanent };
  }

  private fire(slotMs: number, failures: number): void {
    this.inflight = this.postSlot(slotMs)
      .catch((e: Error) => {
        this.o.log.error({ code: 'TRIP_DIGEST', err: e.message }, 'building the daily digest failed');
        return { ok: false, permanent: false };
      })
      .then((r) => {
        const { digest } = this.o.config().route;
        const next = digestSlots(slotMs, digest.at, digest.timezone).next;
        if (r.ok || r.permanent) return this.arm(next, 0);
        const retryAt = this.o.now() + Math.min(15 * 60_000, 30_000 * 2 ** Math.min(failures, 10));
        if (retryAt < next) this.arm(retryAt, failures + 1, slotMs);
        else this.arm(next, 0);
      });
  }

  private arm(atMs: number, failures: number, slotMs = atMs): void {
    if (!this.running) return;
    this.timer?.cancel();
    this.timer = this.o.setTimer(() => this.fire(slotMs, failures), Math.max(0, atMs - this.o.now()));
  }
}
