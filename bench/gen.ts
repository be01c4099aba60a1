// Seeded generators of realistic benchmark inputs: the busy homelab of docs/rules.md.
// Mostly ServiceAccount traffic from pod addresses (controllers reading and watching,
// leader-election lease updates, kubelets patching status), some humans on trusted
// networks, and rare attacks (about one line in 20,000) so every run raises a few alerts.
// Same seed, same bytes: results are comparable across machines and commits.
// No I/O here except writeLines(); no clock (times start at a fixed instant).
import { closeSync, openSync, writeSync } from 'node:fs';

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Rand = () => number;
export const START_MS = Date.UTC(2026, 5, 10);

const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const hex = (r: Rand, n: number): string => {
  let s = '';
  for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(r() * 16)];
  return s;
};
const uuid = (r: Rand): string => `${hex(r, 8)}-${hex(r, 4)}-4${hex(r, 3)}-a${hex(r, 3)}-${hex(r, 12)}`;

/** RFC 3339 with microseconds, as the API server and Vault print it. */
export function iso6(ms: number, us = 0): string {
  return `${new Date(ms).toISOString().slice(0, 19)}.${String((ms % 1000) * 1000 + us).padStart(6, '0')}Z`;
}

/** Writes `n` lines from `line(i)` to `path` in 1 MiB chunks; returns the bytes written. */
export function writeLines(path: string, n: number, line: (i: number) => string): number {
  const fd = openSync(path, 'w');
  let buf = '';
  let bytes = 0;
  try {
    for (let i = 0; i < n; i++) {
      buf += line(i) + '\n';
      if (buf.length > 1 << 20) {
        bytes += writeSync(fd, buf);
        buf = '';
      }
    }
    if (buf) bytes += writeSync(fd, buf);
  } finally {
    closeSync(fd);
  }
  return bytes;
}

// ---------------------------------------------------------------- Kubernetes audit

interface Actor {
  user: string;
  groups: string[];
  ip: () => string;
  ua: string;
  pod?: string;
}

const SA_NS = ['argocd', 'monitoring', 'cert-manager', 'traefik', 'longhorn-system', 'external-secrets', 'vault', 'dbaas', 'woodpecker', 'kube-system'];
const RESOURCES: Array<[string, string | undefined]> = [
  ['configmaps', undefined],
  ['pods', undefined],
  ['endpoints', undefined],
  ['services', undefined],
  ['secrets', undefined],
  ['nodes', undefined],
  ['deployments', 'apps'],
  ['replicasets', 'apps'],
  ['endpointslices', 'discovery.k8s.io'],
  ['ingresses', 'networking.k8s.io'],
  ['certificates', 'cert-manager.io'],
  ['servicemonitors', 'monitoring.coreos.com'],
];
const NAMESPACES = ['default', 'argocd', 'monitoring', 'cert-manager', 'traefik', 'longhorn-system', 'dbaas', 'woodpecker', 'media', 'home'];

function saActor(r: Rand, ns: string, name: string): Actor {
  const podIp = `10.10.${int(r, 0, 7)}.${int(r, 2, 250)}`;
  return {
    user: `system:serviceaccount:${ns}:${name}`,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
    ip: () => podIp,
    ua: `${name}/v1.${int(r, 2, 9)}.${int(r, 0, 9)} (linux/amd64) kubernetes/$Format`,
    pod: `${name}-${hex(r, 9)}-${hex(r, 5)}`,
  };
}

