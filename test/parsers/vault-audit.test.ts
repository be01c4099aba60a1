import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { classifyPath, isLoginPath, parseVaultAudit, splitHostPort, vaultActorKind } from '../../services/parsers/vault-audit.js';
import type { ParseContext, ParseResult } from '../../services/parsers/types.js';
import { SecurityEvent } from '../../schemas/event.js';
import { ParseErrorCode } from '../../services/lib/errors.js';

const ctx = (over: Partial<ParseContext> = {}): ParseContext => ({
  kind: 'vault-audit',
  sourceName: 'vault-audit.log',
  position: 'line 1',
  carry: {},
  ...over,
});

function ok(line: string, c: ParseContext = ctx()): SecurityEvent {
  const r = parseVaultAudit(line, c);
  if (!r.ok) throw new Error(`expected an event, got ${r.error.code}: ${r.error.message}`);
  expect(SecurityEvent.safeParse(r.event).success).toBe(true);
  return r.event;
}

function err(line: string, c: ParseContext = ctx()): Extract<ParseResult, { ok: false }>['error'] {
  const r = parseVaultAudit(line, c);
  if (r.ok) throw new Error(`expected an error, got event ${r.event.id}`);
  return r.error;
}

const H = (c: string) => `hmac-sha256:${c.repeat(64).slice(0, 64)}`;
const rootAuth = { client_token: H('a'), accessor: H('b'), display_name: 'root', policies: ['root'], token_policies: ['root'], token_type: 'service' };
const humanAuth = {
  client_token: H('c'), accessor: H('d'), display_name: 'oidc-me@viktorbarzin.me', policies: ['default', 'admin'], token_policies: ['default', 'admin'],
  metadata: { username: 'me@viktorbarzin.me', role: 'default', groups_count: 3 }, entity_id: 'e4f5c67a-6f7e-789d-ae56-a1fe3ae23046',
  token_type: 'service', token_ttl: 3600, token_issue_time: '2025-06-04T16:01:31-04:00',
};
type Entry = Record<string, unknown>;
const req = (path: string, operation: string, extra: Entry = {}): Entry => ({
  id: '7c1e4b1a-5d2f-3e9a-8b7c-6d5e4f3a2b1c', operation, mount_type: 'token', client_token: H('a'), client_token_accessor: H('b'),
  namespace: { id: 'root' }, path, remote_address: '10.0.20.7', remote_port: 51432, ...extra,
});
const entry = (e: Entry) => JSON.stringify({ time: '2025-06-04T20:05:01.2Z', ...e });

describe('parseVaultAudit: token creation', () => {
  const request = entry({ type: 'request', auth: rootAuth, request: req('auth/token/create', 'update', { data: { policies: [H('e')] } }) });
  const response = entry({
    time: '2025-06-04T20:05:01.203117Z', type: 'response', auth: rootAuth, request: req('auth/token/create', 'update'),
    response: { mount_type: 'token', auth: { client_token: H('f'), accessor: H('9'), display_name: 'token', policies: ['default', 'root'], token_policies: ['default', 'root'], token_type: 'service' } },
  });

  it('maps the response fully', () => {
    const e = ok(response, ctx({ defaultHost: 'vault-0' }));
    expect(e).toMatchObject({
      id: 'vault:7c1e4b1a-5d2f-3e9a-8b7c-6d5e4f3a2b1c:response', ts: '2025-06-04T20:05:01.203117Z', tsSubNs: 117_000, app: 'vault', host: 'vault-0',
      action: 'token.create', outcome: 'success', actor: { name: 'root', kind: 'token', id: null },
      client: { addrs: ['10.0.20.7'], port: 51432 }, target: { path: 'auth/token/create', operation: 'update', name: null },
      vault: {
        requestId: '7c1e4b1a-5d2f-3e9a-8b7c-6d5e4f3a2b1c', type: 'response', operation: 'update', path: 'auth/token/create', mountType: 'token',
        error: null, responseDataError: false, login: false, displayName: 'root', entityId: null, callerPolicies: ['root'], metadata: {},
        issued: { accessor: H('9'), policies: ['default', 'root'], tokenPolicies: ['default', 'root'] },
      },
    });
  });

  it('request and response of one call get distinct ids and the same requestId', () => {
    const [a, b] = [ok(request), ok(response)];
    expect([a.id, b.id]).toEqual(['vault:7c1e4b1a-5d2f-3e9a-8b7c-6d5e4f3a2b1c:request', 'vault:7c1e4b1a-5d2f-3e9a-8b7c-6d5e4f3a2b1c:response']);
    expect(a.vault?.requestId).toBe(b.vault?.requestId);
    expect([a.outcome, a.vault?.issued, a.action]).toEqual(['unknown', null, 'token.create']);
  });
});

