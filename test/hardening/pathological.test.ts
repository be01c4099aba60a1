// Issue 9: no regex on log text takes more than linear time. Every parser (and the k8s
// raw-line scanner, the Slack formatter's escaping and the config interpolation) gets
// 100 KB lines made of long runs of what its patterns split on: spaces, ` from `,
// brackets, quotes, colons, digits, `[`, `{"a":`, backslashes, ... each placed inside the
// framings that lead the parser to its deeper patterns. A backtracking regex takes
// seconds to hours on such input; a linear one a millisecond or two.
//
// Each case is timed best-of-3 and must finish in under 250 ms (generous: the slowest
// measured is a few ms); the worst ratio to a plain character scan of the same input is
// reported.
import { describe, expect, it } from 'vitest';
import type { InputKind } from '../../schemas/event.js';
import { parsers } from '../../services/parsers/index.js';
import { scanK8sAuditLine, TimeCache } from '../../services/parsers/k8s-audit-scan.js';
import { newK8sChunkScanner } from '../../services/parsers/k8s-audit-chunk-scanner.js';
import type { ParseContext } from '../../services/parsers/types.js';
import { code, preformatted, safeText } from '../../services/sinks/mrkdwn.js';
import { expand } from '../../services/config/interpolate.js';
import { report } from './support/report.js';

const SIZE = 100 * 1024;
const LIMIT_MS = 250;

/** Units repeated to SIZE: what each pattern family splits on or quantifies over. */
const UNITS = [
  ' ', '\t', ' from ', ' from 1.2.3.4', ' port ', ' port 1', 'from ', '[', ']', '[]', '[[', '][', '[**] ', '[1:2:3] ', '[Priority: 1]', '{', '}', '{"a":', '{"a":[', '["a",', '"', '\\"', '\\', '\\u00', ':', '::', ':1', '1.', '0', '9', '-', ' -> ', '->', '<', '<!channel>', '&', '`', '${', '$${', '${A', '=', ' ; ', ';', 'a', 'a ', ' a', '\u00e9', '\ud83d\ude00', ',', ',"', '"a":"b",', 'message repeated 2 times: [ ', 'Invalid user ', 'for ', ' ssh2', 'T', '2026-06-10T00:00:01', 'Jun 10 00:00:01 ', '<13>', '1 ',
];

const fill = (unit: string, room = SIZE) => unit.repeat(Math.max(1, Math.floor(room / unit.length)));

