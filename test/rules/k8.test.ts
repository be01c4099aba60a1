import { describe, expect, it } from 'vitest';
import { K8 } from '../../rules/k8s/k8-anonymous-binding.js';
import { findingsOf, makeContext } from '../helpers/context.js';
import { human, k8sEvent } from '../helpers/rule-events.js';

const ctx = makeContext();
const RBAC = 'rbac.authorization.k8s.io';
const crb = (subjects: unknown[], extra: Record<string, unknown> = {}) => ({
  kind: 'ClusterRoleBinding',
  apiVersion: `${RBAC}/v1`,
  metadata: { name: 'public-view', ...extra },
  roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'view' },
  subjects,
});
const write = (verb: string, requestObject: unknown, extra: Record<string, unknown> = {}) => ({
  verb,
  level: 'Request',
  user: human(),
  sourceIPs: ['10.0.20.40'],
  requestURI: `/apis/${RBAC}/v1/clusterrolebindings`,
  objectRef: { resource: 'clusterrolebindings', name: 'public-view', apiGroup: RBAC, apiVersion: 'v1' },
  requestObject,
  ...extra,
});
const run = (over: Record<string, unknown>) => findingsOf(K8.match(k8sEvent(over), ctx));
const anonUser = { kind: 'User', apiGroup: RBAC, name: 'system:anonymous' };
const unauthGroup = { kind: 'Group', apiGroup: RBAC, name: 'system:unauthenticated' };
const ops = { kind: 'Group', apiGroup: RBAC, name: 'ops' };

describe('K8 role bound to anonymous users', () => {
  it('fires for a ClusterRoleBinding to system:anonymous', () => {
    const [f, ...rest] = run(write('create', crb([ops, anonUser])));
    expect(rest).toEqual([]);
    expect(f!.key).toBe('clusterrolebindings:public-view');
    expect(f!.summary).toBe('me@viktorbarzin.me bound ClusterRole view to system:anonymous in clusterrolebindings:public-view from 10.0.20.40');
    expect(f!.fields).toMatchObject({ actor: 'me@viktorbarzin.me', target: 'clusterrolebindings:public-view' });
    expect(f!.fields!.details).toMatchObject({ subjects: ['system:anonymous'], roleRef: 'ClusterRole view' });
  });

  it('fires for a RoleBinding to the system:unauthenticated group, keyed with its namespace', () => {
    const out = run(
      write('update', { ...crb([unauthGroup]), kind: 'RoleBinding' }, {
        objectRef: { resource: 'rolebindings', namespace: 'monitoring', name: 'public-view', apiGroup: RBAC },
      }),
    );
    expect(out.map((f) => f.key)).toEqual(['rolebindings:monitoring/public-view']);
    expect(out[0]!.fields!.details).toMatchObject({ subjects: ['system:unauthenticated'] });
  });

  it('judges the subjects, not the text of the line', () => {
    const decoy = crb([ops], { annotations: { note: 'system:anonymous must never be bound' } });
    expect(run(write('create', decoy, { userAgent: 'system:anonymous-tool/1.0' }))).toEqual([]);
    expect(run(write('create', { ...crb([ops]), roleRef: { kind: 'ClusterRole', name: 'system:anonymous' } }))).toEqual([]);
    expect(run(write('create', crb([{ kind: 'User', name: 'system:anonymous-ish' }])))).toEqual([]);
  });

  it('does not fire on a Metadata-level line (no requestObject), reads or deletes', () => {
    expect(run(write('create', undefined, { level: 'Metadata' }))).toEqual([]);
    expect(run(write('get', crb([anonUser])))).toEqual([]);
    expect(run(write('delete', crb([anonUser])))).toEqual([]);
  });

  it('does not fire for other resources carrying such subjects', () => {
    expect(run(write('create', crb([anonUser]), { objectRef: { resource: 'configmaps', namespace: 'x', name: 'y' } }))).toEqual([]);
  });

  describe('patches', () => {
    it('fires for a merge patch setting subjects', () => {
      expect(run(write('patch', { subjects: [anonUser] })).map((f) => f.key)).toEqual(['clusterrolebindings:public-view']);
    });

    it('fires for JSON patch ops adding an anonymous subject or renaming one', () => {
      expect(run(write('patch', [{ op: 'add', path: '/subjects/-', value: unauthGroup }])).map((f) => f.key)).toEqual(['clusterrolebindings:public-view']);
      expect(run(write('patch', [{ op: 'replace', path: '/subjects', value: [anonUser] }])).map((f) => f.key)).toEqual(['clusterrolebindings:public-view']);
      expect(run(write('patch', [{ op: 'replace', path: '/subjects/0/name', value: 'system:anonymous' }])).map((f) => f.key)).toEqual([
        'clusterrolebindings:public-view',
      ]);
    });

    it('does not fire for ops that add ordinary subjects or touch other fields', () => {
      expect(run(write('patch', [{ op: 'add', path: '/subjects/-', value: ops }]))).toEqual([]);
      expect(run(write('patch', [{ op: 'add', path: '/metadata/annotations/x', value: 'system:anonymous' }]))).toEqual([]);
      expect(run(write('patch', [{ op: 'remove', path: '/subjects/0' }]))).toEqual([]);
    });
  });

  it('declares its metadata', () => {
    expect(K8).toMatchObject({ id: 'K8', severity: 'critical', runbook: 'k8', tags: ['T1098'], apps: ['k8s'], sources: ['k8s-audit'] });
  });
});
