// The dead-letter file of `tripline run`: every record that failed to parse, as one
// JSON line with its source, position, error code and (capped) text. Bounded on disk:
// past `maxBytes` the file is rotated once to `.1`, so the newest failures are kept.
import { appendFileSync, renameSync, statSync } from 'node:fs';
import type { ParseError } from '../../parsers/types.js';
import type { Metrics } from '../../lib/metrics.js';

export class DeadLetters {
  private bytes: number;

  constructor(
    private readonly path: string,
    private readonly metrics: Metrics,
    private readonly maxBytes = 16 * 1024 * 1024,
  ) {
    try {
      this.bytes = statSync(path).size;
    } catch {
      this.bytes = 0;
    }
  }

  write(source: string, error: ParseError): void {
    const line = `${JSON.stringify({ source, ...error })}\n`;
    try {
      if (this.bytes + line.length > this.maxBytes) {
        renameSync(this.path, `${this.path}.1`);
        this.bytes = 0;
      }
      appendFileSync(this.path, line);
      this.bytes += line.length;
      this.metrics.deadLetters.inc({ source });
    } catch {
      // A dead letter that cannot be written is still counted by parseFailures; the
      // detector must not stop because its side file is unwritable.
    }
  }
}