/** Framings per kind: P is where the pathological run goes. */
const FRAMES: Record<InputKind, Array<(p: string) => string>> = {
  syslog: [
    (p) => p,
    (p) => `Jun 10 00:00:01 host sshd[1]: Failed password for ${p} from 1.2.3.4 port 22 ssh2`,
    (p) => `Jun 10 00:00:01 host sshd[1]: Accepted publickey for x from ${p}`,
    (p) => `Jun 10 00:00:01 host sshd[1]: ${p}`,
    (p) => `Jun 10 00:00:01 host sshd[1]: message repeated 3 times: [ Failed password for ${p}]`,
    (p) => `Jun 10 00:00:01 ${p}`,
    (p) => `<13>1 2026-06-10T00:00:01Z host app - - ${p}`,
    (p) => `<13>1 2026-06-10T00:00:01Z host app - - [${p}`,
    (p) => `<13>${p}`,
    (p) => `2026-06-10T00:00:01Z host sudo: root : ${p} ; COMMAND=${p}`,
    (p) => `2026-06-10T00:00:01Z host snort[1]: [1:2:3] ${p} {TCP} 1.2.3.4:1 -> 5.6.7.8:2`,
    (p) => `2026-06-10T00:00:01Z host systemd-logind[1]: New session ${p} of user ${p}.`,
    (p) => `reboot   system boot  ${p}`,
  ],
  journal: [
    (p) => p,
    (p) => JSON.stringify({ __REALTIME_TIMESTAMP: '1781049601000000', SYSLOG_IDENTIFIER: 'sshd', MESSAGE: `Failed password for ${p} from 1.2.3.4 port 22 ssh2` }),
    (p) => JSON.stringify({ __REALTIME_TIMESTAMP: '1781049601000000', SYSLOG_IDENTIFIER: 'sshd', MESSAGE: p }),
    (p) => JSON.stringify({ __REALTIME_TIMESTAMP: '1781049601000000', SYSLOG_IDENTIFIER: 'snort', MESSAGE: `[1:2:3] ${p} [Priority: 1] {TCP} 1.2.3.4:1 -> 5.6.7.8:2` }),
    (p) => JSON.stringify({ __REALTIME_TIMESTAMP: '1781049601000000', SYSLOG_IDENTIFIER: 'sudo', MESSAGE: `${p} : TTY=x ; COMMAND=${p}` }),
    (p) => `{"__REALTIME_TIMESTAMP":"1781049601000000","MESSAGE":${p}`,
  ],
  'k8s-audit': [
    (p) => p,
    (p) => JSON.stringify({ kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', auditID: 'a', stage: 'ResponseComplete', verb: 'get', user: { username: p }, stageTimestamp: '2026-06-10T00:00:01Z' }),
    (p) => `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete","verb":"get","user":{"username":"${p}`,
    (p) => `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete","verb":"get","user":{"username":"u"},"responseStatus":{"metadata":${p}`,
    (p) => `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete","verb":"get","user":{"username":"u"},"requestObject":${p}`,
    (p) => `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete","verb":"get","user":{"username":"u"},"sourceIPs":[${p}`,
    (p) => `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete","verb":"get","user":{"username":"u"},"stageTimestamp":"2026-06-10T00:00:01Z","annotations":{${p}`,
  ],
  'vault-audit': [
    (p) => p,
    (p) => `${p}{"time":"2026-06-10T00:00:01Z","type":"request"}`,
    (p) => JSON.stringify({ time: '2026-06-10T00:00:01Z', type: 'response', request: { id: 'r', path: p, remote_address: p, mount_point: p }, auth: { display_name: p } }),
    (p) => JSON.stringify({ time: p, type: 'request' }),
  ],
  snort: [
    (p) => p,
    (p) => `06/10-00:00:01.1 [**] [1:2:3] ${p} [**] [Classification: x] [Priority: 1] {TCP} 1.2.3.4:1 -> 5.6.7.8:2`,
    (p) => `06/10-00:00:01.1 [**] [1:2:3] "x" [**] [Priority: 1] {TCP} ${p} -> ${p}`,
    (p) => `06/10-00:00:01.1 [**] [1:2:3] ${p}`,
    (p) => `06/10-00:00:01.1 ${p}`,
    (p) => `06/10-00:00:01.1 [**] [1:2:3] x [Classification: ${p}] [Priority: 1] <${p}> {TCP} 1.2.3.4 -> 5.6.7.8`,
    (p) => `{"seconds":1781049601,"rule":"1:2:3","msg":${JSON.stringify(p)},"src_ap":${JSON.stringify(p)},"timestamp":${JSON.stringify(p)}}`,
  ],
  swarm: [
    (p) => p,
    (p) => `[2026-06-10 00:00:01] ${p}`,
    (p) => `[2026-06-10 00:00:01] Drone ${p} unresponsive for ${p}`,
    (p) => `[2026-06-10 00:00:01] Initiating SSH ${p} to ${p}`,
    (p) => `[${p}`,
    (p) => JSON.stringify({ ts: '2026-06-10T00:00:01Z', component: 'gateway', event: 'drone.register', drone: p, source_ip: p }),
  ],
};

function bestOf3(fn: () => void): number {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    fn();
    best = Math.min(best, performance.now() - t);
  }
  return best;
}

/** A plain linear pass over the line: the yardstick. */
function plainScan(line: string): number {
  let h = 0;
  for (let i = 0; i < line.length; i++) h = (h * 31 + line.charCodeAt(i)) | 0;
  return h;
}

const ctxFor = (kind: InputKind): ParseContext => ({ kind, sourceName: 'redos', position: 'line 1', year: 2026, date: '2026-06-10', carry: {} });

interface Worst {
  ms: number;
  ratio: number;
  what: string;
}
const worst: Record<string, Worst> = {};
const note = (group: string, ms: number, base: number, what: string) => {
  const w = worst[group];
  if (!w || ms > w.ms) worst[group] = { ms: Math.round(ms * 100) / 100, ratio: Math.round(ms / Math.max(base, 0.01)), what };
};

describe.each(Object.keys(FRAMES) as InputKind[])('pathological 100 KB lines into %s', (kind) => {
  it(`every framing × ${UNITS.length} pathological runs parses in under ${LIMIT_MS} ms`, () => {
    const slow: string[] = [];
    let n = 0;
    for (const [fi, frame] of FRAMES[kind].entries()) {
      for (const unit of UNITS) {
        const line = frame(fill(unit));
        const base = bestOf3(() => plainScan(line));
        const ms = bestOf3(() => {
          const r = parsers[kind](line, ctxFor(kind));
          if (r.ok === undefined) throw new Error('no result');
        });
        n++;
        note(kind, ms, base, `frame ${fi}, run of ${JSON.stringify(unit)}`);
        if (ms >= LIMIT_MS) slow.push(`frame ${fi} × ${JSON.stringify(unit)}: ${ms.toFixed(1)} ms`);
      }
    }
    expect(slow, slow.join('\n')).toEqual([]);
    expect(n).toBe(FRAMES[kind].length * UNITS.length);
  });
});

describe('pathological 100 KB input to the other text paths', () => {
  it('the k8s raw-line scanner (replay prefilter) stays linear, in both builds', () => {
    const times = new TimeCache();
    const wasm = newK8sChunkScanner('wasm');
    expect(wasm.build).toBe('wasm');
    /** The WebAssembly build over the line as a one-line chunk (how the replay hands it over). */
    const inWasm = (line: string): boolean => {
      const chunk = Buffer.from(`${line}\n`);
      wasm.load(chunk);
      return wasm.scan(0, chunk.length - 1);
    };
    const slow: string[] = [];
    const lines: Array<[string, string]> = [];
    for (const [fi, frame] of FRAMES['k8s-audit'].entries()) {
      for (const unit of UNITS) lines.push([`frame ${fi}, run of ${JSON.stringify(unit)}`, frame(fill(unit))]);
    }
    // Deep nesting in the generic value pattern, in every position it is used.
    for (const open of ['[', '{"a":', '[{"a":', '{"a":[']) {
      for (const slot of ['responseStatus":{"metadata', 'requestObject', 'responseObject']) {
        lines.push([`${slot} nested ${open}`, `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete","verb":"get","user":{"username":"u"},"${slot}":${fill(open, SIZE - 200)}`]);
      }
    }
    for (const [what, line] of lines) {
      const base = bestOf3(() => plainScan(line));
      for (const [build, scan] of [
        ['k8s-scan', () => scanK8sAuditLine(line, times)],
        ['k8s-scan-wasm', () => inWasm(line)],
      ] as const) {
        const ms = bestOf3(scan);
        note(build, ms, base, what);
        if (ms >= LIMIT_MS) slow.push(`${build}: ${what}: ${ms.toFixed(1)} ms`);
      }
      expect(inWasm(line), what).toBe(scanK8sAuditLine(line, times) !== null);
    }
    expect(slow, slow.join('\n')).toEqual([]);
  });

  it('Slack mrkdwn escaping and capping of attacker text stays linear', () => {
    const slow: string[] = [];
    for (const unit of UNITS) {
      const text = fill(unit);
      const base = bestOf3(() => plainScan(text));
      const ms = bestOf3(() => {
        safeText(text, 3000);
        code(text, 300);
        preformatted(text, 1200);
      });
      note('slack-mrkdwn', ms, base, `run of ${JSON.stringify(unit)}`);
      if (ms >= LIMIT_MS) slow.push(`${JSON.stringify(unit)}: ${ms.toFixed(1)} ms`);
    }
    expect(slow, slow.join('\n')).toEqual([]);
  });

  it('config ${ENV} interpolation stays linear', () => {
    const slow: string[] = [];
    for (const unit of ['${', '$${', '${A', '${A:-', '$', '}', '${A}', '${A:-${B}']) {
      const text = fill(unit);
      const base = bestOf3(() => plainScan(text));
      const ms = bestOf3(() => expand(text, { A: 'x', B: 'y' }));
      note('config-interpolation', ms, base, `run of ${JSON.stringify(unit)}`);
      if (ms >= LIMIT_MS) slow.push(`${JSON.stringify(unit)}: ${ms.toFixed(1)} ms`);
    }
    expect(slow, slow.join('\n')).toEqual([]);
  });

  it('reports the slowest case per parser', () => {
    report('pathological 100 KB lines: slowest case per parser (ms, ratio to a plain scan)', worst as unknown as Record<string, unknown>);
  });
});
