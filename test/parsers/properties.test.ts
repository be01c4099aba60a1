// Property-based: random and mutated lines into every registered parser. No exception
// escapes, and every ok result validates against SecurityEvent (the schema is the
// contract rules rely on). Seeds are fixed so a failure reproduces.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SecurityEvent, type InputKind } from '../../schemas/event.js';
import { parsers } from '../../services/parsers/index.js';
import type { ParseContext } from '../../services/parsers/types.js';

const SAMPLES: Record<InputKind, string[]> = {
  'k8s-audit': [
    '{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a1","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/vault/secrets","verb":"list","user":{"username":"system:serviceaccount:ci:x","groups":["system:serviceaccounts"]},"sourceIPs":["10.0.20.15","198.51.100.23"],"objectRef":{"resource":"secrets","namespace":"vault"},"responseStatus":{"code":200},"stageTimestamp":"2026-06-10T00:00:01.123456Z"}',
  ],
  'vault-audit': [
    '{"time":"2026-06-10T00:00:01.1Z","type":"response","auth":{"display_name":"root","policies":["root"]},"request":{"id":"r1","operation":"update","path":"auth/token/create","remote_address":"10.0.20.7"},"response":{"auth":{"accessor":"hmac-sha256:ab","policies":["default","root"]}}}',
  ],
  syslog: [
    'Jun 10 00:00:01 pve sshd[123]: Accepted publickey for alice from 2001:db8::10 port 52144 ssh2: ED25519 SHA256:abc',
    '<38>1 2026-06-10T00:00:01.5Z ids01 snort 1337 - - [1:1000001:1] "x" [Classification: Misc activity] [Priority: 1] {TCP} 192.168.0.1:14685 -> 10.0.0.5:25',
    '2026-06-10T00:00:01.482911+02:00 pve sudo: root : TTY=pts/0 ; PWD=/root ; USER=root ; COMMAND=/usr/bin/systemctl reboot',
  ],
  journal: [
    '{"__CURSOR":"s=1","__REALTIME_TIMESTAMP":"1781049601000000","_HOSTNAME":"pve","_BOOT_ID":"b1","SYSLOG_IDENTIFIER":"sshd-session","_PID":"42","MESSAGE":"Failed password for invalid user admin from 203.0.113.5 port 52144 ssh2","PRIORITY":"6"}',
  ],
  snort: ['06/10-00:00:01.482911 [**] [1:2024218:3] "ET EXPLOIT" [**] [Classification: Attempted Administrator Privilege Gain] [Priority: 1] {TCP} 198.51.100.9:49152 -> 10.0.0.5:445'],
  swarm: [
    '{"ts":"2026-06-10T01:02:03.456Z","component":"gateway","event":"drone.register","drone":"drone-lxc","source_ip":"10.42.0.184","cores":4,"status":"pending"}',
    '[2026-06-10 02:42:16] Initiating SSH reboot to 10.42.0.199',
  ],
};

const ctxFor = (kind: InputKind): ParseContext => ({ kind, sourceName: 'prop', position: 'line 1', year: 2026, date: '2026-06-10', carry: {} });

/** A sample with a few characters replaced, inserted or deleted. */
const mutated = (samples: string[]) =>
  fc
    .tuple(
      fc.constantFrom(...samples),
      fc.array(fc.tuple(fc.nat(), fc.constantFrom('replace', 'insert', 'delete'), fc.string({ maxLength: 3, unit: 'binary' })), { maxLength: 6 }),
    )
    .map(([s, edits]) => {
      let out = s;
      for (const [pos, op, text] of edits) {
        const i = pos % (out.length + 1);
        out = op === 'replace' ? out.slice(0, i) + text + out.slice(i + text.length) : op === 'insert' ? out.slice(0, i) + text + out.slice(i) : out.slice(0, i) + out.slice(i + 1);
      }
      return out;
    });

describe.each(Object.keys(parsers) as InputKind[])('parser %s under random input', (kind) => {
  const parse = parsers[kind];
  const check = (line: string) => {
    const r = parse(line, ctxFor(kind));
    if (r.ok) {
      const v = SecurityEvent.safeParse(r.event);
      if (!v.success) throw new Error(`invalid event for ${JSON.stringify(line)}: ${v.error.message}`);
    } else {
      expect(r.error.code).toMatch(/^TRIP_PARSE_[A-Z0-9_]+$/);
    }
  };

  it('the samples parse into valid events', () => {
    for (const s of SAMPLES[kind]) {
      const r = parse(s, ctxFor(kind));
      expect(r.ok, JSON.stringify(r)).toBe(true);
    }
  });

  it('random strings: no exception, every ok event valid', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300, unit: 'binary' }), check), { numRuns: 2000, seed: 1 });
  });

  it('mutated real-looking lines: no exception, every ok event valid', () => {
    fc.assert(fc.property(mutated(SAMPLES[kind]), check), { numRuns: 3000, seed: 2 });
  });

  it('random JSON values: no exception, every ok event valid', () => {
    fc.assert(fc.property(fc.json({ maxDepth: 4 }), check), { numRuns: 1000, seed: 3 });
  });
});
