// A local HTTP server that answers as a Slack incoming webhook does (formats.md §6): 200
// "ok", 429 with Retry-After, 400 invalid_payload, 500 rollup_error, a reset connection, or
// nothing at all (stopped: connections are refused). It listens on 127.0.0.1, port 0, and
// records every request with the fake time it arrived at. Test URLs look like
// http://127.0.0.1:<port>/services/T000/B000/XXX.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Answer = { status: number; body: string; headers?: Record<string, string> } | 'reset';

export const OK: Answer = { status: 200, body: 'ok' };
export const INVALID: Answer = { status: 400, body: 'invalid_payload' };
export const ERROR_500: Answer = { status: 500, body: 'rollup_error' };
export const rateLimited = (seconds: number): Answer => ({ status: 429, body: 'rate_limited', headers: { 'retry-after': String(seconds) } });

export interface Received {
  atMs: number;
  path: string;
  body: unknown;
  answer: Answer;
}

export class SlackServer {
  readonly received: Received[] = [];
  /** Decides the answer to each request (default 200 ok). */
  answer: (n: number, body: unknown) => Answer = () => OK;
  private server: Server | undefined;
  port = 0;

  constructor(private readonly now: () => number) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/services/T000/B000/XXX`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening and drops open connections: clients now get ECONNREFUSED. */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** Bodies of requests answered 200, in arrival order. */
  delivered(): unknown[] {
    return this.received.filter((r) => r.answer !== 'reset' && r.answer.status === 200).map((r) => r.body);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = Buffer.concat(chunks).toString('utf8');
      }
      const answer = this.answer(this.received.length, body);
      this.received.push({ atMs: this.now(), path: req.url ?? '', body, answer });
      if (answer === 'reset') {
        req.socket.destroy();
        return;
      }
      res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
      res.end(answer.body);
    });
  }
}

/** Alert ids a Slack payload carries (tripline puts each in a code span: `Alert \`<id>\``). */
export function idsIn(payload: unknown): string[] {
  return [...JSON.stringify(payload).matchAll(/Alert `([0-9a-f]{24})`/g)].map((m) => m[1]!);
}
