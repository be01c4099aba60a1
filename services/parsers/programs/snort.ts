// Snort alert body parser, shared by alert_fast (services/parsers/snort.ts) and the
// syslog/journal parsers (program `snort`, alert_syslog). The body is everything from
// `[gid:sid:rev]` on:
//   [1:1000001:1] "Sample alert" [Classification: Misc activity] [Priority: 3] {TCP} 192.168.0.1:14685 -> 173.37.145.84:25
//   [1:2014384:8] ET DOS … [Classification: …] [Priority: 2]: <eth1> {TCP} 72.14.163.130:52372 -> 192.168.1.60:3389
//   [1:477:3] ICMP Packet [**] [Priority: 0] {ICMP} 172.25.212.245 -> 172.25.212.153        (fast, after ` [**] `)
// Formats: https://github.com/snort3/snort3/blob/master/src/loggers/alert_fast.cc,
// src/loggers/alert_syslog.cc, src/log/log_text.cc (LogPriorityData, LogAppID, LogIpAddrs);
// Snort 2.9 manual §2.6.1. Notes: shared/docs/formats.md §4.
//
// Invariants:
// - The msg is operator text that may hold brackets, quotes, ` -> ` and `[**]`, so the
//   structure is peeled off from both ends with indexOf/lastIndexOf; the only regexes are
//   small and run on short, bounded slices. Linear time on any input (a 100 KB line is fine).
// - Trailer order, right to left: addresses, {PROTO}, <iface> (syslog), [AppID: x] (fast),
//   `:` (Snort 2), [Priority: N], [Classification: x], [**] (fast). Each is optional except
//   {PROTO}; Priority 0 (Snort 3 fast) and a missing Priority (Snort 3 syslog) are null.
// - Ports only for port-bearing protocols (TCP/UDP, and Snort 3's PDU/FILE pseudo-packets,
//   which LogIpAddrs prints with ports too). `ip:port` splits on the LAST colon, and only when
//   the port is all digits and the rest is an IP (node:net isIP): `2001:db8::5:443` is
//   2001:db8::5 port 443. Fragments print no ports even for TCP: a bare IP is kept whole.
// - Every endpoint must be an IP address; otherwise the body is not an alert (null).
// - A quoted msg means Snort 3 (version 3); the quotes are removed. Unquoted: version 2.
import { isIP } from 'node:net';
import type { SnortAlert } from '../../../schemas/sources/snort.js';
import type { ProgramFacts, ProgramParser } from './types.js';

/** What the body holds: the alert without the fields that only the framing knows. */
export type SnortBody = Omit<SnortAlert, 'form' | 'timestamp' | 'action'>;
export type SnortEndpoint = SnortAlert['src'];

// All anchored, fixed-width or bounded: each runs on a short slice.
const SIG = /^\[(\d{1,10}):(\d{1,10}):(\d{1,10})\]/;
const PROTO = /^[A-Za-z0-9_-]{1,16}$/;
const PRIORITY_TAIL = /\[Priority: ?(\d{1,10})\]$/;
const DIGITS = /^\d{1,5}$/;
/** Longest endpoint text worth looking at: an IPv6 address with a zone id and a port. */
const MAX_ENDPOINT = 100;
const MAX_IFACE = 256;
const MAX_TAG = 512;

const PORT_PROTOS = new Set(['TCP', 'UDP', 'PDU', 'FILE']);

/** Whether Snort prints `ip:port` (rather than bare `ip`) for this protocol. */
export function hasPorts(proto: string): boolean {
  return PORT_PROTOS.has(proto.toUpperCase());
}

/**
 * One side of `src -> dst`. With `ports`, `ip:port` (or `[v6]:port`) is split on the
 * last colon when that yields a valid IP and port; a bare IP is accepted either way
 * (fragments). Returns null when the text is not an address.
 */
export function parseEndpoint(tok: string, ports: boolean): SnortEndpoint | null {
  if (tok.length === 0 || tok.length > MAX_ENDPOINT) return null;
  if (ports) {
    const c = tok.lastIndexOf(':');
    if (c > 0) {
      const p = tok.slice(c + 1);
      let ip = tok.slice(0, c);
      if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
      if (DIGITS.test(p) && Number(p) <= 65535 && isIP(ip) !== 0) return { ip, port: Number(p) };
    }
  }
  return isIP(tok) !== 0 ? { ip: tok, port: null } : null;
}

/** If `s` ends with `[<prefix><value>]`, returns the value and what precedes it. */
function stripTag(s: string, prefix: string): { value: string; rest: string } | null {
  if (!s.endsWith(']')) return null;
  const open = s.lastIndexOf(`[${prefix}`);
  if (open < 0 || s.length - open > MAX_TAG) return null;
  const value = s.slice(open + 1 + prefix.length, -1);
  if (value.includes(']')) return null; // the `]` we saw closes something else
  return { value, rest: s.slice(0, open).trimEnd() };
}