describe('classifyPath', () => {
  it.each([
    ['auth/token/create', 'token.create', null],
    ['auth/token/create-orphan', 'token.create', null],
    ['auth/token/create/admins', 'token.create', null],
    ['auth/token/create-bogus', 'api.request', null],
    ['auth/token/lookup-self', 'api.request', null],
    ['sys/audit/file', 'audit.config', 'file'],
    ['sys/audit/team/file2', 'audit.config', 'team/file2'],
    ['sys/audit', 'api.request', null],
    ['sys/audit/', 'api.request', null],
    ['sys/audit-hash/file', 'api.request', null],
    ['sys/seal', 'seal', null],
    ['sys/step-down', 'seal', null],
    ['sys/sealed', 'api.request', null],
    ['sys/policies/acl/admins', 'policy.write', 'admins'],
    ['sys/policy/lab-user', 'policy.write', 'lab-user'],
    ['sys/policies/acl', 'api.request', null],
    ['secret/data/apps/db', 'api.request', null],
  ] as const)('%s → %s', (path, action, name) => {
    expect(classifyPath(path)).toEqual({ action, name });
  });
});

describe('parseVaultAudit: sensitive operations', () => {
  it('sys/seal request-only entry', () => {
    const e = ok(entry({ type: 'request', auth: rootAuth, request: req('sys/seal', 'update', { mount_type: 'system' }) }));
    expect([e.action, e.outcome, e.target.operation, e.vault?.type]).toEqual(['seal', 'unknown', 'update', 'request']);
  });
  it.each([['update'], ['create'], ['delete'], ['read']])('policy write, operation %s', (op) => {
    const e = ok(entry({ type: 'response', auth: rootAuth, request: req('sys/policies/acl/admins', op, { mount_type: 'system' }), response: { mount_type: 'system' } }));
    expect([e.action, e.target.name, e.target.operation, e.outcome]).toEqual(['policy.write', 'admins', op, 'success']);
  });
  it('audit device disable (delete)', () => {
    const e = ok(entry({ type: 'request', auth: rootAuth, request: req('sys/audit/file', 'delete') }));
    expect([e.action, e.target.name, e.target.operation]).toEqual(['audit.config', 'file', 'delete']);
  });
});

describe('parseVaultAudit: logins', () => {
  const login = (extra: Entry) => entry({ type: 'response', request: req('auth/userpass/login/mallory', 'update', { mount_type: 'userpass', client_token: undefined, client_token_accessor: undefined }), ...extra });
  const issued = { client_token: H('1'), accessor: H('2'), display_name: 'userpass-alice', policies: ['default'], token_policies: ['default'], metadata: { username: 'alice' }, entity_id: 'ent-1' };

  it('success: a token was issued', () => {
    const e = ok(login({ auth: issued, response: { auth: issued } }));
    expect([e.action, e.outcome, e.actor.name, e.actor.kind, e.actor.id, e.vault?.login]).toEqual(['auth.success', 'success', 'alice', 'human', 'ent-1', true]);
  });
  it('unknown user: no top-level error, only response.data.error, no response.auth', () => {
    const e = ok(login({ auth: { token_type: 'default' }, response: { mount_type: 'userpass', data: { error: H('3') } } }));
    expect([e.action, e.outcome, e.vault?.error, e.vault?.responseDataError, e.vault?.issued]).toEqual(['auth.failure', 'failure', null, true, null]);
  });
  it('known user, wrong password: top-level error', () => {
    const e = ok(login({ auth: {}, response: { data: { error: H('4') } }, error: 'invalid credentials' }));
    expect([e.action, e.outcome, e.vault?.error]).toEqual(['auth.failure', 'failure', 'invalid credentials']);
  });
  it('no response.auth and no error still counts as a failed login', () => {
    expect(ok(login({ response: {} })).action).toBe('auth.failure');
    expect(ok(login({ response: { auth: null } })).action).toBe('auth.failure');
    expect(ok(login({})).action).toBe('auth.failure');
  });
  it('a response.auth holding only token_type issued nothing', () => {
    const e = ok(login({ response: { auth: { token_type: 'default' } } }));
    expect([e.action, e.vault?.issued]).toEqual(['auth.failure', null]);
  });
  it('the login request entry is an api.request', () => {
    const e = ok(entry({ type: 'request', request: req('auth/approle/login', 'update') }));
    expect([e.action, e.outcome, e.vault?.login, e.actor.kind]).toEqual(['api.request', 'unknown', true, 'unknown']);
  });
  it.each([
    ['auth/userpass/login/alice', null, true],
    ['auth/approle/login', null, true],
    ['auth/ldap/login/bob', 'auth/ldap/', true],
    ['auth/k8s/prod/login', 'auth/k8s/prod/', true],
    ['auth/k8s/prod/login', null, false],
    ['auth/userpass/users/login', null, false],
    ['auth/userpass/users/login', 'auth/userpass/', false],
    ['auth/token/lookup-self', null, false],
    ['sys/login', null, false],
    ['auth/oidc/loginx', null, false],
    ['auth/oidc/oidc/callback', null, true],
    ['auth/oidc/oidc/auth_url', null, false],
  ] as const)('isLoginPath(%s, %s) = %s', (path, mount, expected) => {
    expect(isLoginPath(path, mount)).toBe(expected);
  });
});

