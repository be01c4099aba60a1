// A seeded 100,000-line, four-source corpus for the Loki integration test (issue 6):
// Kubernetes audit, Vault audit, sshd via syslog and Snort alert_fast, two hours of
// 2026-06-10, each file in event-time order, with attacks of nine rules mixed in and
// timestamps that collide on purpose:
// - syslog has second precision, so dozens of lines share each second, and one
//   credential-stuffing flood puts 2,600 lines on a single second (more than a
//   query_range page of 2,000: the pager must raise its limit);
// - the cluster's controllers list in bursts of 2,300 events with one identical
//   stageTimestamp (µs), again past a page;
// - Vault request/response pairs and Snort alerts land on whole seconds that the
//   other sources also use.
// Every line is unique within its stream and timestamp (Loki drops exact duplicates).
import { mulberry32 } from '../helpers/gen-auth-log.js';

export interface CorpusSource {
  kind: 'k8s-audit' | 'vault-audit' | 'syslog' | 'snort';
  file: string;
  labels: Record<string, string>;
  lines: string[];
}

const START = Date.UTC(2026, 5, 10, 0, 0, 0);
const SPAN = 2 * 3600_000;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

function isoMicros(ms: number, us: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}.${pad((ms % 1000) * 1000 + us, 6)}Z`;
}
function syslogTs(ms: number): string {
  const d = new Date(ms);
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}
function snortTs(ms: number, us: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}-${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad((ms % 1000) * 1000 + us, 6)}`;
}

interface Timed {
  t: number; // ms
  us: number; // extra µs
  seq: number;
  line: string;
}

function sorted(items: Timed[]): string[] {
  return items.sort((a, b) => a.t - b.t || a.us - b.us || a.seq - b.seq).map((x) => x.line);
}

function uuid(rand: () => number): string {
  const h = (n: number) => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(rand() * 16)]).join('');
  return `${h(8)}-${h(4)}-4${h(3)}-a${h(3)}-${h(12)}`;
}

function k8sEvent(o: { id: string; verb: string; user: string; groups?: string[]; ip: string; resource: string; ns?: string; name?: string; sub?: string; stage: string; ts: string; uri: string }): string {
  const objectRef: Record<string, string> = { resource: o.resource, apiVersion: 'v1' };
  if (o.ns) objectRef['namespace'] = o.ns;
  if (o.name) objectRef['name'] = o.name;
  if (o.sub) objectRef['subresource'] = o.sub;
  const ev: Record<string, unknown> = {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: o.id,
    stage: o.stage,
    requestURI: o.uri,
    verb: o.verb,
    user: { username: o.user, groups: o.groups ?? ['system:authenticated'] },
    sourceIPs: [o.ip],
    userAgent: 'kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46',
    objectRef,
    requestReceivedTimestamp: o.ts,
    stageTimestamp: o.ts,
  };
  if (o.stage !== 'RequestReceived') ev['responseStatus'] = { metadata: {}, code: 200 };
  return JSON.stringify(ev);
}

