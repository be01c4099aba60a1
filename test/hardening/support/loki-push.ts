// A minimal stand-in for Loki's push endpoint (POST /loki/api/v1/push, gzipped JSON) that
// can go away and come back on the same port: records each pushed line with the
// Authorization header it came with. (test/helpers/fake-loki.ts is the full fake; this
// one only needs to die and return.)
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export class LokiPushServer {
  readonly lines: string[] = [];
  readonly authorizations = new Set<string>();
  private server: Server | undefined;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.method !== 'POST' || req.url !== '/loki/api/v1/push') {
          res.writeHead(404).end();
          return;
        }
        this.authorizations.add(String(req.headers['authorization'] ?? ''));
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        const parsed = JSON.parse(body.toString('utf8')) as { streams: Array<{ values: Array<[string, string]> }> };
        for (const s of parsed.streams) for (const [, line] of s.values) this.lines.push(line);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** Alert ids pushed (each line is an alert's JSON). */
  ids(): string[] {
    return this.lines.map((l) => (JSON.parse(l) as { id: string }).id);
  }
}
