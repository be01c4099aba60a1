import { z } from 'zod';

// One `journalctl -o json` entry. All values are strings, except arrays of numbers
// (binary or non-UTF-8 data), arrays of values (a repeated field), or null (a field
// over 4096 bytes without --all). https://systemd.io/JOURNAL_EXPORT_FORMATS/

export const JournalValue = z.union([z.string(), z.array(z.union([z.string(), z.number()])), z.null()]);

export const JournalEntry = z
  .record(z.string(), JournalValue)
  .describe('A journald entry as printed by journalctl -o json');
export type JournalEntry = z.infer<typeof JournalEntry>;
