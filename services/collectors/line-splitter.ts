// Splits a byte stream into lines. Invariants: every byte belongs to exactly one line
// (a final line without "\n" is still emitted); "\r\n" loses its "\r"; a line longer
// than MAX_LINE_BYTES keeps its first MAX_LINE_BYTES bytes and is flagged `truncated`
// (the rest is skipped, never carried into the next line); invalid UTF-8 is flagged,
// not thrown. Offsets are byte offsets of the line start, so a tailer can resume there.
import { isUtf8 } from 'node:buffer';
import { MAX_LINE_BYTES } from '../parsers/types.js';

export interface RawLine {
  text: string;
  /** 1-based line number within the stream. */
  lineNo: number;
  /** Byte offset of the line's first byte. */
  offset: number;
  /** Bytes the line occupied, including its newline. */
  bytes: number;
  invalidUtf8: boolean;
  truncated: boolean;
}

/**
 * Offered a complete, valid UTF-8 line in place: `chunk[from, end)` (without its "\n"),
 * its 1-based number and byte offset. True: the line is consumed. With `nextLine`, the
 * taker also finds where each line ends (where `chunk.indexOf(10, from)` would), e.g.
 * while it reads the line anyway.
 */
export type LineTaker = ((chunk: Buffer, from: number, end: number, lineNo: number, offset: number) => boolean) & {
  nextLine?: (chunk: Buffer, from: number) => number;
  /**
   * Takes a run of whole lines at once: the lines from `at.from` on, numbered from
   * `lineNo`, up to the one ending at the "\n" at `last`, none longer than `maxLen` bytes.
   * It takes as many as it likes from the front, in order, and moves `at.from` past them
   * and sets `at.lines` to how many (0: the line at `at.from` goes to the taker itself).
   */
  run?: (chunk: Buffer, at: LineRun, last: number, lineNo: number, maxLen: number) => void;
};

/** Where a LineTaker's run starts, and after it, where it ended and how many lines it took. */
export interface LineRun {
  from: number;
  lines: number;
}

export class LineSplitter {
  private parts: Buffer[] = [];
  private partBytes = 0;
  private dropping = false;
  private lineNo = 0;
  private lineStart: number;
  private pos: number;
  private readonly run: LineRun = { from: 0, lines: 0 };

  constructor(
    startOffset = 0,
    startLineNo = 0,
    private readonly maxLineBytes = MAX_LINE_BYTES,
  ) {
    this.lineStart = startOffset;
    this.pos = startOffset;
    this.lineNo = startLineNo;
  }

  /** Feeds a chunk; returns the lines it completed. */
  push(chunk: Buffer): RawLine[] {
    const out: RawLine[] = [];
    this.pushEach(chunk, null, (l) => out.push(l));
    return out;
  }

  /**
   * Feeds a chunk and hands each line it completes to `each`, in stream order. With
   * `take` (issue 8: the replay's in-place prefilter), every complete line of a valid
   * UTF-8 region is first offered to `take` as bytes (whole runs of them to `take.run`,
   * and a line cut by the chunk's start as one buffer of its own); a line it takes is
   * consumed without being decoded (it never reaches `each`).
   */
  pushEach(chunk: Buffer, take: LineTaker | null, each: (line: RawLine) => void): void {
    let from = 0;
    if (this.partBytes > 0 || this.dropping) {
      // Complete the held line first, so the rest of the chunk can take the fast path.
      const nl = chunk.indexOf(10);
      const end = nl === -1 ? chunk.length : nl;
      this.append(chunk.subarray(0, end));
      this.pos += end;
      if (nl === -1) return;
      this.pos += 1;
      if (take === null || !this.takeHeld(take)) each(this.finish());
      from = nl + 1;
    }
    from = this.wholeLines(chunk, from, take, each);
    while (from < chunk.length) {
      const nl = chunk.indexOf(10, from);
      const end = nl === -1 ? chunk.length : nl;
      this.append(chunk.subarray(from, end));
      this.pos += end - from;
      if (nl === -1) break;
      this.pos += 1;
      each(this.finish());
      from = nl + 1;
    }
  }

