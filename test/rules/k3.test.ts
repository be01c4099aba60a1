import { describe, expect, it } from 'vitest';
import { K3 } from '../../rules/k8s/k3-sensitive-secret-read.js';
import { findingsOf, makeContext } from '../helpers/context.js';
import { human, k8sEvent, sa } from '../helpers/rule-events.js';

const ctx = makeContext();
const secret = (ns: string | undefined, name?: string) => ({
  requestURI: `/api/v1/namespaces/${ns}/secrets${name ? `/${name}` : ''}`,
  objectRef: { resource: 'secrets', ...(ns ? { namespace: ns } : {}), ...(name ? { name } : {}), apiVersion: 'v1' },
});
const run = (over: Record<string, unknown>, c = ctx) => findingsOf(K3.match(k8sEvent({ user: sa('monitoring', 'prometheus'), verb: 'get', ...over }), c));

describe('K3 secret read in a sensitive namespace', () => {
  it('fires for a get by a non-reader in vault', () => {
    const [f, ...rest] = run(secret('vault', 'vault-unseal-keys'));
    expect(rest).toEqual([]);
    expect(f!.key).toBe('system:serviceaccount:monitoring:prometheus vault');
    expect(f!.summary).toBe('system:serviceaccount:monitoring:prometheus read secret vault/vault-unseal-keys from 10.10.3.17');
    expect(f!.fields).toMatchObject({ actor: 'system:serviceaccount:monitoring:prometheus', actorKind: 'serviceaccount', target: 'secrets vault/vault-unseal-keys' });
    expect(f!.fields!.details).toMatchObject({ namespace: 'vault', secret: 'vault-unseal-keys', verb: 'get', outcome: 'success' });
  });

  it('fires for list and watch in every sensitive namespace', () => {
    expect(run({ verb: 'list', ...secret('sealed-secrets') }).map((f) => f.summary)).toEqual([
      'system:serviceaccount:monitoring:prometheus listed secrets in sealed-secrets from 10.10.3.17',
    ]);
    expect(run({ verb: 'watch', ...secret('external-secrets') }).map((f) => f.key)).toEqual(['system:serviceaccount:monitoring:prometheus external-secrets']);
  });

  it('fires for a denied attempt and says so', () => {
    const [f] = run({ ...secret('vault', 'vault-root'), responseStatus: { code: 403, reason: 'Forbidden' } });
    expect(f!.summary).toContain('(denied, 403)');
    expect(f!.fields!.details).toMatchObject({ code: 403, outcome: 'failure' });
  });

  it('does not fire for the listed readers', () => {
    expect(run({ user: sa('external-secrets', 'external-secrets'), ...secret('vault', 'vault-token') })).toEqual([]);
    expect(run({ user: sa('sealed-secrets', 'sealed-secrets-controller'), ...secret('sealed-secrets', 'key') })).toEqual([]);
    expect(run({ user: sa('vault', 'vault'), ...secret('vault', 'vault-tls') })).toEqual([]);
    expect(run({ user: human(), ...secret('vault', 'vault-unseal-keys') })).toEqual([]);
  });

  it('does not fire in other namespaces, for other verbs or resources, or cluster-wide lists', () => {
    expect(run(secret('monitoring', 'grafana'))).toEqual([]);
    expect(run({ verb: 'delete', ...secret('vault', 'x') })).toEqual([]);
    expect(run({ verb: 'update', ...secret('vault', 'x') })).toEqual([]);
    expect(run({ objectRef: { resource: 'configmaps', namespace: 'vault', name: 'x', apiVersion: 'v1' } })).toEqual([]);
    expect(run({ verb: 'list', requestURI: '/api/v1/secrets', objectRef: { resource: 'secrets', apiVersion: 'v1' } })).toEqual([]);
  });

  it('does not confuse another API group resource named secrets', () => {
    expect(run({ objectRef: { resource: 'secrets', namespace: 'vault', name: 'x', apiGroup: 'example.io', apiVersion: 'v1' } })).toEqual([]);
  });

  it('follows configured namespaces and readers', () => {
    const c = makeContext({ k8s: { sensitiveSecretNamespaces: ['dbaas'], secretReaders: ['system:serviceaccount:monitoring:*'] } });
    expect(run(secret('vault', 'x'), c)).toEqual([]);
    expect(run(secret('dbaas', 'x'), c)).toEqual([]);
    expect(run({ user: sa('ci', 'deployer'), ...secret('dbaas', 'x') }, c).map((f) => f.key)).toEqual(['system:serviceaccount:ci:deployer dbaas']);
  });

  it('declares its metadata', () => {
    expect(K3).toMatchObject({ id: 'K3', severity: 'critical', runbook: 'k3', sources: ['k8s-audit'], apps: ['k8s'] });
    expect(K3.params!(ctx.config)).toEqual({
      sensitiveSecretNamespaces: ['vault', 'sealed-secrets', 'external-secrets'],
      secretReaders: ctx.config.k8s.secretReaders,
    });
  });
});
