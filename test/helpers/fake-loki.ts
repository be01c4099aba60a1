// A small in-memory stand-in for the Loki HTTP API, for unit tests of edge cases a
// real Loki cannot be made to produce on demand (forced tail disconnects, dropped
// entries, 503/429 answers, a tie order that changes between queries). The
// integration tests run against the real Loki binary (test/integration/loki-server.ts).
//
// Semantics kept from Loki (formats.md §5): query_range start inclusive, end
// exclusive, direction forward, the first `limit` entries in time order across streams,
// limit capped (400 above maxLimit); push de-duplicates (stream, ts, line); the tail
// websocket backfills up to `limit` entries with ts >= start, then sends new pushes.
// Selectors: only `{name="value", ...}` equality matchers.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { gunzipSync } from 'node:zlib';

export interface FakeEntry {
  labels: Record<string, string>;
  ts: bigint;
  line: string;
  seq: number;
}

interface TailClient {
  socket: Duplex;
  matchers: Record<string, string>;
}

export interface FakeLokiOptions {
  maxLimit?: number;
  /** Order of entries sharing one ts: 'insertion' (default) or 'shuffle' (differs per query). */
  tieOrder?: 'insertion' | 'shuffle';
  /**
   * Loki 3's label forms: every entry gets structured metadata detected_level="unknown";
   * query_range with categorize-labels answers it as a third value element, the tail
   * sends live entries with the bare stream labels and its backfill with them merged.
   */
  loki3Labels?: boolean;
}

export class FakeLoki {
  readonly entries: FakeEntry[] = [];
  readonly requests: Array<{ method: string; url: string; headers: IncomingMessage['headers'] }> = [];
  readonly queries: Array<{ start: string; end: string; limit: number }> = [];
  /** Status codes to answer the next requests with (then normal service). */
  readonly failures: Array<{ status: number; retryAfter?: string; body?: string }> = [];
  private tails = new Set<TailClient>();
  private server: Server;
  private seq = 0;
  private rngState = 12345;
  url = '';

  constructor(private readonly o: FakeLokiOptions = {}) {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('upgrade', (req, socket) => this.upgrade(req, socket));
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const t of this.tails) t.socket.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  get tailCount(): number {
    return this.tails.size;
  }

  /** Adds entries as a push would, notifying tails; returns how many were new. */
  add(labels: Record<string, string>, values: Array<[bigint | string, string]>, notify = true): number {
    const fresh: FakeEntry[] = [];
    for (const [ts, line] of values) {
      const t = BigInt(ts);
      if (this.entries.some((e) => e.ts === t && e.line === line && sameLabels(e.labels, labels))) continue;
      const e = { labels, ts: t, line, seq: this.seq++ };
      this.entries.push(e);
      fresh.push(e);
    }
    if (notify) for (const t of this.tails) if (matches(labels, t.matchers) && fresh.length > 0) send(t.socket, JSON.stringify({ streams: toStreams(fresh) }));
    return fresh.length;
  }

  /** Closes every tail socket (as Loki does after tail_max_duration or a restart). */
  closeTails(code = 1000): void {
    for (const t of this.tails) {
      closeFrame(t.socket, code);
      t.socket.end();
    }
    this.tails.clear();
  }

  /** Sends dropped_entries to every tail (as Loki does when the client is slow). */
  sendDropped(entries: FakeEntry[]): void {
    const msg = { streams: [], dropped_entries: entries.map((e) => ({ labels: e.labels, timestamp: String(e.ts) })) };
    for (const t of this.tails) send(t.socket, JSON.stringify(msg));
  }

  private random(): number {
    this.rngState = (this.rngState * 1103515245 + 12345) & 0x7fffffff;
    return this.rngState / 0x7fffffff;
  }