  /**
   * Fast path (issue 8), same lines as the general one: from `start` (no partial line
   * is held there), the chunk's complete lines are checked for UTF-8 once (a 0x0A byte never occurs
   * inside a multi-byte character, so every line of a valid region is valid) and each
   * is decoded straight from the chunk, without a Buffer view per line. Stops before a
   * line over the cap (the general path cuts it); returns where it stopped.
   */
  private wholeLines(chunk: Buffer, start: number, take: LineTaker | null, each: (line: RawLine) => void): number {
    const last = chunk.lastIndexOf(10);
    if (last < start || !isUtf8(chunk.subarray(start, last + 1))) return start;
    let from = start;
    const nextLine = take?.nextLine;
    const run = take?.run;
    const at = this.run;
    while (from <= last) {
      if (run !== undefined) {
        at.from = from;
        at.lines = 0;
        run(chunk, at, last, this.lineNo + 1, this.maxLineBytes);
        if (at.lines > 0) {
          // Every line of the run was taken whole: the same bookkeeping as one by one.
          this.pos += at.from - from;
          this.lineNo += at.lines;
          this.lineStart = this.pos;
          from = at.from;
          if (from > last) break;
        }
      }
      const nl = nextLine === undefined ? chunk.indexOf(10, from) : nextLine(chunk, from);
      if (nl - from > this.maxLineBytes) break;
      this.pos += nl + 1 - from;
      this.lineNo++;
      if (take === null || !take(chunk, from, nl, this.lineNo, this.lineStart)) {
        const end = nl > from && chunk[nl - 1] === 13 ? nl - 1 : nl;
        let text = chunk.toString('utf8', from, end);
        if (this.lineStart === 0 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        each({ text, lineNo: this.lineNo, offset: this.lineStart, bytes: this.pos - this.lineStart, invalidUtf8: false, truncated: false });
      }
      this.lineStart = this.pos;
      from = nl + 1;
    }
    return from;
  }

  /** Ends the stream: the pending partial line, if any, becomes a line. */
  end(): RawLine[] {
    return this.partBytes > 0 || this.dropping ? [this.finish()] : [];
  }

  /** Bytes held for an incomplete line (a tailer keeps them until the line completes). */
  get pendingBytes(): number {
    return this.pos - this.lineStart;
  }

  private append(piece: Buffer): void {
    if (piece.length === 0 || this.dropping) return;
    const room = this.maxLineBytes - this.partBytes;
    if (piece.length > room) {
      if (room > 0) this.parts.push(piece.subarray(0, room));
      this.partBytes = this.maxLineBytes;
      this.dropping = true;
      return;
    }
    this.parts.push(piece);
    this.partBytes += piece.length;
  }

  /**
   * Offers the held line, now complete, to `take` as one buffer (a line cut by a chunk
   * boundary is taken like any other: one per chunk read); true when taken.
   */
  private takeHeld(take: LineTaker): boolean {
    if (this.dropping) return false;
    const buf = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.partBytes);
    if (!isUtf8(buf) || !take(buf, 0, buf.length, this.lineNo + 1, this.lineStart)) return false;
    this.lineNo++;
    this.parts = [];
    this.partBytes = 0;
    this.lineStart = this.pos;
    return true;
  }

  private finish(): RawLine {
    let buf = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.partBytes);
    if (buf.length > 0 && buf[buf.length - 1] === 13) buf = buf.subarray(0, buf.length - 1);
    const truncated = this.dropping;
    // A cut can split a multi-byte character; that is the cap's doing, not bad input.
    const invalidUtf8 = !truncated && !isUtf8(buf);
    let text = buf.toString('utf8');
    // A UTF-8 byte-order mark at the start of a file is encoding noise, not content.
    if (this.lineStart === 0 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const line: RawLine = {
      text,
      lineNo: ++this.lineNo,
      offset: this.lineStart,
      bytes: this.pos - this.lineStart,
      invalidUtf8,
      truncated,
    };
    this.parts = [];
    this.partBytes = 0;
    this.dropping = false;
    this.lineStart = this.pos;
    return line;
  }
}
