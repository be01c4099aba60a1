// Vault file audit device parser: one JSON entry per line (`format=json`).
// Format: https://developer.hashicorp.com/vault/docs/audit/schema
//
// Invariants:
// - The device's `prefix` option prepends a fixed string to each line. A line that does
//   not start with `{` has everything before its first `{` stripped (a prefix cannot
//   usefully contain `{`); a line with no `{` at all is a JSON error.
// - id = `vault:<request.id>:<type>`: the request and response entries of one call share
//   request.id and get distinct ids. Entries without an id (KMIP, `help`) get a hash of
//   the JSON text (without the prefix, so the prefix does not change the id).
// - Absent, null and "" mean the same (current Vault omits empty fields, old versions
//   wrote null or ""): all three become null, or [] for lists.
// - Vault HMACs every string in request/response data, so only the *presence* of
//   response.data.error means anything; its value is never read.
// - Pure: no I/O, no clock, no throw.
import type { Action, ActorKind, Outcome, SecurityEvent } from '../../schemas/event.js';
import { VaultAuditEntry, type VaultAuth } from '../../schemas/sources/vault-audit.js';
import { ParseErrorCode } from '../lib/errors.js';
import { cachedRfc3339 } from './cached-time.js';
import { baseEvent, describeIssues, fail, lineId, parseJsonObject, precheck } from './common.js';
import type { ParseContext, ParseResult, Parser } from './types.js';

/** "" / null / undefined → null. */
function str(v: string | null | undefined): string | null {
  return v === undefined || v === null || v === '' ? null : v;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Whether an auth block names a token: a client token, accessor, name, entity or policy.
 * `token_type` alone does not count (Vault writes `{"token_type":"default"}` when no
 * token was resolved), nor do all-null/"" blocks from old versions.
 */
function namesToken(a: VaultAuth | null | undefined): a is VaultAuth {
  if (!a) return false;
  return [a.client_token, a.accessor, a.display_name, a.entity_id, a.policies, a.token_policies, a.identity_policies].some(
    (v) => (typeof v === 'string' && v !== '') || (Array.isArray(v) && v.length > 0),
  );
}

/**
 * Splits `remote_address` into address and port. Normal entries hold a bare IPv4 or
 * IPv6 address (never split those on ':'); KMIP entries append the port: `1.2.3.4:5678`
 * or `[2001:db8::10]:36778`.
 */
export function splitHostPort(text: string): { addr: string; port: number | null } {
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return { addr: text, port: null };
    const rest = text.slice(close + 1);
    return { addr: text.slice(1, close), port: rest.startsWith(':') ? toPort(rest.slice(1)) : null };
  }
  const colon = text.indexOf(':');
  // Exactly one colon: IPv4 (or a name) with a port. Two or more: bare IPv6, leave it be.
  if (colon > 0 && text.indexOf(':', colon + 1) < 0) {
    const port = toPort(text.slice(colon + 1));
    if (port !== null) return { addr: text.slice(0, colon), port };
  }
  return { addr: text, port: null };
}

function toPort(s: string): number | null {
  if (s.length === 0 || s.length > 5) return null;
  for (const c of s) if (c < '0' || c > '9') return null;
  const n = Number(s);
  return n <= 65535 ? n : null;
}

/**
 * Whether the path is a login: `auth/<mount>/login` or `auth/<mount>/login/<user>`.
 * When the entry names its mount point (newer Vault), the mount may be nested
 * (`auth/k8s/prod/login`); otherwise the mount is taken as one segment, which never
 * mistakes an admin call like `auth/userpass/users/login` for a login.
 */
export function isLoginPath(path: string | null, mountPoint: string | null): boolean {
  if (!path || !path.startsWith('auth/')) return false;
  let rest: string | undefined;
  if (mountPoint && mountPoint.startsWith('auth/')) {
    const mount = mountPoint.endsWith('/') ? mountPoint : `${mountPoint}/`;
    if (path.startsWith(mount)) rest = path.slice(mount.length);
  }
  rest ??= path.split('/').slice(2).join('/');
  // OIDC/JWT browser logins finish at <mount>/oidc/callback, where the token is issued.
  return rest === 'login' || rest.startsWith('login/') || rest === 'oidc/callback';
}

/** The action a path stands for, and the target name rules key on (policy or device). */
export function classifyPath(path: string | null): { action: Action; name: string | null } {
  if (path === null) return { action: 'api.request', name: null };
  if (path === 'auth/token/create' || path === 'auth/token/create-orphan' || path.startsWith('auth/token/create/')) {
    return { action: 'token.create', name: null };
  }
  // sys/audit/<device>, but not the sys/audit listing and not sys/audit-hash/<device>.
  if (path.startsWith('sys/audit/') && path.length > 'sys/audit/'.length) {
    return { action: 'audit.config', name: path.slice('sys/audit/'.length) };
  }
  if (path === 'sys/seal' || path === 'sys/step-down') return { action: 'seal', name: null };
  for (const prefix of ['sys/policies/acl/', 'sys/policy/']) {
    if (path.startsWith(prefix) && path.length > prefix.length) return { action: 'policy.write', name: path.slice(prefix.length) };
  }
  return { action: 'api.request', name: null };
}

