// SecurityEvent factory for engine and rule tests: makeEvent(partial) fills every field
// validly (checked against the schema), so a test states only what it is about.
// Time is explicit: `tsMs` (or `ts`), defaulting to T0; no wall clock anywhere.
//
//   makeEvent({ tsMs: at(90), app: 'sshd', action: 'auth.failure', ssh: ssh({ failures: 1 }) })
//   input(e)  → { event, line } for Engine.push
//   parseLine('syslog', '2026-06-10T00:00:01Z bastion sshd[7]: Failed password ...')
//             → the real parser's event (throws on a parse error), for end-to-end rule tests
import { SecurityEvent, type Actor, type InputKind, type Target } from '../../schemas/event.js';
import { parsers } from '../../services/parsers/index.js';
import type { ParseContext, ParseError } from '../../services/parsers/types.js';
import { formatIso, parseRfc3339 } from '../../services/lib/time.js';

/** A fixed instant all test times count from: 2026-06-10T00:00:00Z. */
export const T0 = Date.UTC(2026, 5, 10, 0, 0, 0);

/** T0 plus `seconds`. */
export const at = (seconds: number): number => T0 + Math.round(seconds * 1000);

type Facet<K extends keyof SecurityEvent> = NonNullable<SecurityEvent[K]>;

export interface EventPartial
  extends Partial<Omit<SecurityEvent, 'source' | 'actor' | 'client' | 'target' | 'ts' | 'tsMs' | 'tsSubNs'>> {
  ts?: string;
  tsMs?: number;
  tsSubNs?: number;
  source?: Partial<SecurityEvent['source']>;
  actor?: Partial<Actor>;
  client?: Partial<SecurityEvent['client']>;
  target?: Partial<Target>;
}

let seq = 0;

export function makeEvent(p: EventPartial = {}): SecurityEvent {
  let tsMs = p.tsMs ?? T0;
  let tsSubNs = p.tsSubNs ?? 0;
  let ts = formatIso(tsMs, tsSubNs);
  if (p.ts !== undefined) {
    const t = parseRfc3339(p.ts);
    if (!t) throw new Error(`makeEvent: bad ts ${p.ts}`);
    ({ iso: ts, ms: tsMs, subNs: tsSubNs } = t);
  }
  const kind: InputKind = p.source?.kind ?? 'syslog';
  const source = { kind, name: `test-${kind}`, position: `line ${++seq}`, ...p.source };
  const { source: _s, actor, client, target, ts: _t, tsMs: _m, tsSubNs: _n, ...rest } = p;
  const event: SecurityEvent = {
    id: `test:${source.name}:${seq}`,
    host: 'host1',
    app: 'other',
    action: 'other',
    outcome: 'unknown',
    raw: {
      format: 'syslog',
      record: {
        format: 'rfc3339', pri: null, facility: null, severity: null, timestamp: ts,
        host: 'host1', program: 'test', pid: null, msgid: null, structuredData: null, message: 'test event',
      },
    },
    ...rest,
    ts,
    tsMs,
    tsSubNs,
    source,
    actor: { name: null, kind: 'unknown', id: null, ...actor },
    client: { addrs: [], port: null, ...client },
    target: { ...target },
  };
  return SecurityEvent.parse(event);
}

/** The line an event stands for in evidence: short, unique and stable per event. */
export function lineOf(e: SecurityEvent): string {
  return `${e.ts} ${e.source.name} ${e.id}`;
}

/** An Engine.push input. */
export function input(e: SecurityEvent, line = lineOf(e)): { event: SecurityEvent; line: string } {
  return { event: e, line };
}

export function ssh(p: Partial<Facet<'ssh'>> = {}): Facet<'ssh'> {
  return {
    form: 'failed', pid: 1000, user: 'root', invalidUser: false, method: 'password', keyType: null,
    keyFingerprint: null, localAddr: null, localPort: null, failures: 1, ...p,
  };
}

export function k8s(p: Partial<Facet<'k8s'>> = {}): Facet<'k8s'> {
  return {
    auditID: 'audit-1', stage: 'ResponseComplete', level: 'Metadata', verb: 'get', code: 200, userAgent: 'kubectl/v1.31.0',
    groups: ['system:authenticated'], impersonatedUser: null, decision: 'allow', hasRequestObject: false, ...p,
  };
}

export function vault(p: Partial<Facet<'vault'>> = {}): Facet<'vault'> {
  return {
    requestId: 'req-1', type: 'response', operation: 'update', path: 'secret/data/x', mountType: 'kv', error: null,
    responseDataError: false, login: false, displayName: null, entityId: null, callerPolicies: [], metadata: {}, issued: null, ...p,
  };
}

export function drone(p: Partial<Facet<'drone'>> = {}): Facet<'drone'> {
  return { id: 'drone-1', sourceIp: '10.42.0.50', advertisedIp: null, cores: 8, status: 'pending', by: null, ...p };
}

export function boot(p: Partial<Facet<'boot'>> = {}): Facet<'boot'> {
  return { bootId: null, kernel: '6.1.0-25-amd64', evidence: 'banner', ...p };
}

export function shutdown(p: Partial<Facet<'shutdown'>> = {}): Facet<'shutdown'> {
  return { kind: 'reboot', via: 'sudo', requestedBy: 'root', command: '/usr/bin/systemctl reboot', ...p };
}

let lineNo = 0;

/** Runs a raw line through the real parser of `kind`; the result is either an event or a ParseError. */
export function tryParse(kind: InputKind, line: string, over: Partial<ParseContext> = {}): { event: SecurityEvent } | { error: ParseError } {
  const r = parsers[kind](line, { kind, sourceName: `test-${kind}`, position: `line ${++lineNo}`, carry: {}, year: 2026, ...over });
  return r.ok ? { event: SecurityEvent.parse(r.event) } : { error: r.error };
}

/** The real parser's event for `line` (throws when it does not parse). */
export function parseLine(kind: InputKind, line: string, over: Partial<ParseContext> = {}): SecurityEvent {
  const r = tryParse(kind, line, over);
  if ('error' in r) throw new Error(`test line did not parse (${r.error.code}: ${r.error.message}): ${line}`);
  return r.event;
}
