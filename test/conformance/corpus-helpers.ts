// Reads files of the shared third-party corpus (../shared/corpus beside the project)
// through the same reader `tripline parse` uses.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InputKind, SecurityEvent } from '../../schemas/event.js';
import { openInput, readInput, type ParsedRecord } from '../../services/collectors/file-input.js';
import type { ParseError } from '../../services/parsers/types.js';

export const CORPUS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/corpus');
export const corpusPresent = existsSync(CORPUS);

export function corpusFile(rel: string): string {
  return join(CORPUS, rel);
}

export function corpusDir(rel: string): string[] {
  return readdirSync(join(CORPUS, rel))
    .sort()
    .map((f) => join(CORPUS, rel, f));
}

export interface ParsedFile {
  events: SecurityEvent[];
  errors: ParseError[];
  records: ParsedRecord[];
}

export async function parseFile(kind: InputKind, path: string, year?: number): Promise<ParsedFile> {
  const spec = { kind, path };
  const out: ParsedFile = { events: [], errors: [], records: [] };
  for await (const batch of readInput(spec, await openInput(spec), { year })) {
    for (const r of batch) {
      out.records.push(r);
      if (r.result.ok) out.events.push(r.result.event);
      else out.errors.push(r.result.error);
    }
  }
  return out;
}

export function countBy<T>(items: T[], key: (t: T) => string | null | undefined): Map<string, number> {
  const m = new Map<string, number>();
  for (const it of items) {
    const k = key(it);
    if (k !== null && k !== undefined) m.set(k, (m.get(k) ?? 0) + 1);
  }
  return new Map([...m].sort((a, b) => b[1] - a[1]));
}
