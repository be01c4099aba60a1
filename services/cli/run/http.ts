// The operations endpoint of `tripline run` (default 127.0.0.1:9108): /metrics in
// Prometheus text format, /healthz (the process is alive and its loop turns), /readyz
// (sources opened and state loaded). Loopback by default: metrics name sources and
// rules, which is reconnaissance an attacker on the LAN should not get for free.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from '../../lib/metrics.js';
import { UsageError } from '../../lib/errors.js';

export interface Readiness {
  ready(): { ready: boolean; detail: Record<string, unknown> };
}

export function parseListenAddress(text: string): { host: string; port: number } {
  const i = text.lastIndexOf(':');
  const host = i > 0 ? text.slice(0, i).replace(/^\[|\]$/g, '') : '';
  const port = Number(text.slice(i + 1));
  if (i <= 0 || !host || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`listen address "${text}" must be HOST:PORT, e.g. 127.0.0.1:9108`);
  }
  return { host, port };
}

export async function startHttp(address: string, metrics: Metrics, readiness: Readiness): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const { host, port } = parseListenAddress(address);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
        (e: Error) => res.writeHead(500).end(e.message),
      );
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (path === '/readyz') {
      const r = readiness.ready();
      res.writeHead(r.ready ? 200 : 503, { 'content-type': 'application/json' }).end(`${JSON.stringify(r)}\n`);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics, /healthz or /readyz\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new UsageError(`cannot listen on ${address} for /metrics (${e.code ?? e.message}); set http.listen in the config or --http`, 'TRIP_HTTP_LISTEN')),
    );
    server.listen(port, host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
