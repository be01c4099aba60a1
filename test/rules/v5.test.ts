import { describe, expect, it } from 'vitest';
import { V5, isVaultFailure } from '../../rules/vault/v5-auth-failures.js';
import type { Alert } from '../../schemas/alert.js';
import { alertId } from '../../services/engine/alert-id.js';
import { makeEngine } from '../helpers/engine.js';
import { parseLine } from '../helpers/events.js';

type Obj = Record<string, unknown>;

interface Entry {
  sec: number;
  id: string;
  type?: 'request' | 'response';
  path?: string;
  remote?: string;
  error?: string;
  response?: Obj;
  auth?: Obj;
}

/** One line of Vault's file audit device. */
function line(e: Entry): string {
  const time = new Date(Date.UTC(2026, 5, 10, 4, 0, 0) + e.sec * 1000).toISOString();
  const type = e.type ?? 'response';
  return JSON.stringify({
    time,
    type,
    auth: e.auth ?? { token_type: 'default' },
    request: {
      id: e.id,
      operation: 'update',
      mount_type: 'userpass',
      path: e.path ?? 'auth/userpass/login/admin',
      remote_address: e.remote ?? '198.51.100.7',
      data: { password: 'hmac-sha256:1111' },
    },
    ...(type === 'response' ? { response: e.response ?? { mount_type: 'userpass', data: { error: 'hmac-sha256:2222' } } } : {}),
    ...(e.error !== undefined ? { error: e.error } : {}),
  });
}

function replay(entries: Entry[], config = {}): Alert[] {
  const engine = makeEngine([V5], { config });
  const out: Alert[] = [];
  for (const e of entries) {
    const l = line(e);
    out.push(...engine.push({ event: parseLine('vault-audit', l), line: l }));
  }
  return [...out, ...engine.flush()];
}

/** An unknown user's failed login: request and response entries, only response.data.error, no top-level error. */
const unknownUserLogin = (i: number, over: Partial<Entry> = {}): Entry[] => [
  { sec: i * 2, id: `r-${i}`, type: 'request', ...over },
  { sec: i * 2, id: `r-${i}`, type: 'response', ...over },
];

describe('V5 Vault auth failures', () => {
  it('counts unknown-user login failures that carry only response.data.error, once per request id', () => {
    const alerts = replay(Array.from({ length: 11 }, (_, i) => unknownUserLogin(i)).flat());
    expect(alerts).toHaveLength(1);
    const a = alerts[0]!;
    expect(a).toMatchObject({ rule: 'V5', key: '198.51.100.7', count: 11, severity: 'warning', runbook: 'docs/runbooks.md#v5' });
    expect(a.id).toBe(alertId('V5', '198.51.100.7', `t:${Date.parse(a.ts)}.0`));
    expect(a.summary).toBe('11 failed Vault requests in 20 s from 198.51.100.7 (11) on auth/userpass/login/admin (11)');
    expect(a.fields.details).toMatchObject({ failures: 11, topPaths: ['auth/userpass/login/admin (11)'], errors: ['login error in response data (11)'] });
    expect(a.evidence.every((e) => JSON.parse(e.line).type === 'response')).toBe(true);
  });

  it('does not fire at the threshold (10)', () => {
    expect(replay(Array.from({ length: 10 }, (_, i) => unknownUserLogin(i)).flat())).toEqual([]);
  });

  it('judges responses: a login with no token issued fails, one with a token succeeds, request entries never count', () => {
    const fail = (sec: number, id: string, response: Obj) => ({ sec, id, response });
    const issued = { client_token: 'hmac-sha256:t', accessor: 'hmac-sha256:a', display_name: 'userpass-bob', policies: ['default'] };
    const noAuth = Array.from({ length: 11 }, (_, i) => fail(i, `n-${i}`, { mount_type: 'userpass' }));
    expect(replay(noAuth).map((a) => a.count)).toEqual([11]);
    const ok = Array.from({ length: 20 }, (_, i) => fail(i, `ok-${i}`, { mount_type: 'userpass', auth: issued }));
    expect(replay(ok)).toEqual([]);
    const requestsOnly = Array.from({ length: 20 }, (_, i): Entry => ({ sec: i, id: `q-${i}`, type: 'request', error: 'permission denied' }));
    expect(replay(requestsOnly)).toEqual([]);
  });

  it('counts top-level errors on any path (permission denied, invalid token)', () => {
    const denied = Array.from({ length: 11 }, (_, i): Entry => ({
      sec: i, id: `d-${i}`, path: i % 2 ? 'secret/data/prod/db' : 'sys/mounts', error: 'permission denied', response: { mount_type: 'kv' },
    }));
    const [a] = replay(denied);
    expect(a!.fields.details?.topPaths).toEqual(['sys/mounts (6)', 'secret/data/prod/db (5)']);
    expect(isVaultFailure(parseLine('vault-audit', line(denied[0]!)))).toBe(true);
  });

  it('keys by remote address, or `*` with groupBy none (then it lists the addresses)', () => {
    const spread = Array.from({ length: 12 }, (_, i) => unknownUserLogin(i, { remote: `203.0.113.${i % 3}` })).flat();
    expect(replay(spread)).toEqual([]);
    const [a, ...rest] = replay(spread, { vault: { authFailures: { groupBy: 'none' } } });
    expect(rest).toEqual([]);
    expect(a!.key).toBe('*');
    expect(a!.fields.addresses).toEqual(['203.0.113.0', '203.0.113.1', '203.0.113.2']);
    expect(a!.summary).toBe('11 failed Vault requests in 20 s from 203.0.113.0 (4), 203.0.113.1 (4), 203.0.113.2 (3) on auth/userpass/login/admin (11)');
  });
});
