import { describe, expect, it } from 'vitest';
import { V4 } from '../../rules/vault/v4-policy-write.js';
import { findingsOf, makeContext } from '../helpers/context.js';
import { HUMAN_AUTH, TERRAFORM_AUTH, vaultEvent } from '../helpers/rule-events.js';

const ctx = makeContext();
const run = (o: Partial<Parameters<typeof vaultEvent>[0]>, c = ctx) => findingsOf(V4.match(vaultEvent({ path: 'sys/policies/acl/admin', ...o }), c));

describe('V4 policy write', () => {
  it('fires for a human writing a policy', () => {
    const [f, ...rest] = run({ auth: HUMAN_AUTH, remote: '10.0.20.40' });
    expect(rest).toEqual([]);
    expect(f!.key).toBe('admin');
    expect(f!.summary).toBe('oidc-me@viktorbarzin.me wrote Vault policy admin (update sys/policies/acl/admin) from 10.0.20.40');
    expect(f!.fields).toMatchObject({ actor: 'oidc-me@viktorbarzin.me', target: 'sys/policies/acl/admin' });
    expect(f!.fields!.details).toMatchObject({ policy: 'admin', operation: 'update' });
  });

  it('fires for the legacy path and for deletes', () => {
    expect(run({ auth: HUMAN_AUTH, path: 'sys/policy/ci', operation: 'delete' }).map((f) => f.summary)).toEqual([
      'oidc-me@viktorbarzin.me deleted Vault policy ci (delete sys/policy/ci) from 10.0.20.15',
    ]);
  });

  it('does not fire for the Terraform AppRole (role_name terraform)', () => {
    expect(run({ auth: TERRAFORM_AUTH })).toEqual([]);
  });

  it('matches writers by display name, metadata username, role name or entity id', () => {
    const base = { accessor: 'hmac-sha256:x', policies: ['admin'] };
    expect(run({ auth: { ...base, display_name: 'approle-terraform' } })).toEqual([]);
    expect(run({ auth: { ...base, display_name: 'userpass-tf', metadata: { username: 'terraform' } } })).toEqual([]);
    const c = makeContext({ vault: { policyWriters: ['entity-123'] } });
    expect(run({ auth: { ...base, display_name: 'userpass-bob', entity_id: 'entity-123' } }, c)).toEqual([]);
    expect(run({ auth: TERRAFORM_AUTH }, c).map((f) => f.key)).toEqual(['admin']);
  });

  it('does not fire for reads, lists or the response entry', () => {
    expect(run({ auth: HUMAN_AUTH, operation: 'read' })).toEqual([]);
    expect(run({ auth: HUMAN_AUTH, operation: 'list', path: 'sys/policies/acl' })).toEqual([]);
    expect(run({ auth: HUMAN_AUTH, type: 'response' })).toEqual([]);
  });

  it('declares its metadata', () => {
    expect(V4).toMatchObject({ id: 'V4', severity: 'warning', runbook: 'v4', sources: ['vault-audit'], apps: ['vault'] });
    expect(V4.params!(ctx.config)).toEqual({ policyWriters: ['approle-terraform', 'terraform'] });
  });
});