function makeActors(r: Rand): { sas: Actor[]; nodes: Actor[]; system: Actor[]; human: Actor } {
  const sas: Actor[] = [];
  for (const ns of SA_NS) for (let i = 0; i < 3; i++) sas.push(saActor(r, ns, `${ns}-${['controller', 'operator', 'agent'][i]}`));
  const nodes: Actor[] = [];
  for (let i = 1; i <= 4; i++) {
    nodes.push({ user: `system:node:k8s-node${i}`, groups: ['system:nodes', 'system:authenticated'], ip: () => `10.0.20.${100 + i}`, ua: 'kubelet/v1.31.2 (linux/amd64) kubernetes/5864a46' });
  }
  const system = ['system:kube-controller-manager', 'system:kube-scheduler'].map((u) => ({
    user: u,
    groups: ['system:authenticated'],
    ip: () => '10.0.20.100',
    ua: `${u.slice(7)}/v1.31.2 (linux/amd64) kubernetes/5864a46/leader-election`,
  }));
  const human = { user: 'me@viktorbarzin.me', groups: ['oidc:admins', 'system:authenticated'], ip: () => pick(r, ['10.0.20.15', '100.64.0.7', '192.168.1.5']), ua: 'kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46' };
  return { sas, nodes, system, human };
}

interface K8sReq {
  verb: string;
  actor: Actor;
  resource: string;
  apiGroup?: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  code?: number;
  ips?: string[];
  requestObject?: unknown;
  reason?: string;
}

function k8sLine(r: Rand, ms: number, q: K8sReq): string {
  const a = q.actor;
  const group = q.apiGroup;
  const base = group ? `/apis/${group}/v1` : '/api/v1';
  const nsPart = q.namespace ? `/namespaces/${q.namespace}` : '';
  const uri = `${base}${nsPart}/${q.resource}${q.name ? `/${q.name}` : ''}${q.subresource ? `/${q.subresource}` : ''}${q.verb === 'list' ? '?limit=500&resourceVersion=0' : q.verb === 'watch' ? '?allowWatchBookmarks=true&watch=true' : ''}`;
  const objectRef: Record<string, string> = { resource: q.resource };
  if (q.namespace) objectRef.namespace = q.namespace;
  if (q.name) objectRef.name = q.name;
  if (group) objectRef.apiGroup = group;
  objectRef.apiVersion = 'v1';
  if (q.subresource) objectRef.subresource = q.subresource;
  const user: Record<string, unknown> = { username: a.user, uid: uuid(r), groups: a.groups };
  if (a.pod) user.extra = { 'authentication.kubernetes.io/credential-id': [`JTI=${uuid(r)}`], 'authentication.kubernetes.io/pod-name': [a.pod] };
  const stage = q.verb === 'watch' ? 'ResponseStarted' : 'ResponseComplete';
  const e: Record<string, unknown> = {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: q.requestObject === undefined ? 'Metadata' : 'Request',
    auditID: uuid(r),
    stage,
    requestURI: uri,
    verb: q.verb,
    user,
    sourceIPs: q.ips ?? [a.ip()],
    userAgent: a.ua,
    objectRef,
    responseStatus: { metadata: {}, code: q.code ?? 200 },
  };
  if (q.requestObject !== undefined) e.requestObject = q.requestObject;
  e.requestReceivedTimestamp = iso6(ms - int(r, 1, 30));
  e.stageTimestamp = iso6(ms, int(r, 0, 999));
  e.annotations = {
    'authorization.k8s.io/decision': q.code === 403 ? 'forbid' : 'allow',
    'authorization.k8s.io/reason': q.reason ?? `RBAC: allowed by ClusterRoleBinding "${a.user.split(':').pop()}" of ClusterRole "${a.user.split(':').pop()}" to ServiceAccount "${a.user.split(':').pop()}/${a.user.split(':')[2] ?? ''}"`,
  };
  return JSON.stringify(e);
}

