import { describe, expect, it } from 'vitest';
import { V1 } from '../../rules/vault/v1-root-token.js';
import { findingsOf, makeContext } from '../helpers/context.js';
import { HUMAN_AUTH, ROOT_AUTH, vaultEvent } from '../helpers/rule-events.js';

const ctx = makeContext();
const issued = (policies: string[]) => ({ client_token: 'hmac-sha256:tok', accessor: 'hmac-sha256:new-accessor', policies, token_policies: policies, token_type: 'service' });
const run = (o: Parameters<typeof vaultEvent>[0]) => findingsOf(V1.match(vaultEvent(o), ctx));

describe('V1 root token created', () => {
  it('fires when the response issues a token with policies ["default","root"]', () => {
    const [f, ...rest] = run({ type: 'response', path: 'auth/token/create', auth: HUMAN_AUTH, responseAuth: issued(['default', 'root']) });
    expect(rest).toEqual([]);
    expect(f!.key).toBe('hmac-sha256:new-accessor');
    expect(f!.summary).toBe('oidc-me@viktorbarzin.me created a root token (policies default, root) via auth/token/create from 10.0.20.15');
    expect(f!.fields).toMatchObject({ actor: 'oidc-me@viktorbarzin.me', addresses: ['10.0.20.15'], target: 'auth/token/create' });
    expect(f!.fields!.details).toMatchObject({ accessor: 'hmac-sha256:new-accessor', issuedPolicies: ['default', 'root'], requestId: '7c1e0d52-7a5e-4b44-9f5f-1b2c3d4e5f60' });
  });

  it('fires for root alone, via create-orphan and create/<role>, root parent included', () => {
    expect(run({ type: 'response', path: 'auth/token/create-orphan', auth: ROOT_AUTH, responseAuth: issued(['root']) }).map((f) => f.key)).toEqual([
      'hmac-sha256:new-accessor',
    ]);
    expect(run({ type: 'response', path: 'auth/token/create/ops', auth: ROOT_AUTH, responseAuth: issued(['root']) })).toHaveLength(1);
  });

  it('does not fire without root, on the request entry, or on other paths', () => {
    expect(run({ type: 'response', path: 'auth/token/create', auth: ROOT_AUTH, responseAuth: issued(['default', 'ci']) })).toEqual([]);
    expect(run({ type: 'request', path: 'auth/token/create', auth: ROOT_AUTH })).toEqual([]);
    expect(run({ type: 'response', path: 'auth/userpass/login/me', auth: null, responseAuth: issued(['root']) })).toEqual([]);
    expect(run({ type: 'response', path: 'auth/token/create', auth: ROOT_AUTH, error: 'permission denied' })).toEqual([]);
  });

  it('falls back to the request id when the accessor is not logged', () => {
    const out = run({ type: 'response', path: 'auth/token/create', auth: ROOT_AUTH, responseAuth: { client_token: 'hmac-sha256:t', policies: ['root'] } });
    expect(out.map((f) => f.key)).toEqual(['7c1e0d52-7a5e-4b44-9f5f-1b2c3d4e5f60']);
  });

  it('declares its metadata', () => {
    expect(V1).toMatchObject({ id: 'V1', severity: 'critical', runbook: 'v1', tags: ['T1078'], sources: ['vault-audit'], apps: ['vault'] });
  });
});
