import { describe, expect, it } from 'vitest';
import { V7 } from '../../rules/vault/v7-human-outside.js';
import { findingsOf, makeContext } from '../helpers/context.js';
import { HUMAN_AUTH, TERRAFORM_AUTH, vaultEvent } from '../helpers/rule-events.js';

const ctx = makeContext();
const read = { path: 'secret/data/homelab/cloudflare', operation: 'read', mountType: 'kv' };
const run = (o: Partial<Parameters<typeof vaultEvent>[0]>, c = ctx) => findingsOf(V7.match(vaultEvent({ ...read, auth: HUMAN_AUTH, ...o }), c));

describe('V7 human Vault identity outside trusted networks', () => {
  it('fires for the human (oidc- display name) from a public address', () => {
    const [f, ...rest] = run({ remote: '198.51.100.23' });
    expect(rest).toEqual([]);
    expect(f!.key).toBe('oidc-me@viktorbarzin.me 198.51.100.23');
    expect(f!.summary).toBe('oidc-me@viktorbarzin.me used Vault (read secret/data/homelab/cloudflare) from 198.51.100.23 (outside trusted networks)');
    expect(f!.fields).toMatchObject({ actorKind: 'human', addresses: ['198.51.100.23'], outsideTrusted: ['198.51.100.23'] });
  });

  it('keys on the metadata username when there is one', () => {
    const auth = { ...HUMAN_AUTH, display_name: 'userpass-me', metadata: { username: 'me@viktorbarzin.me' } };
    expect(run({ auth, remote: '203.0.113.4' }).map((f) => f.key)).toEqual(['me@viktorbarzin.me 203.0.113.4']);
  });

  it('recognizes the human by entity id', () => {
    const auth = { ...HUMAN_AUTH, display_name: 'token', metadata: {} };
    const c = makeContext({ identities: { vaultEntities: ['99999999-8888-7777-6666-555555555555'] } });
    expect(run({ auth, remote: '203.0.113.4' }, c)).toHaveLength(1);
    expect(run({ auth, remote: '203.0.113.4' })).toEqual([]);
  });

  it('does not fire from trusted networks, including IPv4-mapped IPv6', () => {
    expect(run({ remote: '10.0.20.40' })).toEqual([]);
    expect(run({ remote: '100.64.0.12' })).toEqual([]);
    expect(run({ remote: '::ffff:10.0.20.5' })).toEqual([]);
  });

  it('uses networks.trusted only: the dev VM is outside for a human Vault token', () => {
    expect(run({ remote: '10.0.10.7' }).map((f) => f.key)).toEqual(['oidc-me@viktorbarzin.me 10.0.10.7']);
  });

  it('does not fire for non-humans', () => {
    expect(run({ auth: TERRAFORM_AUTH, remote: '198.51.100.23' })).toEqual([]);
  });

  it('fires once per request: on the request entry, and on the response only for a login', () => {
    expect(run({ remote: '198.51.100.23', type: 'response' })).toEqual([]);
    const login = { path: 'auth/oidc/login', operation: 'update', mountType: 'oidc', remote: '198.51.100.23' };
    expect(run({ ...login, auth: null, type: 'request' })).toEqual([]);
    const out = run({ ...login, type: 'response', responseAuth: { ...HUMAN_AUTH, client_token: 'hmac-sha256:t' } });
    expect(out.map((f) => f.summary)).toEqual(['oidc-me@viktorbarzin.me logged in to Vault (auth/oidc/login) from 198.51.100.23 (outside trusted networks)']);
  });

  it('declares its metadata', () => {
    expect(V7).toMatchObject({ id: 'V7', severity: 'critical', runbook: 'v7', sources: ['vault-audit'], apps: ['vault'] });
    expect(V7.params!(ctx.config)).toMatchObject({ networks: { trusted: ctx.config.networks.trusted } });
  });
});