/** One benign request of the homelab's background traffic. */
function benignK8s(r: Rand, actors: ReturnType<typeof makeActors>): K8sReq {
  const x = r();
  if (x < 0.55) {
    // Controllers reading and watching what they reconcile.
    const a = pick(r, actors.sas);
    const [resource, apiGroup] = pick(r, RESOURCES);
    const verb = pick(r, ['get', 'get', 'list', 'watch']);
    const namespace = resource === 'nodes' ? undefined : pick(r, NAMESPACES);
    return { verb, actor: a, resource, apiGroup, namespace, name: verb === 'get' ? `${resource.slice(0, -1)}-${hex(r, 5)}` : undefined };
  }
  if (x < 0.75) {
    // Leader election: lease renewals every couple of seconds.
    const a = r() < 0.5 ? pick(r, actors.system) : pick(r, actors.sas);
    return { verb: pick(r, ['get', 'update']), actor: a, resource: 'leases', apiGroup: 'coordination.k8s.io', namespace: 'kube-system', name: a.user.split(':').pop()! };
  }
  if (x < 0.93) {
    // Kubelets: node status, pod status, their own lease.
    const a = pick(r, actors.nodes);
    const which = r();
    if (which < 0.4) return { verb: 'patch', actor: a, resource: 'nodes', name: a.user.slice(12), subresource: 'status' };
    if (which < 0.8) return { verb: 'patch', actor: a, resource: 'pods', namespace: pick(r, NAMESPACES), name: `app-${hex(r, 5)}`, subresource: 'status' };
    return { verb: 'get', actor: a, resource: 'configmaps', namespace: pick(r, NAMESPACES), name: 'kube-root-ca.crt' };
  }
  if (x < 0.97) {
    // Controllers writing (events, endpoints, their own configmaps); kubelets deleting pods.
    const a = pick(r, actors.sas);
    return { verb: pick(r, ['create', 'update', 'patch', 'delete']), actor: a, resource: pick(r, ['configmaps', 'endpoints', 'events']), namespace: pick(r, NAMESPACES), name: `obj-${hex(r, 6)}` };
  }
  // The human with kubectl from a trusted network.
  const [resource, apiGroup] = pick(r, RESOURCES);
  return { verb: pick(r, ['get', 'list']), actor: actors.human, resource, apiGroup, namespace: pick(r, NAMESPACES) };
}

/** The rare attacks: one per K rule. */
function attackK8s(r: Rand, actors: ReturnType<typeof makeActors>, n: number): K8sReq[] {
  const sa = actors.sas[0]!;
  const outside = `198.51.100.${1 + (n % 250)}`;
  switch (n % 8) {
    case 0:
      return [{ verb: 'list', actor: sa, resource: 'secrets', namespace: 'default', ips: [outside] }]; // K2
    case 1:
      return [{ verb: 'get', actor: actors.sas[3]!, resource: 'secrets', namespace: 'vault', name: 'vault-unseal-keys' }]; // K3
    case 2:
      return [{ verb: 'create', actor: actors.sas[4]!, resource: 'pods', namespace: 'kube-system', name: 'etcd-k8s-master', subresource: 'exec' }]; // K4
    case 3:
      return Array.from({ length: 7 }, (_, i) => ({ verb: 'delete', actor: actors.sas[5]!, resource: 'pods', namespace: 'dbaas', name: `pg-${n}-${i}` })); // K5
    case 4:
      return [{ verb: 'patch', actor: actors.human, resource: 'configmaps', namespace: 'kube-system', name: 'kubeadm-config' }]; // K6
    case 5:
      return [{ verb: 'create', actor: sa, resource: 'clusterroles', apiGroup: 'rbac.authorization.k8s.io', name: `pwn-${n}`, requestObject: { kind: 'ClusterRole', metadata: { name: `pwn-${n}` }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] } }]; // K7
    case 6:
      return [{ verb: 'create', actor: sa, resource: 'clusterrolebindings', apiGroup: 'rbac.authorization.k8s.io', name: `anon-${n}`, requestObject: { kind: 'ClusterRoleBinding', metadata: { name: `anon-${n}` }, roleRef: { kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'User', name: 'system:anonymous' }] } }]; // K8
    default:
      return [{ verb: 'get', actor: actors.human, resource: 'pods', namespace: 'default', ips: ['10.0.20.15', outside] }]; // K9 (forged X-Forwarded-For first)
  }
}

/** `n` k8s-audit lines, ~20 events per second of event time, one attack per ~`attackEvery` lines. */
export function k8sAuditLines(seed: number, attackEvery = 20_000): (i: number) => string {
  const r = mulberry32(seed);
  const actors = makeActors(r);
  let ms = START_MS;
  let queue: K8sReq[] = [];
  let attacks = 0;
  return () => {
    ms += int(r, 1, 99);
    if (queue.length === 0 && r() < 1 / attackEvery) queue = attackK8s(r, actors, attacks++);
    const q = queue.shift() ?? benignK8s(r, actors);
    return k8sLine(r, ms, q);
  };
}

