// An injected clock for router tests: time moves only when the test advances it, timers
// fire in time order, and after each one the test's `settle` (e.g. router.idle()) runs so
// the async work it started (real HTTP to a local server included) completes before time
// moves on. Nothing sleeps on wall time.
export class FakeClock {
  ms: number;
  private seq = 0;
  private timers: Array<{ at: number; seq: number; fn: () => void; live: boolean }> = [];

  constructor(start = Date.UTC(2026, 5, 10, 12, 0, 0)) {
    this.ms = start;
  }

  now = (): number => this.ms;

  setTimer = (fn: () => void, ms: number): { cancel(): void } => {
    const t = { at: this.ms + Math.max(0, ms), seq: this.seq++, fn, live: true };
    this.timers.push(t);
    return { cancel: () => void (t.live = false) };
  };

  /** The time of the earliest live timer, if any. */
  nextAt(): number | undefined {
    const live = this.timers.filter((t) => t.live);
    return live.length ? Math.min(...live.map((t) => t.at)) : undefined;
  }

  /** Moves time forward by `ms`, firing due timers in order and settling after each. */
  async advance(ms: number, settle: () => Promise<void>): Promise<void> {
    const target = this.ms + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.live && t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      due.live = false;
      this.ms = Math.max(this.ms, due.at);
      due.fn();
      await settle();
    }
    this.timers = this.timers.filter((t) => t.live);
    this.ms = target;
    await settle();
  }

  /** Advances in `stepMs` steps until `done()` or `maxMs` has passed; returns the time spent. */
  async runUntil(done: () => boolean, settle: () => Promise<void>, maxMs: number, stepMs = 1000): Promise<number> {
    const start = this.ms;
    await settle();
    while (!done()) {
      if (this.ms - start >= maxMs) throw new Error(`FakeClock.runUntil: not done after ${maxMs} ms of fake time`);
      await this.advance(stepMs, settle);
    }
    return this.ms - start;
  }
}