function k8s(rand: () => number, n: number): CorpusSource {
  const out: Timed[] = [];
  let seq = 0;
  const add = (t: number, us: number, line: string) => out.push({ t, us, seq: seq++, line });
  const burstAt = [0.2, 0.45, 0.7, 0.9].map((f) => START + Math.floor((SPAN * f) / 1000) * 1000);
  const BURST = 2300;
  // Controller list bursts: BURST events on one identical µs timestamp each.
  for (const t of burstAt) {
    const ts = isoMicros(t, 0);
    for (let i = 0; i < BURST; i++) {
      add(t, 0, k8sEvent({ id: uuid(rand), verb: 'list', user: 'system:serviceaccount:kube-system:endpointslice-controller', ip: '10.0.20.10', resource: 'endpoints', ns: `ns-${i}`, stage: 'ResponseComplete', ts, uri: `/api/v1/namespaces/ns-${i}/endpoints` }));
    }
  }
  // Attacks: K3 secret reads, K4 execs, K5 mass deletes.
  const attacks = 20;
  for (let a = 0; a < attacks; a++) {
    const t = START + Math.floor(rand() * SPAN);
    add(t, 0, k8sEvent({ id: uuid(rand), verb: 'list', user: `system:serviceaccount:monitoring:scraper-${a}`, ip: '10.10.4.22', resource: 'secrets', ns: 'vault', stage: 'ResponseComplete', ts: isoMicros(t, 0), uri: '/api/v1/namespaces/vault/secrets' }));
    const t2 = START + Math.floor(rand() * SPAN);
    add(t2, 123, k8sEvent({ id: uuid(rand), verb: 'create', user: `contractor-${a}`, ip: '10.0.20.77', resource: 'pods', ns: 'kube-system', name: `etcd-${a}`, sub: 'exec', stage: 'ResponseComplete', ts: isoMicros(t2, 123), uri: `/api/v1/namespaces/kube-system/pods/etcd-${a}/exec?command=sh` }));
  }
  for (let a = 0; a < 10; a++) {
    const t = START + Math.floor(rand() * (SPAN - 60_000));
    for (let d = 0; d < 8; d++) {
      const td = t + d * 3000;
      add(td, 0, k8sEvent({ id: uuid(rand), verb: 'delete', user: `cleanup-bot-${a}`, ip: '10.0.20.78', resource: d % 2 ? 'configmaps' : 'pods', ns: 'prod', name: `obj-${a}-${d}`, stage: 'ResponseComplete', ts: isoMicros(td, 0), uri: `/api/v1/namespaces/prod/pods/obj-${a}-${d}` }));
    }
  }
  // Benign: reads by the human and by allowed service accounts, on whole seconds and µs.
  while (out.length < n) {
    const t = START + Math.floor(rand() * SPAN);
    const us = rand() < 0.5 ? 0 : Math.floor(rand() * 1000);
    const i = out.length;
    const user = i % 3 === 0 ? 'me@viktorbarzin.me' : 'system:serviceaccount:vault:vault';
    add(t, us, k8sEvent({ id: uuid(rand), verb: 'get', user, ip: '10.0.20.51', resource: 'configmaps', ns: 'vault', name: `cm-${i % 50}`, stage: 'ResponseComplete', ts: isoMicros(t, us), uri: `/api/v1/namespaces/vault/configmaps/cm-${i % 50}` }));
  }
  return { kind: 'k8s-audit', file: 'k8s-audit.log', labels: { job: 'kubernetes-audit' }, lines: sorted(out) };
}

function vaultPair(rand: () => number, t: number, us: number, o: { path: string; op: string; ip: string; display?: string; policies?: string[]; failLogin?: boolean }): [Timed, Timed] {
  const id = uuid(rand);
  const auth = o.display ? { display_name: o.display, policies: o.policies ?? ['default'], token_type: 'service', policy_results: { allowed: true } } : { policy_results: { allowed: true }, token_type: 'default' };
  const request = { id, operation: o.op, mount_type: o.path.startsWith('auth/') ? 'userpass' : 'kv', namespace: { id: 'root' }, path: o.path, remote_address: o.ip, remote_port: 40000 + Math.floor(rand() * 20000) };
  const req = { time: isoMicros(t, us), type: 'request', auth, request };
  const response = o.failLogin ? { mount_type: 'userpass', data: { error: `hmac-sha256:${id.replace(/-/g, '')}` } } : { mount_type: 'kv', data: { value: `hmac-sha256:${id.replace(/-/g, '')}` } };
  const res = { time: isoMicros(t, us + 7), type: 'response', auth, request, response };
  return [
    { t, us, seq: 0, line: JSON.stringify(req) },
    { t, us: us + 7, seq: 0, line: JSON.stringify(res) },
  ];
}

function vault(rand: () => number, n: number): CorpusSource {
  const out: Timed[] = [];
  let seq = 0;
  const add = (pair: [Timed, Timed]) => pair.forEach((x) => out.push({ ...x, seq: seq++ }));
  for (let a = 0; a < 20; a++) {
    const t = START + Math.floor(rand() * SPAN);
    add(vaultPair(rand, t, 0, { path: `sys/policies/acl/rogue-${a}`, op: 'update', ip: '10.0.20.77', display: 'token', policies: ['default', 'admin'] }));
  }
  for (let a = 0; a < 10; a++) {
    const t = START + Math.floor(rand() * (SPAN - 60_000));
    for (let f = 0; f < 14; f++) add(vaultPair(rand, t + f * 3000, 0, { path: `auth/userpass/login/user${f}`, op: 'update', ip: `198.51.100.${a + 1}`, failLogin: true }));
  }
  while (out.length < n) {
    const t = START + Math.floor(rand() * SPAN);
    add(vaultPair(rand, t, rand() < 0.5 ? 0 : Math.floor(rand() * 900), { path: `secret/data/app/${out.length % 40}`, op: 'read', ip: '10.0.20.51', display: 'approle-gitea', policies: ['default', 'gitea'] }));
  }
  return { kind: 'vault-audit', file: 'vault-audit.log', labels: { namespace: 'vault', container: 'audit-tail' }, lines: sorted(out).slice(0, n) };
}

