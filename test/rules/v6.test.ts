import { describe, expect, it } from 'vitest';
import { V6 } from '../../rules/vault/v6-child-token-escalation.js';
import { findingsOf, makeContext } from '../helpers/context.js';
import { ROOT_AUTH, vaultEvent } from '../helpers/rule-events.js';

const ctx = makeContext();
const parent = (policies: string[]) => ({ accessor: 'hmac-sha256:parent', display_name: 'approle', policies, token_policies: policies, metadata: { role_name: 'ci' } });
const child = (policies: string[]) => ({ client_token: 'hmac-sha256:tok', accessor: 'hmac-sha256:child', policies, token_policies: policies });
const run = (p: string[], c: string[], type: 'request' | 'response' = 'response') =>
  findingsOf(V6.match(vaultEvent({ type, path: 'auth/token/create', auth: parent(p), responseAuth: type === 'response' ? child(c) : undefined }), ctx));

describe('V6 child token with escalated policies', () => {
  it('does not fire when the child policies (ignoring default) are a subset of the parent', () => {
    expect(run(['default', 'ci', 'deploy'], ['default', 'ci'])).toEqual([]);
    expect(run(['ci'], ['default', 'ci'])).toEqual([]); // default is ignored
    expect(run(['ci'], ['ci'])).toEqual([]);
  });

  it('fires when the child holds a policy the parent lacks', () => {
    const [f, ...rest] = run(['default', 'ci'], ['default', 'ci', 'admin']);
    expect(rest).toEqual([]);
    expect(f!.key).toBe('hmac-sha256:child');
    expect(f!.summary).toBe('approle created a child token with policies it does not hold (admin) via auth/token/create from 10.0.20.15');
    expect(f!.fields!.details).toMatchObject({ escalatedPolicies: ['admin'], parentPolicies: ['default', 'ci'], issuedPolicies: ['default', 'ci', 'admin'] });
  });

  it('fires for a root child of a non-root parent', () => {
    expect(run(['ci'], ['root']).map((f) => f.fields!.details!.escalatedPolicies)).toEqual([['root']]);
  });

  it('never fires for a root parent', () => {
    expect(findingsOf(V6.match(vaultEvent({ type: 'response', path: 'auth/token/create', auth: ROOT_AUTH, responseAuth: child(['admin', 'root']) }), ctx))).toEqual([]);
  });

  it('reads the response only', () => {
    expect(run(['ci'], ['admin'], 'request')).toEqual([]);
  });

  it('declares its metadata', () => {
    expect(V6).toMatchObject({ id: 'V6', severity: 'critical', runbook: 'v6', sources: ['vault-audit'], apps: ['vault'] });
  });
});