describe('parseVaultAudit: errors and empty values', () => {
  it('permission denied pair: request error, response with the old multi-line error', () => {
    const r = ok(entry({ type: 'request', auth: { token_type: 'default' }, request: req('sys/mounts', 'read'), error: 'permission denied' }));
    const s = ok(entry({ type: 'response', auth: { token_type: 'default' }, request: req('sys/mounts', 'read'), response: { data: { error: H('5') } }, error: '1 error occurred:\n\t* permission denied\n\n' }));
    expect([r.outcome, r.vault?.error]).toEqual(['failure', 'permission denied']);
    expect([s.outcome, s.vault?.error, s.vault?.responseDataError, s.action]).toEqual(['failure', '1 error occurred:\n\t* permission denied\n\n', true, 'api.request']);
    expect(s.actor).toEqual({ name: null, kind: 'unknown', id: null });
  });

  it('absent, null and "" mean the same', () => {
    const absent = ok(entry({ type: 'response', auth: { display_name: 'token' }, request: { id: 'r1', path: 'kv/x', operation: 'read' }, response: {} }));
    const nulls = ok(entry({
      type: 'response', error: null,
      auth: { display_name: 'token', policies: null, token_policies: null, metadata: null, entity_id: null, accessor: null },
      request: { id: 'r1', path: 'kv/x', operation: 'read', mount_type: null, remote_address: null, remote_port: null }, response: { data: null, mount_type: null },
    }));
    const empties = ok(entry({
      type: 'response', error: '',
      auth: { display_name: 'token', policies: [], metadata: {}, entity_id: '', accessor: '' },
      request: { id: 'r1', path: 'kv/x', operation: 'read', mount_type: '', remote_address: '' }, response: { data: { error: '' }, mount_type: '' },
    }));
    for (const e of [nulls, empties]) {
      expect(e.vault).toEqual(absent.vault);
      expect([e.client, e.actor, e.outcome]).toEqual([absent.client, absent.actor, absent.outcome]);
    }
    expect(absent.vault).toMatchObject({ error: null, mountType: null, entityId: null, callerPolicies: [], metadata: {}, issued: null, responseDataError: false });
    expect(absent.client).toEqual({ addrs: [], port: null });
  });

  it('empty request id falls back to a hash of the line', () => {
    expect(ok(entry({ type: 'request', request: { id: '', path: 'kv/x' } })).id).toMatch(/^vault-audit:[0-9a-f]{20}$/);
  });
});

describe('parseVaultAudit: actor', () => {
  it('reads the human, keeps string metadata only, ignores token_issue_time offset', () => {
    const e = ok(entry({ type: 'request', auth: humanAuth, request: req('sys/capabilities-self', 'update', { remote_address: '67.43.156.13', remote_port: undefined }) }));
    expect(e.actor).toEqual({ name: 'me@viktorbarzin.me', kind: 'human', id: 'e4f5c67a-6f7e-789d-ae56-a1fe3ae23046' });
    expect(e.vault?.metadata).toEqual({ username: 'me@viktorbarzin.me', role: 'default' });
    expect(e.vault?.displayName).toBe('oidc-me@viktorbarzin.me');
    expect(e.client).toEqual({ addrs: ['67.43.156.13'], port: null });
    expect(e.ts).toBe('2025-06-04T20:05:01.2Z');
  });
  it('a "__proto__" metadata key cannot change the prototype', () => {
    const e = ok(`{"time":"2025-06-04T20:05:01Z","type":"request","auth":{"display_name":"ldap-x","metadata":{"__proto__":{"username":"evil"},"username":"x"}}}`);
    expect(Object.getPrototypeOf(e.vault?.metadata)).toBe(Object.prototype);
    expect(e.vault?.metadata.username).toBe('x');
    expect(e.actor.name).toBe('x');
  });
  it.each([
    ['root', null, 'token'], ['token', null, 'token'], ['token-lab-admins', null, 'token'],
    ['token-375f9cb3-4355-42c7-eab5-029f8a310ca7-runner', null, 'token'],
    ['approle', null, 'serviceaccount'], ['kubernetes-vault-auth', null, 'serviceaccount'],
    ['userpass-alice', 'alice', 'human'], ['userpass-alice', null, 'human'], ['oidc-1234', null, 'human'],
    ['ldap-bob', null, 'human'], ['github-carol', null, 'human'], ['cert-web', null, 'unknown'], [null, 'dave', 'human'], [null, null, 'unknown'],
  ] as const)('%s (username %s) → %s', (d, u, kind) => {
    expect(vaultActorKind(d, u)).toBe(kind);
  });
});

