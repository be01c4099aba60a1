import { z } from 'zod';

// Durations in config: seconds as a number, or text with a unit. Parsed to milliseconds.

/** A duration: a number of seconds, or text such as "90s", "5m", "1h", "7d", "250ms". */
export const Duration = z
  .union([z.number().nonnegative(), z.string().regex(/^\d+(\.\d+)?\s*(ms|s|m|min|h|d)$/, 'a duration such as 30s, 5m, 1h or 7d')], {
    error: 'a duration: seconds as a number, or text such as 30s, 5m, 1h, 7d',
  })
  .transform((v) => durationMs(v))
  .describe('a duration: seconds as a number, or 250ms, 30s, 5m, 1h, 7d');

export function durationMs(v: number | string): number {
  if (typeof v === 'number') return Math.round(v * 1000);
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)$/.exec(v.trim());
  if (!m) throw new Error(`not a duration: ${v}`);
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms'];
  return Math.round(n * unit);
}

