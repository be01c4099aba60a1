import { describe, expect, it } from 'vitest';
import { K4, execCommand } from '../../rules/k8s/k4-exec-sensitive-namespace.js';
import { findingsOf, makeContext } from '../helpers/context.js';
import { human, k8sEvent, sa } from '../helpers/rule-events.js';

const ctx = makeContext();
const exec = (ns: string, pod: string, sub = 'exec') => ({
  requestURI: `/api/v1/namespaces/${ns}/pods/${pod}/${sub}?command=sh&command=-c&command=cat%20%2Fvault%2Fdata&container=vault&stdin=true&tty=true`,
  objectRef: { resource: 'pods', namespace: ns, name: pod, subresource: sub, apiVersion: 'v1' },
  responseStatus: { code: 101 },
  stage: 'ResponseStarted',
});
const run = (over: Record<string, unknown>, c = ctx) =>
  findingsOf(K4.match(k8sEvent({ user: { username: 'kubernetes-admin', groups: ['kubeadm:cluster-admins'] }, verb: 'create', ...over }), c));

describe('K4 exec into a pod in a sensitive namespace', () => {
  it('fires for exec via create (SPDY)', () => {
    const [f, ...rest] = run(exec('vault', 'vault-0'));
    expect(rest).toEqual([]);
    expect(f!.key).toBe('kubernetes-admin vault/vault-0');
    expect(f!.summary).toBe('kubernetes-admin ran exec into pod vault/vault-0 (sh -c cat /vault/data) from 10.10.3.17');
    expect(f!.fields).toMatchObject({ actor: 'kubernetes-admin', target: 'pods/exec vault/vault-0' });
    expect(f!.fields!.details).toMatchObject({ command: 'sh -c cat /vault/data', subresource: 'exec', verb: 'create', stage: 'ResponseStarted' });
  });

  it('fires for exec via get (WebSocket upgrade)', () => {
    expect(run({ verb: 'get', ...exec('kube-system', 'etcd-k8s-master') }).map((f) => f.key)).toEqual(['kubernetes-admin kube-system/etcd-k8s-master']);
  });

  it('fires for attach, with no command', () => {
    const out = run({ ...exec('dbaas', 'mysql-0', 'attach'), requestURI: '/api/v1/namespaces/dbaas/pods/mysql-0/attach?container=mysql&stdin=true' });
    expect(out.map((f) => f.summary)).toEqual(['kubernetes-admin ran attach into pod dbaas/mysql-0 from 10.10.3.17']);
    expect(out[0]!.fields!.details).toMatchObject({ command: null, subresource: 'attach' });
  });

  it('fires for a ServiceAccount too, and for a denied attempt', () => {
    const out = run({ user: sa('ci', 'deployer'), ...exec('cnpg-system', 'cnpg-0'), responseStatus: { code: 403 } });
    expect(out.map((f) => f.key)).toEqual(['system:serviceaccount:ci:deployer cnpg-system/cnpg-0']);
    expect(out[0]!.summary).toContain('(denied, 403)');
  });

  it('does not fire for the allowed human', () => {
    expect(run({ user: human(), ...exec('vault', 'vault-0') })).toEqual([]);
  });

  it('does not fire in other namespaces or for other subresources and verbs', () => {
    expect(run(exec('default', 'web-0'))).toEqual([]);
    expect(run({ verb: 'get', ...exec('vault', 'vault-0', 'log'), responseStatus: { code: 200 } })).toEqual([]);
    expect(run(exec('vault', 'vault-0', 'portforward'))).toEqual([]);
    expect(run({ verb: 'delete', ...exec('vault', 'vault-0') })).toEqual([]);
    expect(run({ verb: 'get', requestURI: '/api/v1/namespaces/vault/pods/vault-0', objectRef: { resource: 'pods', namespace: 'vault', name: 'vault-0' } })).toEqual([]);
  });

  it('gives the same key on ResponseStarted and ResponseComplete', () => {
    const a = run(exec('vault', 'vault-0'));
    const b = run({ ...exec('vault', 'vault-0'), stage: 'ResponseComplete' });
    expect(a[0]!.key).toBe(b[0]!.key);
  });

  it('reads the command from the request URI', () => {
    expect(execCommand('/api/v1/namespaces/x/pods/p/exec?command=ls&command=-la&stdin=true')).toBe('ls -la');
    expect(execCommand('/api/v1/namespaces/x/pods/p/exec')).toBeNull();
    expect(execCommand(null)).toBeNull();
  });

  it('declares its metadata', () => {
    expect(K4).toMatchObject({ id: 'K4', severity: 'warning', runbook: 'k4', tags: ['T1609'], apps: ['k8s'] });
    expect(K4.params!(ctx.config)).toEqual({ sensitiveExecNamespaces: ['vault', 'kube-system', 'dbaas', 'cnpg-system'], execAllowed: ['me@viktorbarzin.me'] });
  });
});
