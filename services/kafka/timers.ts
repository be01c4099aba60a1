// The timer the Kafka roles' reconnect logic waits on. Injected so tests drive it with a
// fake clock (test/helpers/fake-clock.ts has the same shape) instead of sleeping.
export interface Timers {
  setTimer(fn: () => void, ms: number): { cancel(): void };
}

export const realTimers: Timers = {
  setTimer(fn, ms) {
    const t = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(t) };
  },
};

/** A sleep on `timers` (for retry loops that await their backoff). */
export function sleepOn(timers: Timers, ms: number): Promise<void> {
  return new Promise((resolve) => void timers.setTimer(resolve, ms));
}