/**
 * Actor kind from the token's display name, which Vault builds as `<mount>-<name>`:
 * root/token/token-* are plain tokens (including Nomad workload tokens), approle and
 * kubernetes-* are workloads, userpass/oidc/ldap/github or a metadata username are people.
 */
export function vaultActorKind(displayName: string | null, username: string | null): ActorKind {
  const d = displayName ?? '';
  if (d === 'root' || d === 'token' || d.startsWith('token-')) return 'token';
  if (d.startsWith('approle') || d.startsWith('kubernetes-')) return 'serviceaccount';
  if (username !== null) return 'human';
  for (const p of ['userpass-', 'oidc-', 'ldap-', 'github-']) if (d.startsWith(p)) return 'human';
  return 'unknown';
}

/** Lines come in time order: the minute's arithmetic is reused (cached-time.ts). */
const parseTime = cachedRfc3339();

export const parseVaultAudit: Parser = (line: string, ctx: ParseContext): ParseResult => {
  const pre = precheck(line, ctx);
  if (pre) return pre;
  const brace = line.indexOf('{');
  if (brace < 0) return fail(ctx, ParseErrorCode.JSON, 'no JSON object in line', line);
  const text = brace === 0 ? line : line.slice(brace);
  const json = parseJsonObject(text, ctx);
  // Keep the whole line (prefix included) as the error sample.
  if (!json.ok) return brace === 0 || json.result.ok ? json.result : fail(ctx, json.result.error.code, json.result.error.message, line);
  const parsed = VaultAuditEntry.safeParse(json.value);
  if (!parsed.success) return fail(ctx, ParseErrorCode.SHAPE, `not a Vault audit entry: ${describeIssues(parsed.error.issues)}`, line);
  const e = parsed.data;

  const time = parseTime(e.time);
  if (!time) return fail(ctx, ParseErrorCode.TIMESTAMP, `time is not RFC 3339: ${e.time.slice(0, 64)}`, line);

  const req = e.request ?? null;
  const res = e.response ?? null;
  const auth = e.auth ?? null;
  const requestId = str(req?.id);
  const id = requestId !== null ? `vault:${requestId}:${e.type}` : lineId('vault-audit', text);
  const event: SecurityEvent = baseEvent(ctx, id, time, 'vault', { format: 'vault-audit', entry: e });

  const path = str(req?.path);
  const operation = str(req?.operation);
  const error = str(e.error);
  const responseDataError = isObj(res?.data) && res.data.error !== undefined && res.data.error !== null && res.data.error !== '';
  const login = isLoginPath(path, str(req?.mount_point));
  const issuedAuth = namesToken(res?.auth) ? res.auth : null;
  const isResponse = e.type === 'response';

  // Outcome. Responses: a top-level error or an error in response.data. Requests only
  // know about errors Vault found before routing (permission denied). KMIP entries keep
  // their result in a TTLV tree we do not interpret: unknown unless Vault wrote an error.
  let outcome: Outcome = error !== null ? 'failure' : isResponse ? (responseDataError ? 'failure' : 'success') : 'unknown';
  let { action, name } = classifyPath(path);
  if (login) {
    // An unknown user's failed login has no top-level error, only response.data.error
    // and no response.auth; so "no token issued" is itself a failure (rule V5).
    if (isResponse) {
      action = error === null && !responseDataError && issuedAuth !== null ? 'auth.success' : 'auth.failure';
      if (action === 'auth.failure') outcome = 'failure';
    } else if (e.type === 'request') {
      action = 'api.request';
    }
  }

  const displayName = str(auth?.display_name);
  // fromEntries defines own properties, so a key named "__proto__" stays data.
  const metadata: Record<string, string> = Object.fromEntries(
    Object.entries(isObj(auth?.metadata) ? auth.metadata : {}).filter((kv): kv is [string, string] => typeof kv[1] === 'string'),
  );
  const username = str(metadata.username);
  const entityId = str(auth?.entity_id);

  // remote_address is the TCP peer, or the X-Forwarded-For client when the listener
  // trusts the peer; either way one address, never a chain.
  const remote = str(req?.remote_address);
  const hostPort = remote === null ? null : splitHostPort(remote);

  event.action = action;
  event.outcome = outcome;
  event.actor = { name: username ?? displayName, kind: vaultActorKind(displayName, username), id: entityId };
  event.client = { addrs: hostPort ? [hostPort.addr] : [], port: req?.remote_port ?? hostPort?.port ?? null };
  event.target = { path, operation, name };
  event.vault = {
    requestId,
    type: e.type,
    operation,
    path,
    mountType: str(req?.mount_type) ?? str(res?.mount_type),
    error,
    responseDataError,
    login,
    displayName,
    entityId,
    callerPolicies: [...(auth?.policies ?? [])],
    metadata,
    issued: issuedAuth
      ? {
          accessor: str(issuedAuth.accessor),
          policies: [...(issuedAuth.policies ?? [])],
          tokenPolicies: [...(issuedAuth.token_policies ?? [])],
        }
      : null,
  };
  return { ok: true, event };
};