  private select(query: string, start: bigint, end: bigint): FakeEntry[] {
    const m = parseSelector(query);
    const got = this.entries.filter((e) => e.ts >= start && e.ts < end && matches(e.labels, m));
    const key = new Map(got.map((e) => [e, this.o.tieOrder === 'shuffle' ? this.random() : e.seq]));
    return got.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : key.get(a)! - key.get(b)!));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const fail = this.failures.shift();
    if (fail) {
      res.writeHead(fail.status, fail.retryAfter ? { 'retry-after': fail.retryAfter } : {});
      res.end(fail.body ?? `fake failure ${fail.status}`);
      return;
    }
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname === '/ready') {
      res.end('ready\n');
    } else if (u.pathname === '/loki/api/v1/push' && req.method === 'POST') {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const parsed = JSON.parse(body.toString()) as { streams: Array<{ stream: Record<string, string>; values: Array<[string, string]> }> };
      for (const s of parsed.streams) this.add(s.stream, s.values);
      res.writeHead(204).end();
    } else if (u.pathname === '/loki/api/v1/query_range') {
      const limit = Number(u.searchParams.get('limit') ?? 100);
      const max = this.o.maxLimit ?? 5000;
      if (limit > max) {
        res.writeHead(400).end(`max entries limit per query exceeded, limit > max_entries_limit_per_query (${limit} > ${max})`);
        return;
      }
      if (u.searchParams.get('direction') !== 'forward') {
        res.writeHead(400).end('the fake only pages forward');
        return;
      }
      const start = u.searchParams.get('start')!;
      const end = u.searchParams.get('end')!;
      this.queries.push({ start, end, limit });
      const page = this.select(u.searchParams.get('query')!, BigInt(start), BigInt(end)).slice(0, limit);
      const categorized = req.headers['x-loki-response-encoding-flags'] === 'categorize-labels';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'success', data: { resultType: 'streams', result: toStreams(page, this.o.loki3Labels ? (categorized ? 'categorized' : 'merged') : 'plain') } }));
    } else {
      res.writeHead(404).end('not found');
    }
  }

  private upgrade(req: IncomingMessage, socket: Duplex): void {
    this.requests.push({ method: 'WS', url: req.url ?? '', headers: req.headers });
    const u = new URL(req.url ?? '/', 'http://x');
    const key = req.headers['sec-websocket-key'];
    if (u.pathname !== '/loki/api/v1/tail' || typeof key !== 'string') {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    const query = u.searchParams.get('query') ?? '{}';
    const client: TailClient = { socket, matchers: parseSelector(query) };
    this.tails.add(client);
    socket.on('data', (d: Buffer) => {
      if ((d[0]! & 0x0f) === 0x8) {
        closeFrame(socket, 1000);
        socket.end();
      }
    });
    socket.on('close', () => this.tails.delete(client));
    socket.on('error', () => this.tails.delete(client));
    // Backfill: the newest `limit` entries with ts >= start, oldest first.
    const start = BigInt(u.searchParams.get('start') ?? '0');
    const limit = Number(u.searchParams.get('limit') ?? 100);
    const back = this.select(query, start, 1n << 80n).slice(-limit);
    if (back.length > 0) send(socket, JSON.stringify({ streams: toStreams(back, this.o.loki3Labels ? 'merged' : 'plain') }));
  }
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

function matches(labels: Record<string, string>, m: Record<string, string>): boolean {
  return Object.entries(m).every(([k, v]) => labels[k] === v);
}

function parseSelector(q: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of q.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"/g)) out[m[1]!] = JSON.parse(`"${m[2]}"`) as string;
  return out;
}

type Value = [string, string] | [string, string, { structuredMetadata: Record<string, string> }];

/** Groups entries into streams; `form` says how structured metadata (detected_level) shows. */
function toStreams(entries: FakeEntry[], form: 'plain' | 'categorized' | 'merged' = 'plain'): Array<{ stream: Record<string, string>; values: Value[] }> {
  const by = new Map<string, { stream: Record<string, string>; values: Value[] }>();
  for (const e of entries) {
    const stream = form === 'merged' ? { ...e.labels, detected_level: 'unknown' } : e.labels;
    const k = JSON.stringify(Object.entries(stream).sort());
    let s = by.get(k);
    if (!s) by.set(k, (s = { stream, values: [] }));
    s.values.push(form === 'categorized' ? [String(e.ts), e.line, { structuredMetadata: { detected_level: 'unknown' } }] : [String(e.ts), e.line]);
  }
  return [...by.values()];
}

function frame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, len]) : len < 65536 ? Buffer.from([0x80 | opcode, 126, len >> 8, len & 0xff]) : Buffer.concat([Buffer.from([0x80 | opcode, 127]), bigLen(len)]);
  return Buffer.concat([head, payload]);
}

function bigLen(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

function send(socket: Duplex, text: string): void {
  if (!socket.destroyed) socket.write(frame(0x1, Buffer.from(text)));
}

function closeFrame(socket: Duplex, code: number): void {
  const p = Buffer.alloc(2);
  p.writeUInt16BE(code);
  if (!socket.destroyed) socket.write(frame(0x8, p));
}
