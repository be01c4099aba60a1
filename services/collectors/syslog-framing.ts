// Syslog over TCP: splits one connection's byte stream into messages (RFC 6587).
// Two framings exist and are told apart at the start of every frame, as rsyslog's imtcp
// does: a frame starting with a non-zero digit is octet-counted (`<len> <msg>`, len
// digits then one space); anything else (normally `<PRI>`) runs to the next LF
// (non-transparent framing). A frame that starts with digits but is not followed by a
// space (e.g. a template without PRI that starts with a year) is read as a line.
// Invariants: every byte belongs to one message or is a separator (LF/CR/NUL between
// frames); a message longer than maxBytes keeps its first maxBytes and is flagged
// `truncated` (the rest is skipped, never starting a new message); memory per
// connection is at most one capped message.
import { isUtf8 } from 'node:buffer';
import { LineSplitter } from './line-splitter.js';

export interface SyslogMessage {
  text: string;
  invalidUtf8: boolean;
  truncated: boolean;
}

/** More length digits than this is not octet counting (RFC 6587 lengths fit easily). */
const MAX_LEN_DIGITS = 9;

export class SyslogDeframer {
  private state: 'start' | 'count' | 'octets' | 'line' = 'start';
  private digits = '';
  private remaining = 0;
  private parts: Buffer[] = [];
  private kept = 0;
  private cut = false;
  private readonly lines: LineSplitter;

  constructor(private readonly maxBytes: number) {
    this.lines = new LineSplitter(0, 0, maxBytes);
  }

  push(chunk: Buffer): SyslogMessage[] {
    const out: SyslogMessage[] = [];
    let i = 0;
    while (i < chunk.length) {
      const c = chunk[i]!;
      switch (this.state) {
        case 'start':
          if (c === 0x0a || c === 0x0d || c === 0x00) {
            i += 1; // separators between frames
          } else if (c >= 0x31 && c <= 0x39) {
            this.state = 'count';
          } else {
            this.state = 'line';
          }
          break;
        case 'count':
          if (c >= 0x30 && c <= 0x39 && this.digits.length < MAX_LEN_DIGITS) {
            this.digits += String.fromCharCode(c);
            i += 1;
          } else if (c === 0x20 && this.digits.length > 0) {
            this.remaining = Number(this.digits);
            this.digits = '';
            this.state = 'octets';
            i += 1;
          } else {
            // Not a length after all: the digits begin a newline-framed message.
            this.lines.push(Buffer.from(this.digits, 'latin1'));
            this.digits = '';
            this.state = 'line';
          }
          break;
        case 'octets': {
          const take = Math.min(this.remaining, chunk.length - i);
          this.keep(chunk.subarray(i, i + take));
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) {
            out.push(this.octetMessage());
            this.state = 'start';
          }
          break;
        }
        case 'line': {
          const nl = chunk.indexOf(0x0a, i);
          const end = nl === -1 ? chunk.length : nl + 1;
          for (const line of this.lines.push(chunk.subarray(i, end))) {
            if (line.text !== '') out.push({ text: line.text, invalidUtf8: line.invalidUtf8, truncated: line.truncated });
          }
          i = end;
          if (nl !== -1) this.state = 'start';
          break;
        }
      }
    }
    return out;
  }

  /** The peer closed: a message cut short by the close is still a message (flagged if octet-counted). */
  end(): SyslogMessage[] {
    if (this.state === 'octets') {
      this.cut = true;
      return [this.octetMessage()];
    }
    if (this.state === 'count') this.lines.push(Buffer.from(this.digits, 'latin1'));
    return this.lines
      .end()
      .filter((l) => l.text !== '')
      .map((l) => ({ text: l.text, invalidUtf8: l.invalidUtf8, truncated: l.truncated }));
  }

  private keep(piece: Buffer): void {
    const room = this.maxBytes - this.kept;
    if (piece.length > room) this.cut = true;
    const use = piece.subarray(0, Math.max(0, room));
    if (use.length > 0) {
      this.parts.push(use);
      this.kept += use.length;
    }
  }

  private octetMessage(): SyslogMessage {
    let buf: Buffer = Buffer.concat(this.parts, this.kept);
    const truncated = this.cut;
    this.parts = [];
    this.kept = 0;
    this.cut = false;
    if (!truncated) buf = trimTrailingNewline(buf);
    return { text: buf.toString('utf8'), invalidUtf8: !truncated && !isUtf8(buf), truncated };
  }
}

/** One message per datagram: trailing LF/CRLF/NUL are framing, not content. */
export function datagramMessage(buf: Buffer, maxBytes: number): SyslogMessage {
  const truncated = buf.length > maxBytes;
  const body = truncated ? buf.subarray(0, maxBytes) : trimTrailingNewline(buf);
  return { text: body.toString('utf8'), invalidUtf8: !truncated && !isUtf8(body), truncated };
}

function trimTrailingNewline(buf: Buffer): Buffer {
  let end = buf.length;
  while (end > 0 && (buf[end - 1] === 0x0a || buf[end - 1] === 0x0d || buf[end - 1] === 0x00)) end -= 1;
  return buf.subarray(0, end);
}