describe('parseVaultAudit: addresses, prefix, KMIP', () => {
  it.each([
    ['10.0.20.7', '10.0.20.7', null], ['2001:db8::10', '2001:db8::10', null], ['::1', '::1', null], ['::ffff:10.0.20.5', '::ffff:10.0.20.5', null],
    ['192.168.0.10:36776', '192.168.0.10', 36776], ['[2001:db8::10]:36778', '2001:db8::10', 36778], ['[::1]', '::1', null],
    ['1.2.3.4:99999', '1.2.3.4:99999', null], ['1.2.3.4:', '1.2.3.4:', null],
  ] as const)('splitHostPort(%s)', (text, addr, port) => {
    expect(splitHostPort(text)).toEqual({ addr, port });
  });

  const kmip = JSON.stringify({
    request: { client_certificate_serial_number: '79311139933792246475030417908586135267121780670', data: { kmip_request: { tag: 'RequestMessage', value: [] } }, namespace: { id: 'root' }, remote_address: '[2001:db8::10]:36778' },
    response: { data: { kmip_response: { tag: 'ResponseMessage', value: [] } } }, time: '2026-05-20T13:51:00.100000000Z', type: 'kmip-response',
  });
  it('KMIP entries parse as api.request with the port split off', () => {
    const e = ok(kmip);
    expect(e).toMatchObject({ action: 'api.request', outcome: 'unknown', ts: '2026-05-20T13:51:00.1Z', client: { addrs: ['2001:db8::10'], port: 36778 } });
    expect(e.vault).toMatchObject({ type: 'kmip-response', requestId: null, path: null, login: false });
    expect(e.id).toBe(ok(kmip).id); // stable hash id
  });

  it('strips a prefix before the JSON, and the prefix does not change the id', () => {
    const plain = entry({ type: 'request', request: { path: 'kv/x', operation: 'read' } });
    for (const p of ['vault-0 ', 'AUDIT: ', '  ']) {
      const e = ok(p + plain);
      expect(e.id).toBe(ok(plain).id);
      expect(e.target.path).toBe('kv/x');
    }
  });
});

describe('parseVaultAudit: parse errors', () => {
  it.each([
    ['empty', '', ParseErrorCode.EMPTY],
    ['NUL', `{"time":"2025-06-04T20:05:01Z","type":"request"\u0000}`, ParseErrorCode.BINARY],
    ['no JSON at all', 'vault audit device enabled', ParseErrorCode.JSON],
    ['truncated', entry({ type: 'request', request: req('kv/x', 'read') }).slice(0, 90), ParseErrorCode.JSON],
    ['prefixed and truncated', 'AUDIT: {"time":"2025-06', ParseErrorCode.JSON],
    ['array', '[{"time":"x"}]', ParseErrorCode.JSON], // the first `{` is inside the array: the rest is not JSON
    ['missing time', JSON.stringify({ type: 'request' }), ParseErrorCode.SHAPE],
    ['missing type', entry({}), ParseErrorCode.SHAPE],
    ['policies not strings', entry({ type: 'request', auth: { policies: [1] } }), ParseErrorCode.SHAPE],
    ['fractional port', entry({ type: 'request', request: { remote_port: 1.5 } }), ParseErrorCode.SHAPE],
    ['bad time', entry({ type: 'request', time: '30/04/2020 14:27' }), ParseErrorCode.TIMESTAMP],
  ])('%s → %s', (_n, text, code) => {
    expect(err(text, ctx({ position: 'line 9' }))).toMatchObject({ code, kind: 'vault-audit', position: 'line 9', sample: text });
  });
});

describe('parseVaultAudit: never throws', () => {
  it('on arbitrary text and JSON', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), fc.jsonValue({ maxDepth: 3 }), (s, v) => {
      for (const l of [s, JSON.stringify(v), entry({ type: 'response', request: v, response: v, auth: v })]) {
        const r = parseVaultAudit(l, ctx());
        if (r.ok) expect(SecurityEvent.safeParse(r.event).success).toBe(true);
      }
    }), { numRuns: 500 });
  });
});
