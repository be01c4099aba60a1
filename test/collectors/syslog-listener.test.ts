import { createSocket } from 'node:dgram';
import { connect, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SyslogDeframer } from '../../services/collectors/syslog-framing.js';
import { SyslogListenerCollector, type SyslogListenerOptions } from '../../services/collectors/syslog-listener.js';
import type { SourcePosition } from '../../services/collectors/types.js';
import { Sink } from './collect.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const SNORT = '<38>May  6 14:22:31 ids01 snort[1337]: [1:1000001:1] "Sample alert" [Classification: Misc activity] [Priority: 3] {TCP} 192.168.0.1:14685 -> 173.37.145.84:25';
const SNORT_5424 = '<38>1 2025-05-06T14:22:31.482Z ids01 snort 1337 - - [1:2024218:3] "ET EXPLOIT Possible EternalBlue" {TCP} 198.51.100.9:49152 -> 10.0.0.5:445';

async function listener(opts: Partial<SyslogListenerOptions>, from?: SourcePosition, sink = new Sink()) {
  const c = new SyslogListenerCollector({ name: 'snort', udp: '127.0.0.1:0', tcp: '127.0.0.1:0', ...opts });
  cleanups.push(() => c.stop());
  await c.start(from, sink.onBatch);
  return { c, sink, udpPort: c.boundAddresses().udp?.port ?? 0, tcpPort: c.boundAddresses().tcp?.port ?? 0 };
}

