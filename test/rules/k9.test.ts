import { describe, expect, it } from 'vitest';
import { K9 } from '../../rules/k8s/k9-human-outside.js';
import { findingsOf, makeContext } from '../helpers/context.js';
import { human, k8sEvent, sa } from '../helpers/rule-events.js';

const ctx = makeContext();
const get = { verb: 'get', requestURI: '/api/v1/namespaces/vault/pods/vault-0', objectRef: { resource: 'pods', namespace: 'vault', name: 'vault-0', apiVersion: 'v1' } };
const run = (over: Record<string, unknown>, c = ctx) => findingsOf(K9.match(k8sEvent({ user: human(), ...get, ...over }), c));

describe('K9 human credentials used outside trusted networks', () => {
  it('does not fire for the human on the LAN, the tailnet or the dev VM', () => {
    expect(run({ sourceIPs: ['10.0.20.40'] })).toEqual([]);
    expect(run({ sourceIPs: ['100.64.0.12'] })).toEqual([]);
    expect(run({ sourceIPs: ['10.0.10.3'] })).toEqual([]);
  });

  it('fires for the human calling from a public address', () => {
    const out = run({ sourceIPs: ['198.51.100.23'] });
    expect(out).toHaveLength(1);
    expect(out[0]!.key).toBe('me@viktorbarzin.me 198.51.100.23');
    expect(out[0]!.summary).toBe('me@viktorbarzin.me used the Kubernetes API from 198.51.100.23 (outside trusted networks): get pods vault/vault-0');
    expect(out[0]!.fields).toMatchObject({
      actor: 'me@viktorbarzin.me',
      actorKind: 'human',
      addresses: ['198.51.100.23'],
      outsideTrusted: ['198.51.100.23'],
      target: 'pods vault/vault-0',
    });
  });

  it('fires on the X-Forwarded-For spoof ["10.0.20.15","198.51.100.23"]', () => {
    const out = run({ sourceIPs: ['10.0.20.15', '198.51.100.23'] });
    expect(out.map((f) => f.key)).toEqual(['me@viktorbarzin.me 198.51.100.23']);
    expect(out[0]!.fields!.addresses).toEqual(['10.0.20.15', '198.51.100.23']);
    expect(out[0]!.fields!.details).toMatchObject({ offendingAddress: '198.51.100.23' });
  });

  it('gives one Finding per offending address', () => {
    expect(run({ sourceIPs: ['203.0.113.7', '198.51.100.23'] }).map((f) => f.key)).toEqual([
      'me@viktorbarzin.me 203.0.113.7',
      'me@viktorbarzin.me 198.51.100.23',
    ]);
  });

  it('treats ::ffff:10.0.20.5 as inside the allowlist', () => {
    expect(run({ sourceIPs: ['::ffff:10.0.20.5'] })).toEqual([]);
    expect(run({ sourceIPs: ['::ffff:10.0.20.5', '::ffff:203.0.113.7'] }).map((f) => f.key)).toEqual(['me@viktorbarzin.me ::ffff:203.0.113.7']);
  });

  it('does not fire for ServiceAccounts or people not listed in identities.humans', () => {
    expect(run({ user: sa('ci', 'deployer'), sourceIPs: ['198.51.100.23'] })).toEqual([]);
    expect(run({ user: human('kubernetes-admin'), sourceIPs: ['198.51.100.23'] })).toEqual([]);
  });

  it('follows identities.humans globs', () => {
    const c = makeContext({ identities: { humans: ['*@viktorbarzin.me'] } });
    expect(run({ user: human('ops@viktorbarzin.me'), sourceIPs: ['198.51.100.23'] }, c).map((f) => f.key)).toEqual(['ops@viktorbarzin.me 198.51.100.23']);
  });

  it('does not fire without sourceIPs', () => {
    expect(K9.match(k8sEvent({ user: human(), sourceIPs: [] }), ctx)).toBeNull();
  });

  it('declares its metadata', () => {
    expect(K9).toMatchObject({ id: 'K9', severity: 'critical', runbook: 'k9', sources: ['k8s-audit'], apps: ['k8s'] });
    expect(K9.params!(ctx.config)).toMatchObject({ humans: ['me@viktorbarzin.me'] });
  });
});