/** Parses a Snort alert body (see header). Null when the text is not one. */
export function parseSnortBody(text: string): SnortBody | null {
  const s = text.trim();
  const sig = SIG.exec(s.slice(0, 40));
  if (!sig) return null;

  // 1. Addresses and {PROTO}, from the right.
  let head: string;
  let proto: string;
  let srcTok: string | null = null;
  let dstTok: string | null = null;
  if (s.endsWith('}')) {
    // No IP layer (ARP and other decoder alerts): `{PROTO}` ends the line.
    const open = s.lastIndexOf('{');
    if (open < 0) return null;
    proto = s.slice(open + 1, -1);
    head = s.slice(0, open);
  } else {
    const arrow = s.lastIndexOf(' -> ');
    if (arrow < 0) return null;
    dstTok = s.slice(arrow + 4);
    const sp = s.lastIndexOf(' ', arrow - 1);
    if (sp < 0) return null;
    srcTok = s.slice(sp + 1, arrow);
    const before = s.slice(0, sp);
    if (!before.endsWith('}')) return null;
    const open = before.lastIndexOf('{');
    if (open < 0) return null;
    proto = before.slice(open + 1, -1);
    head = before.slice(0, open);
  }
  if (!PROTO.test(proto)) return null;
  const ports = hasPorts(proto);
  let src: SnortEndpoint = { ip: '', port: null };
  let dst: SnortEndpoint = { ip: '', port: null };
  if (srcTok !== null && dstTok !== null) {
    const a = parseEndpoint(srcTok, ports);
    const b = parseEndpoint(dstTok, ports);
    if (!a || !b) return null;
    src = a;
    dst = b;
  }

  // 2. The optional trailer tags, right to left.
  head = head.trimEnd();
  let iface: string | null = null;
  if (head.endsWith('>')) {
    const lt = head.lastIndexOf('<');
    const name = lt < 0 ? '' : head.slice(lt + 1, -1);
    if (name.length > 0 && name.length <= MAX_IFACE) {
      iface = name;
      head = head.slice(0, lt).trimEnd();
    }
  }
  let appId: string | null = null;
  const app = stripTag(head, 'AppID: ');
  if (app) ({ value: appId, rest: head } = app);
  if (head.endsWith(']:')) head = head.slice(0, -1); // Snort 2: `[Priority: 2]:`
  let priority: number | null = null;
  const pm = PRIORITY_TAIL.exec(head.slice(-32));
  if (pm) {
    const n = Number(pm[1]);
    priority = n === 0 ? null : n; // Snort 3 fast prints 0 for "no priority"
    head = head.slice(0, head.length - pm[0].length).trimEnd();
  }
  let classification: string | null = null;
  const cls = stripTag(head, 'Classification: ');
  if (cls) ({ value: classification, rest: head } = cls);
  if (head.endsWith('[**]')) head = head.slice(0, -4).trimEnd(); // fast: msg [**]

  // 3. The msg: between `[gid:sid:rev]` and the trailer.
  if (head.length < sig[0].length) return null;
  let msg = head.slice(sig[0].length).trim();
  if (iface === null && msg.startsWith('<')) {
    // Snort 3 fast with alert_interface: `[1:2:3]  <eth0> "msg"` (only before a quoted msg,
    // so an unquoted Snort 2 msg that starts with `<` is never mistaken for one).
    const gt = msg.indexOf('> ');
    if (gt > 1 && gt <= MAX_IFACE && msg.slice(gt + 1).trimStart().startsWith('"')) {
      iface = msg.slice(1, gt);
      msg = msg.slice(gt + 1).trimStart();
    }
  }
  const quoted = msg.length >= 2 && msg.startsWith('"') && msg.endsWith('"');
  return {
    version: quoted ? 3 : 2,
    gid: Number(sig[1]),
    sid: Number(sig[2]),
    rev: Number(sig[3]),
    message: quoted ? msg.slice(1, -1) : msg,
    classification,
    priority,
    appId,
    iface,
    proto,
    src,
    dst,
  };
}

/** The normalized facts of an alert, shared by every Snort form. */
export function snortFacts(
  a: SnortBody,
): Required<Pick<ProgramFacts, 'app' | 'action' | 'outcome' | 'client' | 'target' | 'ids'>> {
  return {
    app: 'snort',
    action: 'ids.alert',
    outcome: 'unknown',
    client: { addrs: a.src.ip ? [a.src.ip] : [], port: a.src.port },
    target: { address: a.dst.ip || null, port: a.dst.port },
    ids: {
      gid: a.gid,
      sid: a.sid,
      rev: a.rev,
      priority: a.priority,
      classification: a.classification,
      message: a.message,
      proto: a.proto,
      src: { ip: a.src.ip, port: a.src.port },
      dst: { ip: a.dst.ip, port: a.dst.port },
    },
  };
}

/** Program sub-parser for `snort` syslog/journal messages (alert_syslog). */
export const snortProgram: ProgramParser = (msg) => {
  const body = parseSnortBody(msg.message);
  return body ? snortFacts(body) : { app: 'snort' };
};
