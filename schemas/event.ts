import { z } from 'zod';
import { K8sAuditEvent } from './sources/k8s-audit.js';
import { VaultAuditEntry } from './sources/vault-audit.js';
import { SyslogRecord } from './sources/syslog.js';
import { JournalEntry } from './sources/journal.js';
import { SnortAlert } from './sources/snort.js';
import { SwarmJson, SwarmText } from './sources/swarm.js';

// SecurityEvent: the one normalized shape every parser produces and every rule reads.
// Common facts (who, from where, did what, to what, when) are normalized fields; facts
// that only one family of rules needs live in an optional typed facet (ssh, ids, k8s,
// vault, drone, remote, boot, shutdown). `raw` keeps the source's own parsed object.
// Rules never reach into strings: every predicate in docs/rules.md reads a field here.

export const InputKind = z
  .enum(['k8s-audit', 'vault-audit', 'syslog', 'journal', 'snort', 'swarm'])
  .describe('the input format a line was read as');
export type InputKind = z.infer<typeof InputKind>;

export const App = z
  .enum(['k8s', 'vault', 'sshd', 'snort', 'swarm', 'sudo', 'logind', 'systemd', 'kernel', 'host', 'other'])
  .describe('the program or system that wrote the line');
export type App = z.infer<typeof App>;

export const Action = z
  .enum([
    'api.request', // a Kubernetes or Vault request with no more specific meaning
    'auth.success', // a login that succeeded (sshd Accepted, Vault login with a token issued)
    'auth.failure', // a failed authentication attempt (sshd Failed/Invalid user, PAM failure, Vault login error)
    'auth.other', // sshd/PAM chatter about an auth session: disconnects, closes, session open/close
    'connection.open', // sshd "Connection from <ip> port <n> on <local> port <n>"
    'token.create', // Vault auth/token/create*
    'audit.config', // Vault sys/audit/* (enable, change, disable)
    'seal', // Vault sys/seal or sys/step-down
    'policy.write', // Vault sys/policies/acl/* or sys/policy/*
    'drone.register',
    'drone.approve',
    'drone.remove',
    'drone.unresponsive',
    'remote.action', // the orchestrator is about to act on a machine over SSH
    'remote.action.sent',
    'service.start',
    'host.boot',
    'host.shutdown', // a shutdown or reboot marker or request
    'privilege.command', // sudo running a command as another user
    'ids.alert',
    'other',
  ])
  .describe('what happened, in a small closed vocabulary');
export type Action = z.infer<typeof Action>;

export const Outcome = z.enum(['success', 'failure', 'unknown']);
export type Outcome = z.infer<typeof Outcome>;

export const ActorKind = z.enum(['human', 'serviceaccount', 'node', 'token', 'system', 'unknown']);
export type ActorKind = z.infer<typeof ActorKind>;

export const Actor = z.object({
  name: z.string().nullable().describe('user name as logged (k8s username, Vault display name, sshd user)'),
  kind: ActorKind,
  id: z.string().nullable().describe('a stable identifier when the source has one (uid, entity id)'),
});
export type Actor = z.infer<typeof Actor>;

export const Client = z.object({
  addrs: z
    .array(z.string())
    .describe('client address chain in order: forwarded entries first, the connection peer last'),
  port: z.number().int().nullable(),
});

export const Target = z.object({
  resource: z.string().nullish(),
  subresource: z.string().nullish(),
  apiGroup: z.string().nullish(),
  namespace: z.string().nullish(),
  name: z.string().nullish(),
  path: z.string().nullish().describe('Vault path or Kubernetes request URI'),
  operation: z.string().nullish().describe('k8s verb or Vault operation'),
  address: z.string().nullish().describe('a network address acted upon (remote action target, IDS destination)'),
  port: z.number().int().nullish(),
});
export type Target = z.infer<typeof Target>;

export const SshFacet = z.object({
  form: z
    .string()
    .describe('which sshd/PAM message form matched, e.g. accepted, failed, invalid_user, connection_from, pam_auth_failure'),
  pid: z.number().int().nullable(),
  user: z.string().nullable(),
  invalidUser: z.boolean(),
  method: z.string().nullable().describe('password, publickey, keyboard-interactive/pam, ...'),
  keyType: z.string().nullable(),
  keyFingerprint: z.string().nullable(),
  localAddr: z.string().nullable(),
  localPort: z.number().int().nullable(),
  failures: z.number().int().describe('how many failed attempts this line stands for (PAM "N more" lines > 1)'),
});

