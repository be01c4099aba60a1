import { describe, expect, it } from 'vitest';
import { K2 } from '../../rules/k8s/k2-serviceaccount-outside.js';
import { findingsOf, makeContext } from '../helpers/context.js';
import { human, k8sEvent } from '../helpers/rule-events.js';

const ctx = makeContext();
const run = (over: Record<string, unknown>, c = ctx) => findingsOf(K2.match(k8sEvent(over), c));

describe('K2 ServiceAccount token used outside the cluster', () => {
  it('does not fire for a ServiceAccount calling from the pod network', () => {
    expect(run({ sourceIPs: ['10.10.3.17'] })).toEqual([]);
  });

  it('fires for a ServiceAccount calling from a public address', () => {
    const [f, ...rest] = run({ sourceIPs: ['198.51.100.23'] });
    expect(rest).toEqual([]);
    expect(f!.key).toBe('system:serviceaccount:ci:deployer 198.51.100.23');
    expect(f!.summary).toBe(
      'ServiceAccount system:serviceaccount:ci:deployer used its token from 198.51.100.23 (outside trusted networks): list pods ci',
    );
    expect(f!.fields).toMatchObject({
      actor: 'system:serviceaccount:ci:deployer',
      actorKind: 'serviceaccount',
      addresses: ['198.51.100.23'],
      outsideTrusted: ['198.51.100.23'],
      target: 'pods ci',
    });
    expect(f!.fields!.details).toMatchObject({ auditID: '6b8e2d0c-1f3a-4f5e-9a7b-2c4d6e8f0a1b', offendingAddress: '198.51.100.23', verb: 'list' });
  });

  it('fires on the X-Forwarded-For spoof: a trusted first entry does not hide the public peer', () => {
    const out = run({ sourceIPs: ['10.0.20.15', '198.51.100.23'] });
    expect(out.map((f) => f.key)).toEqual(['system:serviceaccount:ci:deployer 198.51.100.23']);
    expect(out[0]!.fields!.addresses).toEqual(['10.0.20.15', '198.51.100.23']);
    expect(out[0]!.fields!.outsideTrusted).toEqual(['198.51.100.23']);
  });

  it('fires on a forged public XFF entry in front of a trusted peer (judges every address)', () => {
    expect(run({ sourceIPs: ['203.0.113.9', '10.0.20.15'] }).map((f) => f.key)).toEqual(['system:serviceaccount:ci:deployer 203.0.113.9']);
  });

  it('gives one Finding per distinct offending address', () => {
    const out = run({ sourceIPs: ['203.0.113.9', '10.0.20.15', '198.51.100.23', '203.0.113.9'] });
    expect(out.map((f) => f.key)).toEqual(['system:serviceaccount:ci:deployer 203.0.113.9', 'system:serviceaccount:ci:deployer 198.51.100.23']);
    expect(out.every((f) => f.fields!.outsideTrusted!.length === 2)).toBe(true);
  });

  it('treats IPv4-mapped IPv6 as IPv4: inside the allowlist does not fire, outside does', () => {
    expect(run({ sourceIPs: ['::ffff:10.0.20.5'] })).toEqual([]);
    expect(run({ sourceIPs: ['::ffff:198.51.100.23'] }).map((f) => f.key)).toEqual(['system:serviceaccount:ci:deployer ::ffff:198.51.100.23']);
  });

  it('allows the dev VM network and every trusted range', () => {
    expect(run({ sourceIPs: ['10.0.10.7', '192.168.1.20', '100.64.0.5', '10.96.0.1', '10.0.23.254'] })).toEqual([]);
    expect(run({ sourceIPs: ['10.0.24.1'] })).toHaveLength(1); // just past 10.0.20.0/22
  });

  it('judges IPv6 numerically', () => {
    expect(run({ sourceIPs: ['2001:db8::10'] }).map((f) => f.key)).toEqual(['system:serviceaccount:ci:deployer 2001:db8::10']);
    const c = makeContext({ networks: { trusted: ['2001:db8::/32'] } });
    expect(run({ sourceIPs: ['2001:DB8:0:0::10'] }, c)).toEqual([]);
  });

  it('follows configured network sets', () => {
    const c = makeContext({ networks: { trusted: ['198.51.100.0/24'], devvm: [] } });
    expect(run({ sourceIPs: ['198.51.100.23'] }, c)).toEqual([]);
    expect(run({ sourceIPs: ['10.0.10.7'] }, c)).toHaveLength(1);
  });

  it('does not fire for non-ServiceAccount users (K9 judges humans)', () => {
    expect(run({ user: human(), sourceIPs: ['198.51.100.23'] })).toEqual([]);
    expect(run({ user: { username: 'system:node:k8s-node-1' }, sourceIPs: ['198.51.100.23'] })).toEqual([]);
    expect(run({ user: { username: 'system:anonymous' }, sourceIPs: ['198.51.100.23'] })).toEqual([]);
  });

  it('cannot judge a request with no sourceIPs', () => {
    expect(K2.match(k8sEvent({ sourceIPs: undefined }), ctx)).toBeNull();
  });

  it('gives the same key on every stage of one request (the engine counts it once by auditID)', () => {
    const stages = ['RequestReceived', 'ResponseComplete'].map((stage) => run({ stage, sourceIPs: ['198.51.100.23'] }));
    expect(stages.map((s) => s.map((f) => f.key))).toEqual([
      ['system:serviceaccount:ci:deployer 198.51.100.23'],
      ['system:serviceaccount:ci:deployer 198.51.100.23'],
    ]);
    expect(stages.map((s) => s[0]!.fields!.details!.auditID)).toEqual([K2Audit, K2Audit]);
  });

  it('declares its metadata', () => {
    expect(K2).toMatchObject({ id: 'K2', kind: 'match', severity: 'critical', runbook: 'k2', sources: ['k8s-audit'], apps: ['k8s'] });
    expect(K2.tags).toEqual(['T1078.004', 'T1528']);
    expect(K2.params!(ctx.config)).toEqual({ networks: { trusted: ctx.config.networks.trusted, devvm: ['10.0.10.0/24'] } });
  });
});

const K2Audit = '6b8e2d0c-1f3a-4f5e-9a7b-2c4d6e8f0a1b';