// ---------------------------------------------------------------- Vault audit

const hmac = (r: Rand): string => `hmac-sha256:${hex(r, 64)}`;

export function vaultAuditLines(seed: number, attackEvery = 20_000): (i: number) => string {
  const r = mulberry32(seed);
  let ms = START_MS;
  const roles = ['gitea', 'drone', 'grafana', 'nextcloud', 'authentik', 'external-secrets'];
  const tokens = roles.map((role) => ({ role, token: hmac(r), accessor: hmac(r), entity: uuid(r), ip: `10.10.${int(r, 0, 7)}.${int(r, 2, 250)}` }));
  let pending: string | null = null;
  let burst = 0;
  return () => {
    if (pending) {
      const p = pending;
      pending = null;
      return p;
    }
    ms += int(r, 5, 400);
    const t = pick(r, tokens);
    const id = uuid(r);
    let path = `secret/data/${t.role}/${pick(r, ['config', 'db', 'oauth', 'smtp'])}`;
    let remote = t.ip;
    let error: string | undefined;
    if (burst === 0 && r() < 1 / attackEvery) burst = 15;
    if (burst > 0) {
      // Token spraying from outside: permission denied, counted by V5.
      burst--;
      path = 'secret/data/admin/root';
      remote = '203.0.113.77';
      error = '1 error occurred:\n\t* permission denied\n\n';
    }
    const auth = { client_token: t.token, accessor: t.accessor, display_name: `kubernetes-${t.role}`, policies: ['default', t.role], token_policies: ['default', t.role], metadata: { role: t.role, service_account_name: t.role, service_account_namespace: t.role }, entity_id: t.entity, token_type: 'service', token_ttl: 3600 };
    const request = { id, client_id: t.entity, operation: 'read', mount_point: 'secret/', mount_type: 'kv', mount_accessor: 'kv_1c2d3e4f', mount_running_version: 'v0.20.0+builtin', mount_class: 'secret', client_token: t.token, client_token_accessor: t.accessor, namespace: { id: 'root' }, path, remote_address: remote, remote_port: int(r, 30000, 60000) };
    const req: Record<string, unknown> = { time: iso6(ms), type: 'request', auth, request };
    const res: Record<string, unknown> = { time: iso6(ms + 2), type: 'response', auth, request };
    if (error) {
      req.error = error;
      res.error = error;
    } else {
      res.response = { mount_point: 'secret/', mount_type: 'kv', mount_accessor: 'kv_1c2d3e4f', mount_running_plugin_version: 'v0.20.0+builtin', data: { data: { password: hmac(r), username: hmac(r) }, metadata: { created_time: hmac(r), version: int(r, 1, 9) } } };
    }
    pending = JSON.stringify(res);
    return JSON.stringify(req);
  };
}