export const IdsFacet = z.object({
  gid: z.number().int(),
  sid: z.number().int(),
  rev: z.number().int(),
  priority: z.number().int().nullable(),
  classification: z.string().nullable(),
  message: z.string(),
  proto: z.string(),
  src: z.object({ ip: z.string(), port: z.number().int().nullable() }),
  dst: z.object({ ip: z.string(), port: z.number().int().nullable() }),
});

export const K8sFacet = z.object({
  auditID: z.string(),
  stage: z.string(),
  level: z.string().nullable(),
  verb: z.string(),
  code: z.number().int().nullable(),
  userAgent: z.string().nullable(),
  groups: z.array(z.string()),
  impersonatedUser: z.string().nullable(),
  decision: z.string().nullable(),
  hasRequestObject: z.boolean(),
});

export const VaultFacet = z.object({
  requestId: z.string().nullable(),
  type: z.string().describe('request or response (kmip-* kept as is)'),
  operation: z.string().nullable(),
  path: z.string().nullable(),
  mountType: z.string().nullable(),
  error: z.string().nullable().describe('top-level error; "" and null normalized to null'),
  responseDataError: z.boolean().describe('response.data.error is present (HMAC\'d, so only its presence means anything)'),
  login: z.boolean().describe('path is auth/<mount>/login...'),
  displayName: z.string().nullable(),
  entityId: z.string().nullable(),
  callerPolicies: z.array(z.string()),
  metadata: z.record(z.string(), z.string()),
  issued: z
    .object({
      accessor: z.string().nullable(),
      policies: z.array(z.string()),
      tokenPolicies: z.array(z.string()),
    })
    .nullable()
    .describe('response.auth: the token this request issued, if any'),
});

export const DroneFacet = z.object({
  id: z.string(),
  sourceIp: z.string().nullable(),
  advertisedIp: z.string().nullable(),
  cores: z.number().nullable(),
  status: z.string().nullable(),
  by: z.string().nullable(),
});

export const RemoteFacet = z.object({
  action: z.string().describe('reboot, shutdown, kill, ...'),
  targetIp: z.string().nullable(),
  drone: z.string().nullable(),
  reason: z.string().nullable(),
});

export const BootFacet = z.object({
  bootId: z.string().nullable(),
  kernel: z.string().nullable(),
  evidence: z.enum(['boot_id', 'banner', 'wtmp']),
});

export const ShutdownFacet = z.object({
  kind: z.enum(['reboot', 'poweroff', 'halt', 'unknown']),
  via: z.enum(['sudo', 'logind', 'systemd', 'wtmp', 'shell', 'other']),
  requestedBy: z.string().nullable().describe('the user who asked for it, when the line says (sudo)'),
  command: z.string().nullable(),
});

export const Raw = z.discriminatedUnion('format', [
  z.object({ format: z.literal('k8s-audit'), entry: K8sAuditEvent }),
  z.object({ format: z.literal('vault-audit'), entry: VaultAuditEntry }),
  z.object({ format: z.literal('syslog'), record: SyslogRecord }),
  z.object({ format: z.literal('journal'), entry: JournalEntry }),
  z.object({ format: z.literal('snort'), alert: SnortAlert }),
  z.object({ format: z.literal('swarm-json'), entry: SwarmJson }),
  z.object({ format: z.literal('swarm-text'), entry: SwarmText }),
]);
export type Raw = z.infer<typeof Raw>;

export const SecurityEvent = z
  .object({
    id: z.string().min(1).describe('stable: the line\'s own id (auditID:stage, request id:type) or a hash of the line'),
    ts: z.string().describe('event time from the line, RFC 3339 UTC, source precision kept (up to ns)'),
    tsMs: z.number().int().describe('event time, epoch milliseconds'),
    tsSubNs: z.number().int().min(0).max(999_999).describe('nanoseconds past tsMs'),
    source: z.object({
      kind: InputKind,
      name: z.string().describe('the configured source name or input path'),
      position: z.string().describe('where the line was: "line N", a byte offset, a cursor'),
    }),
    app: App,
    host: z.string().nullable(),
    bootId: z.string().optional().describe('journald _BOOT_ID of the host when the line came from the journal'),
    action: Action,
    outcome: Outcome,
    actor: Actor,
    client: Client,
    target: Target,
    ssh: SshFacet.optional(),
    ids: IdsFacet.optional(),
    k8s: K8sFacet.optional(),
    vault: VaultFacet.optional(),
    drone: DroneFacet.optional(),
    remote: RemoteFacet.optional(),
    boot: BootFacet.optional(),
    shutdown: ShutdownFacet.optional(),
    raw: Raw,
  })
  .describe('A normalized security event');
export type SecurityEvent = z.infer<typeof SecurityEvent>;
