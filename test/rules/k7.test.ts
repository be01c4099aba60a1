import { describe, expect, it } from 'vitest';
import { K7, grantsWildcard } from '../../rules/k8s/k7-wildcard-clusterrole.js';
import { findingsOf, makeContext } from '../helpers/context.js';
import { k8sEvent, sa } from '../helpers/rule-events.js';

const ctx = makeContext();
const RBAC = 'rbac.authorization.k8s.io';
const role = (rules: unknown[], name = 'ops-all') => ({ kind: 'ClusterRole', apiVersion: `${RBAC}/v1`, metadata: { name }, rules });
const write = (verb: string, requestObject: unknown, extra: Record<string, unknown> = {}) => ({
  verb,
  level: 'RequestResponse',
  user: sa('ci', 'deployer'),
  requestURI: `/apis/${RBAC}/v1/clusterroles${verb === 'create' ? '' : '/ops-all'}`,
  objectRef: { resource: 'clusterroles', name: 'ops-all', apiGroup: RBAC, apiVersion: 'v1' },
  requestObject,
  ...extra,
});
const run = (over: Record<string, unknown>, c = ctx) => findingsOf(K7.match(k8sEvent(over), c));
const plain = { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] };
const wild = { apiGroups: ['apps'], resources: ['*'], verbs: ['*'] };

describe('K7 wildcard ClusterRole', () => {
  it('fires when a later rule (rules[2]) has * verbs and * resources, whatever its apiGroups', () => {
    const [f, ...rest] = run(write('create', role([plain, plain, wild])));
    expect(rest).toEqual([]);
    expect(f!.key).toBe('ops-all');
    expect(f!.summary).toBe('system:serviceaccount:ci:deployer created ClusterRole ops-all granting * verbs on * resources from 10.10.3.17');
    expect(f!.fields).toMatchObject({ actor: 'system:serviceaccount:ci:deployer', target: 'clusterroles ops-all' });
    expect(f!.fields!.details).toMatchObject({ role: 'ops-all', verb: 'create' });
  });

  it('fires for update and for a merge patch that sets rules', () => {
    expect(run(write('update', role([{ ...wild, apiGroups: ['*'] }]))).map((f) => f.summary)).toEqual([
      'system:serviceaccount:ci:deployer updated ClusterRole ops-all granting * verbs on * resources from 10.10.3.17',
    ]);
    expect(run(write('patch', { rules: [plain, { resources: ['*'], verbs: ['get', '*'] }] })).map((f) => f.key)).toEqual(['ops-all']);
  });

  it('does not fire for * only in verbs or only in resources', () => {
    expect(run(write('create', role([{ apiGroups: ['*'], resources: ['pods'], verbs: ['*'] }])))).toEqual([]);
    expect(run(write('create', role([{ apiGroups: ['*'], resources: ['*'], verbs: ['get'] }])))).toEqual([]);
    // * verbs in one rule and * resources in another is not a wildcard rule either.
    expect(run(write('create', role([{ resources: ['pods'], verbs: ['*'] }, { resources: ['*'], verbs: ['get'] }])))).toEqual([]);
  });

  it('takes the name from the body when objectRef has none', () => {
    const out = run(write('create', role([wild], 'sneaky'), { objectRef: { resource: 'clusterroles', apiGroup: RBAC, apiVersion: 'v1' } }));
    expect(out.map((f) => f.key)).toEqual(['sneaky']);
  });

  it('cannot judge a Metadata-level line (no requestObject): no fire', () => {
    expect(run(write('create', undefined, { level: 'Metadata' }))).toEqual([]);
  });

  describe('JSON patch (a list of ops): judges the value of ops', () => {
    it('fires for an op adding a wildcard rule or replacing the rules list', () => {
      expect(run(write('patch', [{ op: 'add', path: '/rules/-', value: wild }])).map((f) => f.key)).toEqual(['ops-all']);
      expect(run(write('patch', [{ op: 'replace', path: '/rules', value: [plain, wild] }])).map((f) => f.key)).toEqual(['ops-all']);
    });

    it('fires when one patch sets both * verbs and * resources on the same rule', () => {
      const ops = [
        { op: 'replace', path: '/rules/1/verbs', value: ['*'] },
        { op: 'add', path: '/rules/1/resources/-', value: '*' },
      ];
      expect(run(write('patch', ops)).map((f) => f.key)).toEqual(['ops-all']);
    });

    it('does not fire for ops that add no wildcard, or remove rules', () => {
      expect(run(write('patch', [{ op: 'add', path: '/rules/-', value: plain }]))).toEqual([]);
      expect(run(write('patch', [{ op: 'remove', path: '/rules/0' }]))).toEqual([]);
      expect(run(write('patch', [{ op: 'replace', path: '/metadata/labels/team', value: '*' }]))).toEqual([]);
    });

    it('judges an op it cannot judge alone on the resulting object (responseObject)', () => {
      const ops = [{ op: 'replace', path: '/rules/0/verbs', value: ['*'] }];
      expect(run(write('patch', ops, { responseObject: role([{ resources: ['*'], verbs: ['*'] }]) })).map((f) => f.key)).toEqual(['ops-all']);
      expect(run(write('patch', ops, { responseObject: role([{ resources: ['pods'], verbs: ['*'] }]) }))).toEqual([]);
      expect(run(write('patch', ops, { level: 'Request' }))).toEqual([]); // no response body: cannot judge
    });
  });

  it('does not fire for other verbs, Roles, or allowed creators', () => {
    expect(run(write('get', role([wild])))).toEqual([]);
    expect(run(write('delete', role([wild])))).toEqual([]);
    expect(run(write('create', role([wild]), { objectRef: { resource: 'roles', namespace: 'ci', name: 'x', apiGroup: RBAC } }))).toEqual([]);
    const c = makeContext({ k8s: { wildcardRoleCreators: ['system:serviceaccount:ci:*'] } });
    expect(run(write('create', role([wild])), c)).toEqual([]);
  });

  it('is not fooled by * text outside the rules', () => {
    const obj = { ...role([plain]), metadata: { name: 'ops-all', annotations: { verbs: '*', resources: '*' } } };
    expect(run(write('create', obj))).toEqual([]);
  });

  it('reports whether a body can be judged', () => {
    expect(grantsWildcard(k8sEvent(write('create', role([wild]))))).toBe(true);
    expect(grantsWildcard(k8sEvent(write('create', role([plain]))))).toBe(false);
    expect(grantsWildcard(k8sEvent(write('create', undefined)))).toBeNull();
  });

  it('declares its metadata', () => {
    expect(K7).toMatchObject({ id: 'K7', severity: 'warning', runbook: 'k7', tags: ['T1098'], apps: ['k8s'] });
    expect(K7.params!(ctx.config)).toEqual({ wildcardRoleCreators: [] });
  });
});