async function sendUdp(port: number, ...messages: (string | Buffer)[]): Promise<void> {
  const sock = createSocket('udp4');
  for (const m of messages) await new Promise<void>((resolve, reject) => sock.send(m, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
  sock.close();
}

async function tcpClient(port: number): Promise<Socket> {
  const s = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => s.once('connect', resolve).once('error', reject));
  cleanups.push(async () => void s.destroy());
  return s;
}

const write = (s: Socket, data: string | Buffer) => new Promise<void>((resolve, reject) => s.write(data, (e) => (e ? reject(e) : resolve())));
const octets = (msg: string) => `${Buffer.byteLength(msg)} ${msg}`;

/** Waits for a condition on the collector's status (no event exists for it). */
async function eventually(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('SyslogListenerCollector', () => {
  it('binds, says where, and receives UDP datagrams one message each (trailing newline dropped)', async () => {
    const { c, sink, udpPort, tcpPort } = await listener({});
    expect(udpPort).toBeGreaterThan(0);
    expect(tcpPort).toBeGreaterThan(0);
    expect(c.status()).toMatchObject({ opened: true, truncated: 0 });
    expect(c.status().detail).toContain(`listening on udp 127.0.0.1:${udpPort}, tcp 127.0.0.1:${tcpPort} (0 connections)`);
    await sendUdp(udpPort, SNORT, `${SNORT_5424}\n`);
    await sink.untilCount(2);
    expect(sink.texts()).toEqual([SNORT, SNORT_5424]);
    expect(sink.records[0]!.position).toMatch(/^udp 127\.0\.0\.1:\d+ #1$/);
    expect(sink.records.every((r) => r.defaultHost === undefined && !r.truncated && !r.invalidUtf8)).toBe(true);
    expect(sink.position).toEqual({ received: 2 });
  });

  it('TCP octet counting (RFC 6587), with frames split anywhere across writes', async () => {
    const { sink, tcpPort } = await listener({});
    const s = await tcpClient(tcpPort);
    const stream = Buffer.from(octets(SNORT) + octets(SNORT_5424) + octets('<13>1 - h app - - - line\nwith newline inside'));
    // Uneven pieces: inside the length digits, right after the space, mid message.
    let at = 0;
    for (const cut of [1, 3, 60, 141, stream.length]) {
      await write(s, stream.subarray(at, cut));
      at = cut;
    }
    await sink.untilCount(3);
    expect(sink.texts()).toEqual([SNORT, SNORT_5424, '<13>1 - h app - - - line\nwith newline inside']);
    expect(sink.records[0]!.position).toMatch(/^tcp 127\.0\.0\.1:\d+ #1$/);
  });

  it('TCP newline framing (CRLF too); a last line without newline counts when the peer closes', async () => {
    const { sink, tcpPort } = await listener({});
    const s = await tcpClient(tcpPort);
    await write(s, `${SNORT}\n${SNORT_5424}\r\n<13>tail`);
    s.end();
    await sink.untilCount(3);
    expect(sink.texts()).toEqual([SNORT, SNORT_5424, '<13>tail']);
  });

  it('truncates oversized messages (UDP, octet-counted, newline) and counts them; the next message is intact', async () => {
    const { c, sink, udpPort, tcpPort } = await listener({ maxMessageBytes: 50 });
    const big = `<38>${'x'.repeat(96)}`;
    await sendUdp(udpPort, big);
    await sink.untilCount(1);
    const s = await tcpClient(tcpPort);
    await write(s, `${octets(big)}${octets('<38>small')}${big}\n<38>next\n`);
    await sink.untilCount(5);
    expect(sink.texts()).toEqual([big.slice(0, 50), big.slice(0, 50), '<38>small', big.slice(0, 50), '<38>next']);
    expect(sink.records.map((r) => r.truncated)).toEqual([true, true, false, true, false]);
    expect(c.status().truncated).toBe(3);
    expect(c.status().detail).toContain('truncated 3, dropped 0');
  });

  it('flags invalid UTF-8 instead of failing', async () => {
    const { sink, udpPort } = await listener({});
    await sendUdp(udpPort, Buffer.from('<38>bad \xff\xfe', 'latin1'));
    await sink.untilCount(1);
    expect(sink.records[0]).toMatchObject({ invalidUtf8: true, truncated: false });
  });

  it('resumes the count after a restart: nothing processed twice, numbering continues', async () => {
    const first = await listener({});
    await sendUdp(first.udpPort, '<38>one', '<38>two');
    await first.sink.untilCount(2);
    await first.c.stop();
    expect(first.c.status().opened).toBe(false);
    const second = await listener({}, first.sink.position);
    await sendUdp(second.udpPort, '<38>three');
    await second.sink.untilCount(1);
    expect(second.sink.texts()).toEqual(['<38>three']);
    expect(second.sink.records[0]!.position).toMatch(/ #3$/);
    expect(second.sink.position).toEqual({ received: 3 });
  });

  it('pauses TCP senders while the runner is busy: bounded queue, nothing lost, order kept', async () => {
    const maxQueuedBytes = 8 * 1024;
    let maxQueued = 0;
    const sink = new Sink();
    const { c, tcpPort } = await listener({ udp: undefined, maxQueuedBytes, maxBatch: 50 }, undefined, sink);
    sink.gate = async () => {
      maxQueued = Math.max(maxQueued, Number(/queued (\d+) bytes/.exec(c.status().detail)![1]));
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    };
    const s = await tcpClient(tcpPort);
    const all = Array.from({ length: 3000 }, (_, i) => `<38>msg ${String(i).padStart(5, '0')} ${'p'.repeat(60)}`);
    await write(s, all.map((m) => `${m}\n`).join(''));
    await sink.untilCount(all.length, 20_000);
    expect(sink.texts()).toEqual(all);
    // Unpaused, all 3000 messages would queue (~420 KB as counted: text + 64 bytes each).
    // Paused, one socket read may land past the mark: ≤ 64 KiB of ~76-byte messages,
    // i.e. ≤ ~870 messages counted at ~140 bytes each.
    expect(maxQueued).toBeLessThanOrEqual(maxQueuedBytes + 130 * 1024);
    expect(maxQueued).toBeGreaterThan(0);
  });

  it('drops UDP datagrams beyond the queue limit while the runner is busy, and counts them', async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const sink = new Sink();
    const { c, udpPort } = await listener({ tcp: undefined, maxQueuedBytes: 1 }, undefined, sink);
    sink.gate = () => released;
    await sendUdp(udpPort, '<38>first');
    await eventually(() => c.status().detail.includes('queued 73 bytes'), 'the first message to be out');
    await sendUdp(udpPort, '<38>second', '<38>third');
    await eventually(() => c.status().detail.includes('dropped 2'), 'two drops');
    release();
    await sink.untilCount(1);
    expect(sink.texts()).toEqual(['<38>first']);
    expect(c.status().truncated).toBe(2);
  });

  it('fails to start with a clear error when the address is taken', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => busy.close(() => r())));
    const port = (busy.address() as { port: number }).port;
    const c = new SyslogListenerCollector({ name: 'snort', tcp: `127.0.0.1:${port}` });
    await expect(c.start(undefined, async () => undefined)).rejects.toThrow(/cannot listen \(EADDRINUSE\)/);
  });

  it('rejects bad addresses and a position it did not write', async () => {
    expect(() => new SyslogListenerCollector({ name: 's', udp: '514' })).toThrow(/not host:port/);
    expect(() => new SyslogListenerCollector({ name: 's' })).toThrow(/give a udp or tcp address/);
    const c = new SyslogListenerCollector({ name: 's', udp: '127.0.0.1:0' });
    await expect(c.start({ cursor: 'x' }, async () => undefined)).rejects.toThrow(/no "received" count/);
  });
});

describe('SyslogDeframer', () => {
  const frame = (chunks: string[], max = 1000) => {
    const d = new SyslogDeframer(max);
    return [...chunks.flatMap((c) => d.push(Buffer.from(c))), ...d.end()].map((m) => m.text);
  };

  it('detects the framing per frame: octet-counted and newline frames may follow each other', () => {
    expect(frame(['5 <1>ab<2>cd\n7 <3>efg\n'])).toEqual(['<1>ab', '<2>cd', '<3>efg']);
  });

  it('reads digits not followed by a space as the start of a newline-framed message', () => {
    expect(frame(['2025-05-06T14:22:31Z host app: x\n'])).toEqual(['2025-05-06T14:22:31Z host app: x']);
  });

  it('flags an octet-counted frame cut short by the close', () => {
    const d = new SyslogDeframer(100);
    expect(d.push(Buffer.from('10 <1>ab'))).toEqual([]);
    expect(d.end()).toEqual([{ text: '<1>ab', invalidUtf8: false, truncated: true }]);
  });
});
