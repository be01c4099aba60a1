// file sink: appends one Alert JSON per line to a file. Exactly once across crashes:
// the file is its own delivered-id log, read back at start (alreadyDelivered), so an
// alert written just before a kill -9 is not written again after the restart.
import { appendFile, readFile } from 'node:fs/promises';
import type { Alert } from '../../schemas/alert.js';
import { formatStdout } from './stdout.js';
import type { SendResult, Sink } from './types.js';

export class FileSink implements Sink {
  readonly name = 'file';
  constructor(private readonly path: string) {}

  async send(alerts: Alert[]): Promise<SendResult> {
    try {
      await appendFile(this.path, alerts.map(formatStdout).join(''));
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
        if (typeof id === 'string') ids.add(id);
      } catch {
        /* partial line */
      }
    }
    return ids;
  }
}