// ---------------------------------------------------------------- sshd (RFC 3164)

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function syslogTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** Public internet noise on an exposed sshd: mostly one-off failures, rare bursts (S2) and rare outside logins (S1). */
export function sshdLines(seed: number, attackEvery = 20_000): (i: number) => string {
  const r = mulberry32(seed);
  let ms = START_MS;
  let queue: string[] = [];
  let attacks = 0;
  return () => {
    ms += int(r, 10, 400);
    const t = syslogTime(ms);
    const host = pick(r, ['pve', 'pve', 'nas', 'gw']);
    const pid = int(r, 1000, 65000);
    if (queue.length > 0) return `${t} ${queue.shift()!}`;
    if (r() < 1 / attackEvery) {
      const n = attacks++;
      const ip = `203.0.113.${1 + (n % 250)}`;
      if (n % 2 === 0) {
        for (let i = 0; i < 12; i++) queue.push(`${host} sshd[${pid + i}]: Failed password for root from ${ip} port ${int(r, 30000, 65000)} ssh2`);
      } else {
        queue.push(`${host} sshd[${pid}]: Accepted password for backup from ${ip} port ${int(r, 30000, 65000)} ssh2`);
      }
    }
    const x = r();
    const pub = `${int(r, 1, 223)}.${int(r, 0, 255)}.${int(r, 0, 255)}.${int(r, 1, 254)}`;
    const port = int(r, 30000, 65000);
    if (x < 0.25) return `${t} ${host} sshd[${pid}]: Invalid user ${pick(r, ['admin', 'test', 'oracle', 'ubuntu', 'user', 'git'])} from ${pub} port ${port}`;
    if (x < 0.4) return `${t} ${host} sshd[${pid}]: Failed password for root from ${pub} port ${port} ssh2`;
    if (x < 0.6) return `${t} ${host} sshd[${pid}]: Connection closed by ${pub} port ${port} [preauth]`;
    if (x < 0.7) return `${t} ${host} sshd[${pid}]: Received disconnect from ${pub} port ${port}:11: Bye Bye [preauth]`;
    const lan = `192.168.1.${int(r, 2, 60)}`;
    if (x < 0.8) return `${t} ${host} sshd[${pid}]: Accepted publickey for root from ${lan} port ${port} ssh2: ED25519 SHA256:${hex(r, 43)}`;
    if (x < 0.9) return `${t} ${host} sshd[${pid}]: pam_unix(sshd:session): session opened for user root(uid=0) by root(uid=0)`;
    return `${t} ${host} sshd[${pid}]: Disconnected from user root ${lan} port ${port}`;
  };
}

/** One failed attempt from each of `n` distinct addresses (an internet-wide scan): S2's worst case for state. */
export function scanLine(i: number): string {
  const ms = START_MS + Math.floor(i / 4); // 4,000 lines a second of event time: all inside one 5-minute window
  const ip = `${11 + ((i >>> 24) & 0x7f)}.${(i >>> 16) & 0xff}.${(i >>> 8) & 0xff}.${i & 0xff}`;
  return `${syslogTime(ms)} pve sshd[${10_000 + (i % 50_000)}]: Failed password for root from ${ip} port ${30_000 + (i % 30_000)} ssh2`;
}

// ---------------------------------------------------------------- Snort alert_fast

export function snortLines(seed: number): (i: number) => string {
  const r = mulberry32(seed);
  let ms = START_MS;
  const sigs: Array<[string, string, string, number]> = [
    ['1:2027758:3', 'ET INFO Observed DNS Query to .cloud TLD', 'Misc activity', 3],
    ['1:2402000:6882', 'ET DROP Dshield Block Listed Source', 'Misc Attack', 2],
    ['1:2100366:8', 'GPL ICMP_INFO PING *NIX', 'Misc activity', 3],
    ['1:2010937:3', 'ET SCAN Suspicious inbound to mySQL port 3306', 'Potentially Bad Traffic', 2],
    ['1:2001219:20', 'ET SCAN Potential SSH Scan', 'Attempted Information Leak', 2],
  ];
  return () => {
    ms += int(r, 50, 3000);
    const d = new Date(ms);
    const p = (n: number): string => String(n).padStart(2, '0');
    const t = `${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}-${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${String(d.getUTCMilliseconds() * 1000 + int(r, 0, 999)).padStart(6, '0')}`;
    const [sid, msg, cls, prio] = r() < 0.0005 ? ['1:2019401:3', 'ET EXPLOIT Possible CVE-2014-6271 Attempt', 'Attempted Administrator Privilege Gain', 1] : pick(r, sigs);
    const proto = pick(r, ['TCP', 'UDP', 'TCP']);
    return `${t} [**] [${sid}] "${msg}" [**] [Classification: ${cls}] [Priority: ${prio}] {${proto}} ${int(r, 1, 223)}.${int(r, 0, 255)}.${int(r, 0, 255)}.${int(r, 1, 254)}:${int(r, 1024, 65535)} -> 10.0.20.${int(r, 2, 60)}:${pick(r, [22, 443, 8006, 3306])}`;
  };
}
