// Buffered line output for the CLI. Writes are batched (one write per ~64 KB) because a
// replay can print hundreds of thousands of lines; a closed pipe (`| head`) ends the
// output quietly instead of crashing.
import type { Writable } from 'node:stream';

export class LineWriter {
  private buf: string[] = [];
  private size = 0;
  private closed = false;

  constructor(private readonly out: Writable) {
    out.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') this.closed = true;
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  async line(text: string): Promise<void> {
    if (this.closed) return;
    this.buf.push(text);
    this.size += text.length + 1;
    if (this.size >= 64 * 1024) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.buf.length === 0 || this.closed) return;
    const data = `${this.buf.join('\n')}\n`;
    this.buf = [];
    this.size = 0;
    if (!this.out.write(data)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.out.off('drain', done);
          this.out.off('error', done);
          this.out.off('close', done);
          resolve();
        };
        this.out.once('drain', done);
        this.out.once('error', done);
        this.out.once('close', done);
      });
    }
  }
}

/**
 * Makes log-derived text safe for a terminal: control characters (ANSI escapes, NUL,
 * carriage returns) are shown as \xNN so a crafted username cannot rewrite the screen.
 */
export function terminalSafe(text: string, max = 200): string {
  // eslint-disable-next-line no-control-regex
  const safe = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return safe.length > max ? `${safe.slice(0, max - 1)}…` : safe;
}

/** Progress on stderr for long runs: at most one line every `everyMs` of wall time. */
export class Progress {
  private last: number;
  private readonly start: number;
  private shown = false;

  constructor(
    private readonly err: Writable & { isTTY?: boolean },
    private readonly now: () => number,
    private readonly startAfterMs = 2000,
    private readonly everyMs = 1000,
  ) {
    this.last = now();
    this.start = this.last;
  }

  tick(describe: () => string): void {
    const t = this.now();
    if (t - this.start < this.startAfterMs || t - this.last < this.everyMs) return;
    this.last = t;
    this.shown = true;
    this.err.write(this.err.isTTY ? `\r\u001b[K${describe()}` : `${describe()}\n`);
  }

  done(): void {
    if (this.shown && this.err.isTTY) this.err.write('\n');
  }
}
