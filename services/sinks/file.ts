// file sink: appends one Alert JSON per line to a file. Exactly once across crashes:
// the file is its own delivered-id log, read back at start (alreadyDelivered), so an
// alert written just before a kill -9 is not written again after the restart.
import { appendFile, readFile } from 'node:fs/promises';
import type { Alert } from '../../schemas/alert.js';
import { formatStdout } from './stdout.js';
import type { SendResult, Sink } from './types.js';

export class FileSink implements Sink {
  readonly name = 'file';
  /**
   * issue 9 (hardening): ids the file holds (read at start by alreadyDelivered, then each
   * one written). Marking the outbox rows pending at start was not enough: when the state
   * itself is lost (a damaged state.db moved aside, or deleted), positions are gone, the
   * sources are read again and the old alerts come back as NEW outbox rows after start;
   * the file then got every one of them a second time. Now send() skips ids it holds.
   */
  private readonly written = new Set<string>();

  constructor(private readonly path: string) {}

  async send(alerts: Alert[]): Promise<SendResult> {
    const fresh = alerts.filter((a) => !this.written.has(a.id));
    if (fresh.length === 0) return { ok: true };
    try {
      await appendFile(this.path, fresh.map(formatStdout).join(''));
      for (const a of fresh) this.written.add(a.id);
      return { ok: true };
    } catch (e) {
      return { ok: false, failure: { code: 'TRIP_SINK_FILE_IO', permanent: false, message: `cannot append to ${this.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` } };
    }
  }

  async alreadyDelivered(): Promise<Set<string>> {
    const ids = new Set<string>();
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch {
      return ids;
    }
    // A crash mid-write can leave a partial last line; end it so the next append
    // starts a line of its own.
    if (text.length > 0 && !text.endsWith('\n')) await appendFile(this.path, '\n');
    for (const line of text.split('\n')) {
      // A line cut by a crash mid-write is not a delivery; it is simply written again.
      if (!line.endsWith('}')) continue;
      try {
        const id = (JSON.parse(line) as { id?: unknown }).id;
        if (typeof id === 'string') {
          ids.add(id);
          this.written.add(id); // issue 9: see `written`
        }
      } catch {
        /* partial line */
      }
    }
    return ids;
  }
}
