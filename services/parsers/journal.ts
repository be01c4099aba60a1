// journald parser: one `journalctl -o json` entry per line (or a `-o json-pretty`
// entry the reader joined into one line) → SecurityEvent; MESSAGE goes to the program
// sub-parser registry. Format: https://systemd.io/JOURNAL_EXPORT_FORMATS/ and
// https://www.freedesktop.org/software/systemd/man/latest/systemd.journal-fields.html
//
// Invariants:
// - Values are strings, except: an array of numbers is a binary (non-UTF-8 or
//   control-char) value, decoded here as UTF-8 with U+FFFD for bad bytes; an array of
//   values is a field the client sent several times, and the FIRST value is used (what
//   sd_journal_get_data returns); null is a value over 4096 bytes printed without
//   --all, read as absent. Nested byte arrays inside a repeated field are decoded to
//   strings in `raw` so it matches the JournalEntry schema.
// - Time: __REALTIME_TIMESTAMP (epoch µs, a string: never a JS number), else
//   _SOURCE_REALTIME_TIMESTAMP; neither → TIMESTAMP error.
// - id = `journal:<__CURSOR>` (opaque, never parsed) or a hash of the line.
// - bootId = _BOOT_ID, also written into a boot facet a sub-parser returns.
// - Program: _TRANSPORT=kernel → kernel; else SYSLOG_IDENTIFIER ?? _COMM. Note that
//   SYSLOG_IDENTIFIER is client-set (any local process can claim to be sshd), as a
//   syslog TAG is; `_`-prefixed fields are set by journald.
// - Pure: no I/O, no clock, no throw.
import type { SecurityEvent } from '../../schemas/event.js';
import type { JournalEntry } from '../../schemas/sources/journal.js';
import { ParseErrorCode } from '../lib/errors.js';
import { fromEpochMicros } from '../lib/time.js';
import { baseEvent, fail, lineId, parseJsonObject, precheck } from './common.js';
import { applyProgramFacts, parseProgramMessage } from './programs/index.js';
import type { Parser } from './types.js';

const utf8 = new TextDecoder('utf-8', { fatal: false });

function isBytes(v: unknown): v is number[] {
  return Array.isArray(v) && v.length > 0 && v.every((b) => Number.isInteger(b) && b >= 0 && b <= 255);
}

function decode(bytes: number[]): string {
  return utf8.decode(Uint8Array.from(bytes));
}

/** Checks every value's shape and decodes nested byte arrays; returns an error text or null. */
function normalize(entry: Record<string, unknown>): string | null {
  for (const [key, v] of Object.entries(entry)) {
    if (v === null || typeof v === 'string' || isBytes(v)) continue;
    if (!Array.isArray(v)) return `field ${key.slice(0, 64)} is a ${typeof v}, not a string`;
    const items: Array<string | number> = [];
    for (const item of v) {
      // issue 9: JSON like 1e999 parses to Infinity, which no JournalEntry number may be
      // (the event failed its own schema); only finite numbers are values.
      if (typeof item === 'string' || (typeof item === 'number' && Number.isFinite(item))) items.push(item);
      else if (isBytes(item)) items.push(decode(item));
      else return `field ${key.slice(0, 64)} holds a value that is neither text nor bytes`;
    }
    entry[key] = items;
  }
  return null;
}

/** A field as text: strings as is, bytes decoded, repeated fields → first value, null/absent → null. */
function field(entry: JournalEntry, key: string): string | null {
  if (!Object.hasOwn(entry, key)) return null;
  const v = entry[key];
  if (typeof v === 'string') return v;
  if (isBytes(v)) return decode(v);
  if (Array.isArray(v)) {
    const first = v[0];
    return typeof first === 'string' ? first : null;
  }
  return null;
}

function pidOf(text: string | null): number | null {
  return text !== null && /^\d{1,10}$/.test(text) ? Number(text) : null;
}

export const parseJournal: Parser = (line, ctx) => {
  const bad = precheck(line, ctx);
  if (bad) return bad;
  const parsed = parseJsonObject(line, ctx);
  if (!parsed.ok) return parsed.result;
  const problem = normalize(parsed.value);
  if (problem) return fail(ctx, ParseErrorCode.SHAPE, `not a journal entry: ${problem}`, line);
  const entry = parsed.value as JournalEntry;

  const realtime = field(entry, '__REALTIME_TIMESTAMP');
  const source = field(entry, '_SOURCE_REALTIME_TIMESTAMP');
  const time = (realtime !== null ? fromEpochMicros(realtime) : null) ?? (source !== null ? fromEpochMicros(source) : null);
  if (!time) return fail(ctx, ParseErrorCode.TIMESTAMP, 'entry has no usable __REALTIME_TIMESTAMP or _SOURCE_REALTIME_TIMESTAMP', line);

  const cursor = field(entry, '__CURSOR');
  const id = cursor ? `journal:${cursor}` : lineId('journal', line);
  let event: SecurityEvent = baseEvent(ctx, id, time, 'other', { format: 'journal', entry });
  event.host = field(entry, '_HOSTNAME') ?? ctx.defaultHost ?? null;
  const bootId = field(entry, '_BOOT_ID');
  if (bootId !== null) event.bootId = bootId;

  const program = field(entry, '_TRANSPORT') === 'kernel' ? 'kernel' : (field(entry, 'SYSLOG_IDENTIFIER') ?? field(entry, '_COMM'));
  if (program !== null) {
    const pid = pidOf(field(entry, '_PID')) ?? pidOf(field(entry, 'SYSLOG_PID'));
    const facts = parseProgramMessage({ program, pid, message: field(entry, 'MESSAGE') ?? '' });
    if (facts.boot) facts.boot = { ...facts.boot, bootId: facts.boot.bootId ?? bootId };
    event = applyProgramFacts(event, facts);
  }
  return { ok: true, event };
};
