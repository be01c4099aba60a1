// Syslog listener: receives syslog messages (e.g. Snort's alert_syslog forwarded by
// rsyslog) on UDP (one message per datagram) and/or TCP (octet-counted or newline
// framing, RFC 6587, told apart per frame: syslog-framing.ts). Message formats:
// RFC 3164 / RFC 5424, parsed downstream; the host comes from the syslog header, so
// records carry no defaultHost.
// Position: `{ received: n }`, the number of messages delivered so far (continued across
// restarts). Syslog has no replay: a message is delivered once, when it arrives, and
// "resuming exactly" means only that nothing is processed twice after a restart.
// Messages in flight during a crash (in the socket buffers, in this queue, or in an
// onBatch that had not committed) are lost unless the sender queues and retransmits:
// use rsyslog's omrelp, or a disk-assisted action queue with TCP. The runner's guarantee
// covers what was received and committed.
// Invariants: messages are handed on in arrival order, one batch at a time, awaited;
// while a batch is out, arrivals queue up to maxQueuedBytes: TCP connections are paused
// past half of it (TCP backpressure reaches the sender), UDP datagrams beyond it are
// dropped and counted; messages over maxMessageBytes are truncated and counted.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIPv6, type Server, type Socket } from 'node:net';
import type { InputKind } from '../../schemas/event.js';
import { TriplineError, UsageError } from '../lib/errors.js';
import { datagramMessage, SyslogDeframer, type SyslogMessage } from './syslog-framing.js';
import { realTimers, type Timers } from './timers.js';
import type { CollectedBatch, CollectedRecord, Collector, CollectorStatus, SourcePosition } from './types.js';

export interface SyslogListenerOptions {
  name: string;
  /** The input kind of the messages. Default 'syslog'. */
  kind?: InputKind;
  /** 'host:port' (IPv6 as '[::1]:514'); port 0 picks a free port (see boundAddresses()). */
  udp?: string;
  tcp?: string;
  /** Longer messages are truncated and counted. Default 65536. */
  maxMessageBytes?: number;
  /** Messages held while the runner is busy. Default 8 MiB. */
  maxQueuedBytes?: number;
  /** Messages per batch. Default 1000. */
  maxBatch?: number;
  /** Concurrent TCP connections. Default 256. */
  maxConnections?: number;
  /** Wait before handing a failed batch on again. Default 1000. */
  retryMs?: number;
  timers?: Timers;
}

export interface BoundAddress {
  address: string;
  port: number;
}

interface Queued {
  msg: SyslogMessage;
  from: string;
  bytes: number;
}

export class SyslogListenerCollector implements Collector {
  readonly name: string;
  readonly kind: InputKind;
  private readonly udpAt: { host: string; port: number } | undefined;
  private readonly tcpAt: { host: string; port: number } | undefined;
  private readonly maxMessageBytes: number;
  private readonly maxQueuedBytes: number;
  private readonly maxBatch: number;
  private readonly maxConnections: number;
  private readonly retryMs: number;
  private readonly timers: Timers;

  private onBatch: ((b: CollectedBatch) => Promise<void>) | undefined;
  private udp: UdpSocket | undefined;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private queue: Queued[] = [];
  private queuedBytes = 0;
  private paused = false;
  private pumping: Promise<void> | undefined;
  private stopping = false;
  private received = 0;
  private truncatedCount = 0;
  private droppedCount = 0;
  private lastError: string | undefined;
  private wakeRetry: (() => void) | undefined;

  constructor(opts: SyslogListenerOptions) {
    this.name = opts.name;
    this.kind = opts.kind ?? 'syslog';
    if (!opts.udp && !opts.tcp) throw new UsageError(`syslog source "${opts.name}": give a udp or tcp address (host:port), or both`);
    this.udpAt = opts.udp ? parseHostPort(opts.name, opts.udp) : undefined;
    this.tcpAt = opts.tcp ? parseHostPort(opts.name, opts.tcp) : undefined;
    this.maxMessageBytes = opts.maxMessageBytes ?? 65536;
    this.maxQueuedBytes = opts.maxQueuedBytes ?? 8 * 1024 * 1024;
    this.maxBatch = opts.maxBatch ?? 1000;
    this.maxConnections = opts.maxConnections ?? 256;
    this.retryMs = opts.retryMs ?? 1000;
    this.timers = opts.timers ?? realTimers;
    if (!(this.maxMessageBytes > 0)) throw new UsageError(`syslog source "${opts.name}": maxMessageBytes must be positive`);
  }

