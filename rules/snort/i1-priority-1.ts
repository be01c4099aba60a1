// I1: a Snort alert of priority 1 (high; lower numbers are more severe).
// Fires: every IDS alert whose priority is 1, posted on its own.
// Key = gid:sid + source address + destination address.
// Must not fire: priority 2-4 (I2, digest only), no priority (Snort 3 fast prints 0 for
// "not set", which the parser turns into null).
import { defineRule, type Finding, type MatchRule } from '../define.js';
import type { SecurityEvent } from '../../schemas/event.js';

/** `198.51.100.9:49152` or the bare address when there is no port. */
export function endpoint(p: { ip: string; port: number | null }): string {
  if (!p.ip) return '(no address)';
  if (p.port === null) return p.ip;
  return p.ip.includes(':') ? `[${p.ip}]:${p.port}` : `${p.ip}:${p.port}`;
}

/** The fields and summary shared by I1 and I2: who talked to whom, and the signature. */
export function idsFinding(e: SecurityEvent, key: string): Finding {
  const i = e.ids!;
  return {
    key,
    summary: `Snort saw "${i.message}" (${i.gid}:${i.sid}, priority ${i.priority}) from ${endpoint(i.src)} to ${endpoint(i.dst)} over ${i.proto}`,
    fields: {
      actor: i.src.ip || null,
      actorKind: 'unknown',
      addresses: [i.src.ip, i.dst.ip].filter((a) => a !== ''),
      target: endpoint(i.dst),
      host: e.host,
      details: idsDetails(e),
    },
  };
}

/** Details shared by I1 and I2. */
export function idsDetails(e: SecurityEvent): Record<string, string | number | null> {
  const i = e.ids!;
  return {
    signature: `${i.gid}:${i.sid}:${i.rev}`,
    message: i.message,
    classification: i.classification,
    priority: i.priority,
    proto: i.proto,
    source: endpoint(i.src),
    destination: endpoint(i.dst),
  };
}

export const I1: MatchRule = defineRule({
  kind: 'match',
  id: 'I1',
  title: 'Snort priority 1 alert',
  severity: 'critical',
  sources: ['snort', 'syslog', 'journal'],
  apps: ['snort'],
  runbook: 'i1',
  tags: [],
  description: 'A Snort alert with priority 1',
  params: () => ({ priority: 1 }),
  match(e) {
    const i = e.ids;
    if (!i || i.priority !== 1) return null;
    return idsFinding(e, `${i.gid}:${i.sid} ${i.src.ip || '-'} ${i.dst.ip || '-'}`);
  },
});
