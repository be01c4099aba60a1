// Events for rule tests, made the way production makes them: realistic log lines run
// through the real parsers, so a rule test also checks that the rule reads the fields
// the parsers fill. Every event is validated against the SecurityEvent schema.
import { SecurityEvent, type InputKind } from '../../schemas/event.js';
import { parsers } from '../../services/parsers/index.js';
import type { ParseContext } from '../../services/parsers/types.js';

export function parseOne(kind: InputKind, line: string, over: Partial<ParseContext> = {}): SecurityEvent {
  const r = parsers[kind](line, { kind, sourceName: `test-${kind}`, position: 'line 1', carry: {}, year: 2026, ...over });
  if (!r.ok) throw new Error(`test line did not parse (${r.error.code}: ${r.error.message}): ${line}`);
  return SecurityEvent.parse(r.event);
}

type Obj = Record<string, unknown>;

// ---------------------------------------------------------------- Kubernetes audit

/** A ResponseComplete event as kube-apiserver writes it (audit.k8s.io/v1). */
export const K8S_BASE: Obj = {
  kind: 'Event',
  apiVersion: 'audit.k8s.io/v1',
  level: 'Metadata',
  auditID: '6b8e2d0c-1f3a-4f5e-9a7b-2c4d6e8f0a1b',
  stage: 'ResponseComplete',
  requestURI: '/api/v1/namespaces/ci/pods',
  verb: 'list',
  user: {
    username: 'system:serviceaccount:ci:deployer',
    uid: 'a1b2c3d4-0000-4000-8000-000000000001',
    groups: ['system:serviceaccounts', 'system:serviceaccounts:ci', 'system:authenticated'],
  },
  sourceIPs: ['10.10.3.17'],
  userAgent: 'kubectl/v1.31.0 (linux/amd64) kubernetes/abcdef',
  objectRef: { resource: 'pods', namespace: 'ci', apiVersion: 'v1' },
  responseStatus: { metadata: {}, code: 200 },
  requestReceivedTimestamp: '2026-06-10T01:02:03.114903Z',
  stageTimestamp: '2026-06-10T01:02:03.117181Z',
  annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' },
};

/** A k8s audit event: K8S_BASE with top-level fields replaced (undefined removes one). */
export function k8sEvent(over: Obj = {}): SecurityEvent {
  const o: Obj = { ...K8S_BASE, ...over };
  for (const [k, v] of Object.entries(o)) if (v === undefined) delete o[k];
  return parseOne('k8s-audit', JSON.stringify(o));
}

export const human = (username = 'me@viktorbarzin.me'): Obj => ({
  username,
  groups: ['oidc:admins', 'system:authenticated'],
});
export const sa = (ns: string, name: string): Obj => ({
  username: `system:serviceaccount:${ns}:${name}`,
  groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
});

// ---------------------------------------------------------------- Vault audit

export interface VaultEntryOpts {
  type?: 'request' | 'response';
  id?: string;
  path: string;
  operation?: string;
  remote?: string;
  auth?: Obj | null;
  responseAuth?: Obj;
  error?: string;
  mountType?: string;
}

/** A Vault file-audit entry (one line) through the real parser. */
export function vaultEvent(o: VaultEntryOpts): SecurityEvent {
  const type = o.type ?? 'request';
  const entry: Obj = {
    time: type === 'request' ? '2026-06-10T01:02:03.100000Z' : '2026-06-10T01:02:03.117181Z',
    type,
    request: {
      id: o.id ?? '7c1e0d52-7a5e-4b44-9f5f-1b2c3d4e5f60',
      operation: o.operation ?? 'update',
      mount_type: o.mountType ?? 'system',
      namespace: { id: 'root' },
      path: o.path,
      remote_address: o.remote ?? '10.0.20.15',
      remote_port: 50312,
    },
  };
  if (o.auth !== null) entry.auth = o.auth ?? TERRAFORM_AUTH;
  if (type === 'response') entry.response = o.responseAuth ? { auth: o.responseAuth, mount_type: 'token' } : { mount_type: 'system' };
  if (o.error !== undefined) entry.error = o.error;
  return parseOne('vault-audit', JSON.stringify(entry));
}

export const ROOT_AUTH: Obj = { accessor: 'hmac-sha256:aa', display_name: 'root', policies: ['root'], token_policies: ['root'], token_type: 'service' };
export const TERRAFORM_AUTH: Obj = {
  accessor: 'hmac-sha256:bb',
  display_name: 'approle',
  policies: ['default', 'terraform'],
  token_policies: ['default', 'terraform'],
  metadata: { role_name: 'terraform' },
  entity_id: '11111111-2222-3333-4444-555555555555',
  token_type: 'service',
};
export const HUMAN_AUTH: Obj = {
  accessor: 'hmac-sha256:cc',
  display_name: 'oidc-me@viktorbarzin.me',
  policies: ['admin', 'default'],
  token_policies: ['admin', 'default'],
  metadata: { role: 'default' },
  entity_id: '99999999-8888-7777-6666-555555555555',
  token_type: 'service',
};

// ---------------------------------------------------------------- syslog programs

/** An RFC 3339 rsyslog file line from `program[pid]` on `host`. */
export function syslogLine(host: string, program: string, pid: number | null, msg: string, ts = '2026-06-10T01:02:03.000000+00:00'): string {
  return `${ts} ${host} ${program}${pid === null ? '' : `[${pid}]`}: ${msg}`;
}

export function sshdEvent(msg: string, host = 'pve', pid = 4242): SecurityEvent {
  return parseOne('syslog', syslogLine(host, 'sshd', pid, msg));
}

/** A Snort 3 alert_fast line. */
export function snortEvent(priority: number, sid = 2024218, src = '198.51.100.9:49152', dst = '10.0.20.5:445', msg = 'ET EXPLOIT Possible EternalBlue'): SecurityEvent {
  return parseOne(
    'snort',
    `06/10-14:22:31.482911 [**] [1:${sid}:3] "${msg}" [**] [Classification: Attempted Administrator Privilege Gain] [Priority: ${priority}] {TCP} ${src} -> ${dst}`,
  );
}

/** A swarm JSON line. */
export function swarmEvent(o: Obj): SecurityEvent {
  return parseOne('swarm', JSON.stringify({ ts: '2026-06-10T02:42:16Z', ...o }));
}