  /** Resolves once every configured address is bound; rejects (and binds nothing) otherwise. */
  async start(from: SourcePosition | undefined, onBatch: (batch: CollectedBatch) => Promise<void>): Promise<void> {
    if (this.onBatch) throw new Error(`syslog source "${this.name}": start() called twice`);
    const saved = from?.['received'];
    if (from !== undefined && !(Number.isSafeInteger(saved) && (saved as number) >= 0)) {
      throw new TriplineError('TRIP_COLLECTOR_POSITION', `syslog source "${this.name}": saved position has no "received" count; delete the source's saved position to start over`);
    }
    this.received = (saved as number | undefined) ?? 0;
    this.onBatch = onBatch;
    try {
      if (this.udpAt) await this.bindUdp(this.udpAt);
      if (this.tcpAt) await this.bindTcp(this.tcpAt);
    } catch (e) {
      await this.closeListeners();
      const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      throw new TriplineError('TRIP_COLLECTOR_BIND', `syslog source "${this.name}": cannot listen (${code}); is the address in use or not local?`);
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeRetry?.();
    await this.closeListeners();
    await this.pumping;
    // Received but not handed on: lost (see the header), and counted.
    this.droppedCount += this.queue.length;
    this.queue = [];
    this.queuedBytes = 0;
  }

  /** The addresses actually bound (the port chosen when 0 was configured). */
  boundAddresses(): { udp?: BoundAddress; tcp?: BoundAddress } {
    const out: { udp?: BoundAddress; tcp?: BoundAddress } = {};
    if (this.udp) {
      const a = this.udp.address();
      out.udp = { address: a.address, port: a.port };
    }
    const t = this.server?.address();
    if (t && typeof t === 'object') out.tcp = { address: t.address, port: t.port };
    return out;
  }

  status(): CollectorStatus {
    const b = this.boundAddresses();
    const on = [b.udp && `udp ${fmt(b.udp)}`, b.tcp && `tcp ${fmt(b.tcp)} (${this.sockets.size} connections)`].filter(Boolean);
    let detail = on.length > 0 ? `listening on ${on.join(', ')}` : 'not listening';
    detail += `; received ${this.received}, queued ${this.queuedBytes} bytes, truncated ${this.truncatedCount}, dropped ${this.droppedCount}`;
    if (this.lastError) detail += `; error: ${this.lastError}`;
    return { opened: on.length > 0 && !this.stopping, detail, truncated: this.truncatedCount + this.droppedCount };
  }

  private bindUdp(at: { host: string; port: number }): Promise<void> {
    const sock = createSocket(isIPv6(at.host) ? 'udp6' : 'udp4');
    this.udp = sock;
    sock.on('message', (buf, rinfo) => {
      if (this.stopping) return;
      const msg = datagramMessage(buf, this.maxMessageBytes);
      if (this.queue.length > 0 && this.queuedBytes + buf.length > this.maxQueuedBytes) {
        this.droppedCount += 1;
        return;
      }
      this.enqueue(msg, `udp ${fmt(rinfo)}`);
    });
    return new Promise((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(at.port, at.host, () => {
        sock.off('error', reject);
        sock.on('error', (e) => (this.lastError = `udp: ${e.message}`));
        resolve();
      });
    });
  }

  private bindTcp(at: { host: string; port: number }): Promise<void> {
    const server = createServer((socket) => this.accept(socket));
    server.maxConnections = this.maxConnections;
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(at.port, at.host, () => {
        server.off('error', reject);
        server.on('error', (e) => (this.lastError = `tcp: ${e.message}`));
        resolve();
      });
    });
  }

  private accept(socket: Socket): void {
    const peer = `tcp ${fmt({ address: socket.remoteAddress ?? '?', port: socket.remotePort ?? 0 })}`;
    const deframer = new SyslogDeframer(this.maxMessageBytes);
    this.sockets.add(socket);
    if (this.paused) socket.pause();
    socket.on('data', (chunk: Buffer) => {
      if (!this.stopping) for (const m of deframer.push(chunk)) this.enqueue(m, peer);
    });
    socket.on('end', () => {
      if (!this.stopping) for (const m of deframer.end()) this.enqueue(m, peer);
    });
    socket.on('error', (e) => (this.lastError = `${peer}: ${e.message}`));
    socket.on('close', () => this.sockets.delete(socket));
  }

  private enqueue(msg: SyslogMessage, from: string): void {
    if (msg.truncated) this.truncatedCount += 1;
    const bytes = msg.text.length + 64;
    this.queue.push({ msg, from, bytes });
    this.queuedBytes += bytes;
    if (!this.paused && this.queuedBytes > this.maxQueuedBytes / 2) this.setPaused(true);
    this.pumping ??= this.pump().finally(() => (this.pumping = undefined));
  }

  /** Hands the queue on, one awaited batch at a time. */
  private async pump(): Promise<void> {
    while (this.queue.length > 0 && !this.stopping) {
      const taken = this.queue.slice(0, this.maxBatch);
      const records: CollectedRecord[] = taken.map((q, i) => ({
        text: q.msg.text,
        position: `${q.from} #${this.received + i + 1}`,
        invalidUtf8: q.msg.invalidUtf8,
        truncated: q.msg.truncated,
      }));
      const position = { received: this.received + taken.length };
      try {
        await this.onBatch!({ source: this.name, kind: this.kind, records, position });
      } catch (e) {
        // Kept at the head of the queue: handed on again after a pause (syslog cannot be re-read).
        this.lastError = `delivery failed: ${(e as Error).message}`;
        await this.sleep(this.retryMs);
        continue;
      }
      this.lastError = undefined;
      this.queue.splice(0, taken.length);
      this.received += taken.length;
      for (const q of taken) this.queuedBytes -= q.bytes;
      if (this.paused && this.queuedBytes <= this.maxQueuedBytes / 4) this.setPaused(false);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const handle = this.timers.setTimeout(() => this.wakeRetry?.(), ms);
      this.wakeRetry = () => {
        this.timers.clearTimeout(handle);
        this.wakeRetry = undefined;
        resolve();
      };
    });
  }

  private setPaused(paused: boolean): void {
    this.paused = paused;
    for (const s of this.sockets) {
      if (paused) s.pause();
      else s.resume();
    }
  }

  private async closeListeners(): Promise<void> {
    const udp = this.udp;
    const server = this.server;
    if (udp) {
      await new Promise<void>((resolve) => {
        try {
          udp.close(() => resolve());
        } catch {
          resolve(); // never bound
        }
      });
    }
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    this.udp = undefined;
    this.server = undefined;
  }
}

function parseHostPort(source: string, text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new UsageError(`syslog source "${source}": address "${text}" is not host:port (e.g. 127.0.0.1:5514, [::1]:5514)`);
  return { host: (m[1] ?? m[2])!, port };
}

function fmt(a: { address: string; port: number }): string {
  return a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}
