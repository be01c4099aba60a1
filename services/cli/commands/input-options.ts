// Options shared by every command that reads inputs (parse, replay).
import { UsageError } from '../../lib/errors.js';
import type { ReadOptions } from '../../collectors/file-input.js';

export const inputOptions = {
  input: { type: 'string', multiple: true },
  year: { type: 'string' },
  date: { type: 'string' },
} as const;

export function readOptionsFrom(values: { year?: string; date?: string }, usage: string): ReadOptions {
  const opts: ReadOptions = {};
  if (values.year !== undefined) {
    if (!/^\d{4}$/.test(values.year)) throw new UsageError(`--year takes a four-digit year (got "${values.year}")\n\n${usage}`);
    opts.year = Number(values.year);
  }
  if (values.date !== undefined) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(values.date) || Number.isNaN(Date.parse(`${values.date}T00:00:00Z`))) {
      throw new UsageError(`--date takes YYYY-MM-DD (got "${values.date}")\n\n${usage}`);
    }
    opts.date = values.date;
  }
  return opts;
}