function sshd(rand: () => number, n: number): CorpusSource {
  const out: Timed[] = [];
  let seq = 0;
  let pid = 20_000;
  const add = (t: number, text: string) => out.push({ t, us: 0, seq: seq++, line: `${syslogTs(t)} pve sshd[${pid++}]: ${text}` });
  for (let a = 0; a < 60; a++) add(START + Math.floor(rand() * SPAN), `Accepted password for intruder${a} from 203.0.113.${a + 1} port ${41000 + a} ssh2`);
  for (let a = 0; a < 15; a++) {
    const t = START + Math.floor(rand() * (SPAN - 300_000));
    for (let f = 0; f < 12; f++) add(t + f * 10_000, `Failed password for root from 192.0.2.${a + 1} port ${50000 + f} ssh2`);
  }
  // The flood: 2,600 failures within one second from a botnet, two per address (below
  // S2's threshold). Why not one address: S2 would then cross its threshold inside one
  // instant, and which of the same-instant lines is the alert's anchor depends on their
  // order, which Loki does not keep (engine/windows.ts documents this eager-firing limit).
  const flood = START + 4321_000;
  for (let f = 0; f < 2600; f++) add(flood, `Failed password for invalid user guest${f} from 198.18.${Math.floor(f / 500)}.${(f >> 1) % 250} port ${30000 + f} ssh2`);
  // A few lines that are not syslog at all (counted as parse errors, far below H2's 1%).
  for (let g = 0; g < 20; g++) out.push({ t: START + Math.floor(rand() * SPAN), us: 0, seq: seq++, line: `\u0001garbage record ${g} \u0002` });
  while (out.length < n) {
    const t = START + Math.floor(rand() * SPAN);
    const i = out.length;
    if (i % 3 === 0) add(t, `Accepted publickey for viktor from 192.168.1.${5 + (i % 20)} port ${30000 + (i % 30000)} ssh2: ED25519 SHA256:abc${i % 97}`);
    else if (i % 3 === 1) add(t, 'pam_unix(sshd:session): session opened for user viktor(uid=1000) by (uid=0)');
    else add(t, `Disconnected from user viktor 192.168.1.${5 + (i % 20)} port ${30000 + (i % 30000)}`);
  }
  const lines = sorted(out);
  // A garbage line takes the time of the line before it (how the test stamps it in Loki).
  return { kind: 'syslog', file: 'auth.log', labels: { job: 'sshd-pve', host: 'pve' }, lines };
}

function snort(rand: () => number, n: number): CorpusSource {
  const out: Timed[] = [];
  let seq = 0;
  const add = (t: number, us: number, text: string) => out.push({ t, us, seq: seq++, line: `${snortTs(t, us)} [**] ${text}` });
  for (let a = 0; a < 40; a++) {
    const t = START + Math.floor(rand() * SPAN);
    add(t, 0, `[1:2034647:2] "ET EXPLOIT Apache log4j RCE Attempt (http ldap) (CVE-2021-44228)" [**] [Classification: Attempted Administrator Privilege Gain] [Priority: 1] {TCP} 198.51.100.${a + 10}:44122 -> 10.0.20.2:443`);
  }
  while (out.length < n) {
    const t = START + Math.floor(rand() * SPAN);
    const us = rand() < 0.5 ? 0 : Math.floor(rand() * 1000);
    const i = out.length;
    add(t, us, `[1:2100366:8] "GPL ICMP_INFO PING *NIX" [**] [Classification: Misc activity] [Priority: 3] {ICMP} 10.0.20.${i % 200} -> 10.0.20.51`);
  }
  return { kind: 'snort', file: 'snort-fast.log', labels: { job: 'snort', sensor: 'ids01' }, lines: sorted(out) };
}

/** The four sources, 100,000 lines in all (k8s 40k, syslog 35k, vault 15k, snort 10k). */
export function generateLokiCorpus(seed = 6): CorpusSource[] {
  const rand = mulberry32(seed);
  return [k8s(rand, 40_000), vault(rand, 15_000), sshd(rand, 35_000), snort(rand, 10_000)];
}
