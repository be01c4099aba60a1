import { describe, expect, it } from 'vitest';
import { K6 } from '../../rules/k8s/k6-audit-critical-object.js';
import { findingsOf, makeContext } from '../helpers/context.js';
import { k8sEvent } from '../helpers/rule-events.js';

const ctx = makeContext();
const kubeadm = {
  requestURI: '/api/v1/namespaces/kube-system/configmaps/kubeadm-config',
  objectRef: { resource: 'configmaps', namespace: 'kube-system', name: 'kubeadm-config', apiVersion: 'v1' },
};
const run = (over: Record<string, unknown>, c = ctx) =>
  findingsOf(K6.match(k8sEvent({ user: { username: 'kubernetes-admin' }, sourceIPs: ['10.0.20.10'], ...kubeadm, ...over }), c));

describe('K6 audit-critical object changed', () => {
  it.each(['update', 'patch', 'delete'])('fires for %s of kube-system/kubeadm-config', (verb) => {
    const [f, ...rest] = run({ verb });
    expect(rest).toEqual([]);
    expect(f!.key).toBe('configmaps:kube-system/kubeadm-config');
    expect(f!.summary).toBe(`kubernetes-admin ran ${verb} on configmaps:kube-system/kubeadm-config from 10.0.20.10`);
    expect(f!.fields).toMatchObject({ actor: 'kubernetes-admin', target: 'configmaps:kube-system/kubeadm-config', addresses: ['10.0.20.10'] });
  });

  it('fires for a deletecollection of configmaps in kube-system', () => {
    const out = run({ verb: 'deletecollection', objectRef: { resource: 'configmaps', namespace: 'kube-system', apiVersion: 'v1' } });
    expect(out.map((f) => f.key)).toEqual(['configmaps:kube-system/kubeadm-config']);
  });

  it('does not fire for reads or create', () => {
    for (const verb of ['get', 'list', 'watch', 'create']) expect(run({ verb })).toEqual([]);
  });

  it('does not fire for other objects', () => {
    expect(run({ verb: 'update', objectRef: { resource: 'configmaps', namespace: 'kube-system', name: 'coredns' } })).toEqual([]);
    expect(run({ verb: 'update', objectRef: { resource: 'configmaps', namespace: 'default', name: 'kubeadm-config' } })).toEqual([]);
    expect(run({ verb: 'update', objectRef: { resource: 'secrets', namespace: 'kube-system', name: 'kubeadm-config' } })).toEqual([]);
    expect(run({ verb: 'deletecollection', objectRef: { resource: 'configmaps', namespace: 'default' } })).toEqual([]);
  });

  it('follows configured objects, including cluster-scoped ones and globs', () => {
    const c = makeContext({ k8s: { auditCriticalObjects: ['validatingwebhookconfigurations:*', 'configmaps:kube-system/audit-*'] } });
    expect(run({ verb: 'delete', objectRef: { resource: 'validatingwebhookconfigurations', name: 'gatekeeper' } }, c).map((f) => f.key)).toEqual([
      'validatingwebhookconfigurations:gatekeeper',
    ]);
    expect(run({ verb: 'patch', objectRef: { resource: 'configmaps', namespace: 'kube-system', name: 'audit-policy' } }, c).map((f) => f.key)).toEqual([
      'configmaps:kube-system/audit-policy',
    ]);
    expect(run({ verb: 'update' }, c)).toEqual([]);
  });

  it('declares its metadata', () => {
    expect(K6).toMatchObject({ id: 'K6', severity: 'critical', runbook: 'k6', apps: ['k8s'], sources: ['k8s-audit'] });
    expect(K6.params!(ctx.config)).toEqual({ auditCriticalObjects: ['configmaps:kube-system/kubeadm-config'] });
  });
});
