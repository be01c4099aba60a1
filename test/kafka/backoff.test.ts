// The reconnect backoff of the Kafka roles (services/kafka/backoff.ts): bounded,
// exponential, reset after a success, deterministic given its random source.
import { describe, expect, it } from 'vitest';
import { Backoff } from '../../services/kafka/backoff.js';

const delays = (b: Backoff, n: number) => Array.from({ length: n }, () => b.next());

describe('Backoff', () => {
  it('doubles from initialMs up to maxMs and stays there (no jitter at random = 0.5)', () => {
    const b = new Backoff({ initialMs: 500, maxMs: 10_000, random: () => 0.5 });
    expect(delays(b, 9)).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000, 10_000]);
    expect(b.attempts).toBe(9);
  });

  it('reset() starts the next outage from initialMs again', () => {
    const b = new Backoff({ initialMs: 500, maxMs: 10_000, random: () => 0.5 });
    delays(b, 5);
    b.reset();
    expect(b.attempts).toBe(0);
    expect(delays(b, 2)).toEqual([500, 1000]);
  });

  it('jitter spreads a step by ± its fraction but never leaves [initialMs·(1 − jitter), maxMs]', () => {
    for (const r of [0, 0.25, 0.75, 0.999999]) {
      const b = new Backoff({ initialMs: 500, maxMs: 10_000, jitter: 0.2, random: () => r });
      for (const d of delays(b, 40)) {
        expect(d).toBeGreaterThanOrEqual(400);
        expect(d).toBeLessThanOrEqual(10_000);
      }
    }
    expect(new Backoff({ initialMs: 1000, maxMs: 60_000, jitter: 0.2, random: () => 0 }).next()).toBe(800);
    expect(new Backoff({ initialMs: 1000, maxMs: 60_000, jitter: 0.2, random: () => 1 }).next()).toBe(1200);
  });

  it('an outage of any length: thousands of attempts never overflow past maxMs', () => {
    const b = new Backoff({ initialMs: 500, maxMs: 10_000, random: () => 0.5 });
    const all = delays(b, 5000);
    expect(all.every((d) => Number.isFinite(d) && d <= 10_000)).toBe(true);
    expect(all.at(-1)).toBe(10_000);
  });

  it('refuses bounds that make no sense', () => {
    expect(() => new Backoff({ initialMs: 0 })).toThrow(RangeError);
    expect(() => new Backoff({ initialMs: 1000, maxMs: 500 })).toThrow(RangeError);
    expect(() => new Backoff({ factor: 0.5 })).toThrow(RangeError);
    expect(() => new Backoff({ jitter: 1 })).toThrow(RangeError);
  });
});
