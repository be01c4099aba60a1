import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parseK8sAudit, k8sActorKind } from '../../services/parsers/k8s-audit.js';
import type { ParseContext, ParseResult } from '../../services/parsers/types.js';
import { SecurityEvent } from '../../schemas/event.js';
import { ParseErrorCode } from '../../services/lib/errors.js';

const ctx = (over: Partial<ParseContext> = {}): ParseContext => ({
  kind: 'k8s-audit',
  sourceName: 'kube-apiserver',
  position: 'line 1',
  carry: {},
  ...over,
});

/** Parses and asserts the result is an event that satisfies the SecurityEvent contract. */
function ok(line: string, c: ParseContext = ctx()): SecurityEvent {
  const r = parseK8sAudit(line, c);
  if (!r.ok) throw new Error(`expected an event, got ${r.error.code}: ${r.error.message}`);
  expect(SecurityEvent.safeParse(r.event).success).toBe(true);
  return r.event;
}

function err(line: string, c: ParseContext = ctx()): Extract<ParseResult, { ok: false }>['error'] {
  const r = parseK8sAudit(line, c);
  if (r.ok) throw new Error(`expected an error, got event ${r.event.id}`);
  return r.error;
}

// A ResponseComplete event in the shape kube-apiserver writes (audit.k8s.io/v1).
const base = {
  kind: 'Event',
  apiVersion: 'audit.k8s.io/v1',
  level: 'Metadata',
  auditID: '6b8e2d0c-1f3a-4f5e-9a7b-2c4d6e8f0a1b',
  stage: 'ResponseComplete',
  requestURI: '/api/v1/namespaces/vault/secrets/vault-unseal-keys',
  verb: 'get',
  user: {
    username: 'system:serviceaccount:monitoring:prometheus',
    uid: 'a1b2c3d4-0000-4000-8000-000000000001',
    groups: ['system:serviceaccounts', 'system:serviceaccounts:monitoring', 'system:authenticated'],
    extra: {
      'authentication.kubernetes.io/credential-id': ['JTI=0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f'],
      'authentication.kubernetes.io/node-name': ['k8s-node-2'],
      'authentication.kubernetes.io/pod-name': ['prometheus-0'],
    },
  },
  sourceIPs: ['10.10.3.17'],
  userAgent: 'prometheus/2.53.0',
  objectRef: { resource: 'secrets', namespace: 'vault', name: 'vault-unseal-keys', apiVersion: 'v1' },
  responseStatus: { metadata: {}, code: 200 },
  requestReceivedTimestamp: '2025-06-04T20:02:46.114903Z',
  stageTimestamp: '2025-06-04T20:02:46.117181Z',
  annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': 'RBAC: allowed by ClusterRoleBinding "prometheus"' },
};
const line = (over: Record<string, unknown> = {}, drop: string[] = []): string => {
  const o: Record<string, unknown> = { ...base, ...over };
  for (const k of drop) delete o[k];
  return JSON.stringify(o);
};

describe('parseK8sAudit: a full event', () => {
  it('maps every field', () => {
    const e = ok(line(), ctx({ defaultHost: 'cp-1' }));
    expect(e).toMatchObject({
      id: 'k8s:6b8e2d0c-1f3a-4f5e-9a7b-2c4d6e8f0a1b:ResponseComplete',
      ts: '2025-06-04T20:02:46.117181Z',
      tsMs: Date.UTC(2025, 5, 4, 20, 2, 46, 117),
      tsSubNs: 181_000,
      source: { kind: 'k8s-audit', name: 'kube-apiserver', position: 'line 1' },
      app: 'k8s',
      host: 'cp-1',
      action: 'api.request',
      outcome: 'success',
      actor: { name: 'system:serviceaccount:monitoring:prometheus', kind: 'serviceaccount', id: 'a1b2c3d4-0000-4000-8000-000000000001' },
      client: { addrs: ['10.10.3.17'], port: null },
      target: {
        resource: 'secrets', subresource: null, apiGroup: null, namespace: 'vault', name: 'vault-unseal-keys',
        path: '/api/v1/namespaces/vault/secrets/vault-unseal-keys', operation: 'get',
      },
      k8s: {
        auditID: '6b8e2d0c-1f3a-4f5e-9a7b-2c4d6e8f0a1b', stage: 'ResponseComplete', level: 'Metadata', verb: 'get', code: 200,
        userAgent: 'prometheus/2.53.0', groups: ['system:serviceaccounts', 'system:serviceaccounts:monitoring', 'system:authenticated'],
        impersonatedUser: null, decision: 'allow', hasRequestObject: false,
      },
    });
    expect(e.raw.format).toBe('k8s-audit');
  });

  it('host is null without a default host, and raw keeps unknown fields', () => {
    const e = ok(line({ metadata: { creationTimestamp: '2025-06-04T20:02:46Z' } }));
    expect(e.host).toBeNull();
    expect((e.raw as { entry: Record<string, unknown> }).entry.metadata).toEqual({ creationTimestamp: '2025-06-04T20:02:46Z' });
  });

  it('client.addrs is a copy: editing the event does not edit the evidence', () => {
    const e = ok(line());
    e.client.addrs.push('1.2.3.4');
    expect((e.raw as { entry: { sourceIPs: string[] } }).entry.sourceIPs).toEqual(['10.10.3.17']);
  });
});

describe('parseK8sAudit: one request, several stages', () => {
  const stages = [
    { stage: 'RequestReceived', stageTimestamp: '2025-06-04T20:02:46.114903Z', responseStatus: undefined, outcome: 'unknown', code: null },
    { stage: 'ResponseStarted', stageTimestamp: '2025-06-04T20:02:46.115Z', responseStatus: { code: 101 }, outcome: 'success', code: 101 },
    { stage: 'ResponseComplete', stageTimestamp: '2025-06-04T20:02:50.5Z', responseStatus: { code: 101 }, outcome: 'success', code: 101 },
  ] as const;
  it('gives each stage its own id and the same auditID', () => {
    const events = stages.map((s) => ok(line({ stage: s.stage, stageTimestamp: s.stageTimestamp, responseStatus: s.responseStatus })));
    expect(new Set(events.map((e) => e.id)).size).toBe(3);
    expect(new Set(events.map((e) => e.k8s?.auditID)).size).toBe(1);
    events.forEach((e, i) => {
      expect(e.id).toBe(`k8s:${base.auditID}:${stages[i]!.stage}`);
      expect(e.outcome).toBe(stages[i]!.outcome);
      expect(e.k8s?.code).toBe(stages[i]!.code);
    });
  });
});

describe('parseK8sAudit: field gotchas', () => {
  it.each([
    ['missing groups', { user: { username: 'alice' } }, (e: SecurityEvent) => expect(e.k8s?.groups).toEqual([])],
    ['null groups', { user: { username: 'alice', groups: null } }, (e: SecurityEvent) => expect(e.k8s?.groups).toEqual([])],
    ['extra values are arrays', { user: { username: 'alice', extra: { scopes: ['openid', 'groups'], 'x-legacy': 'v' } } },
      (e: SecurityEvent) => expect(e.actor.name).toBe('alice')],
    ['X-Forwarded-For spoof kept in order', { sourceIPs: ['10.0.20.15', '198.51.100.23'] },
      (e: SecurityEvent) => expect(e.client.addrs).toEqual(['10.0.20.15', '198.51.100.23'])],
    ['core API group "" and absent are both null', { objectRef: { resource: 'pods', namespace: 'default', apiGroup: '', apiVersion: 'v1' } },
      (e: SecurityEvent) => expect([e.target.apiGroup, e.target.name]).toEqual([null, null])],
    ['IPv6 and loopback', { sourceIPs: ['2001:db8::7', '::1'] }, (e: SecurityEvent) => expect(e.client.addrs).toEqual(['2001:db8::7', '::1'])],
    ['IPv4-mapped IPv6 kept verbatim', { sourceIPs: ['::ffff:10.0.20.5'] }, (e: SecurityEvent) => expect(e.client.addrs).toEqual(['::ffff:10.0.20.5'])],
    ['no sourceIPs', { sourceIPs: undefined }, (e: SecurityEvent) => expect(e.client.addrs).toEqual([])],
    ['no userAgent', { userAgent: undefined }, (e: SecurityEvent) => expect(e.k8s?.userAgent).toBeNull()],
    ['no uid', { user: { username: 'alice' } }, (e: SecurityEvent) => expect(e.actor.id).toBeNull()],
    ['no annotations', { annotations: undefined }, (e: SecurityEvent) => expect(e.k8s?.decision).toBeNull()],
    ['forbidden', { responseStatus: { status: 'Failure', reason: 'Forbidden', code: 403 }, annotations: { 'authorization.k8s.io/decision': 'forbid' } },
      (e: SecurityEvent) => expect([e.outcome, e.k8s?.decision, e.k8s?.code]).toEqual(['failure', 'forbid', 403])],
    ['impersonation: actor stays the real caller', { user: { username: 'system:admin', groups: ['system:masters'] }, impersonatedUser: { username: 'bob', groups: ['system:authenticated'] } },
      (e: SecurityEvent) => expect([e.actor.name, e.actor.kind, e.k8s?.impersonatedUser]).toEqual(['system:admin', 'system', 'bob'])],
    ['failed authentication: empty user', { stage: 'ResponseStarted', user: {}, responseStatus: { code: 401 }, objectRef: undefined },
      (e: SecurityEvent) => expect([e.actor.name, e.actor.kind, e.outcome]).toEqual([null, 'unknown', 'failure'])],
  ])('%s', (_name, over, check) => {
    check(ok(line(over as Record<string, unknown>)));
  });

  it('keeps microsecond precision and falls back through the timestamps', () => {
    expect(ok(line()).ts).toBe('2025-06-04T20:02:46.117181Z');
    expect(ok(line({}, ['stageTimestamp'])).ts).toBe('2025-06-04T20:02:46.114903Z');
    // Older (2017, v1beta1-era) events carry only `timestamp`, at second precision.
    const old = ok(line({ apiVersion: 'audit.k8s.io/v1beta1', timestamp: '2017-09-11T19:55:05Z' }, ['stageTimestamp', 'requestReceivedTimestamp']));
    expect([old.ts, old.tsSubNs]).toEqual(['2017-09-11T19:55:05Z', 0]);
  });

  it('accepts events with no apiVersion and no kind (old falco traces)', () => {
    expect(ok(line({}, ['apiVersion', 'kind'])).id).toBe(`k8s:${base.auditID}:ResponseComplete`);
  });
});

describe('parseK8sAudit: exec, bodies and non-resource URLs', () => {
  const execURI = '/api/v1/namespaces/vault/pods/vault-0/exec?command=sh&command=-c&command=id&container=vault&stdin=true&tty=true';
  it.each([
    ['SPDY exec (create)', 'create'],
    ['WebSocket exec (get)', 'get'],
  ])('%s is pods/exec with its verb', (_n, verb) => {
    const e = ok(line({
      verb, stage: 'ResponseStarted', requestURI: execURI, user: { username: 'alice', groups: ['system:authenticated'] },
      objectRef: { resource: 'pods', namespace: 'vault', name: 'vault-0', apiVersion: 'v1', subresource: 'exec' }, responseStatus: { code: 101 },
    }));
    expect(e.target).toMatchObject({ resource: 'pods', subresource: 'exec', namespace: 'vault', name: 'vault-0', operation: verb, path: execURI });
    expect([e.outcome, e.actor.kind]).toEqual(['success', 'human']);
  });

  it('Metadata level has no request body; Request level does', () => {
    expect(ok(line()).k8s?.hasRequestObject).toBe(false);
    const role = {
      kind: 'ClusterRole', apiVersion: 'rbac.authorization.k8s.io/v1', metadata: { name: 'escalate' },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }, { apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
    };
    const e = ok(line({
      level: 'RequestResponse', verb: 'create', requestURI: '/apis/rbac.authorization.k8s.io/v1/clusterroles',
      objectRef: { resource: 'clusterroles', name: 'escalate', apiGroup: 'rbac.authorization.k8s.io', apiVersion: 'v1' },
      requestObject: role, responseStatus: { code: 201 },
    }));
    expect(e.k8s?.hasRequestObject).toBe(true);
    expect(e.target).toMatchObject({ resource: 'clusterroles', apiGroup: 'rbac.authorization.k8s.io', namespace: null, name: 'escalate' });
    expect((e.raw as { entry: { requestObject: unknown } }).entry.requestObject).toEqual(role);
  });

  it('a patch body (array of ops) counts as a request object', () => {
    expect(ok(line({ level: 'Request', verb: 'patch', requestObject: [{ op: 'replace', path: '/data/x', value: 'y' }] })).k8s?.hasRequestObject).toBe(true);
  });

  it('non-resource URL: no objectRef, path is the URI', () => {
    const e = ok(line({ requestURI: '/healthz?verbose=1', verb: 'get', user: { username: 'system:anonymous', groups: ['system:unauthenticated'] } }, ['objectRef']));
    expect(e.target).toMatchObject({ resource: null, subresource: null, apiGroup: null, namespace: null, name: null, path: '/healthz?verbose=1', operation: 'get' });
    expect(e.actor).toEqual({ name: 'system:anonymous', kind: 'unknown', id: null });
  });
});

describe('k8sActorKind', () => {
  it.each([
    ['system:serviceaccount:kube-system:replicaset-controller', 'serviceaccount'],
    ['system:node:k8s-node-1', 'node'],
    ['system:kube-controller-manager', 'system'],
    ['system:apiserver', 'system'],
    ['system:admin', 'system'],
    ['system:serviceaccounts:default:default', 'system'], // a group-style name used as a user: not a ServiceAccount
    ['system:anonymous', 'unknown'],
    ['me@viktorbarzin.me', 'human'],
    ['kubernetes-admin', 'human'],
    ['', 'unknown'],
  ] as const)('%s → %s', (name, kind) => {
    expect(k8sActorKind(name || null)).toBe(kind);
  });
});

describe('parseK8sAudit: errors', () => {
  it.each([
    ['empty line', '', ParseErrorCode.EMPTY],
    ['blank line', '   \t', ParseErrorCode.EMPTY],
    ['NUL bytes', `{"auditID":"x\u0000"}`, ParseErrorCode.BINARY],
    ['truncated JSON', line().slice(0, 200), ParseErrorCode.JSON],
    ['plain text', 'I0604 20:02:46.117181 1 audit.go:42] not json', ParseErrorCode.JSON],
    ['JSON array', '[1,2]', ParseErrorCode.SHAPE],
    ['verb of the wrong type', line({ verb: 5 }), ParseErrorCode.SHAPE],
    ['missing auditID', line({}, ['auditID']), ParseErrorCode.SHAPE],
    ['sourceIPs not strings', line({ sourceIPs: [10, 20] }), ParseErrorCode.SHAPE],
    ['fractional status code', line({ responseStatus: { code: 200.5 } }), ParseErrorCode.SHAPE],
    ['EventList batch', JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [base] }), ParseErrorCode.SHAPE],
    ['GKE protoPayload', JSON.stringify({ protoPayload: { methodName: 'io.k8s.get' }, timestamp: '2025-07-13T08:38:39.127266Z' }), ParseErrorCode.SHAPE],
    ['another kind', line({ kind: 'Pod' }), ParseErrorCode.SHAPE],
    ['no timestamp at all', line({}, ['stageTimestamp', 'requestReceivedTimestamp']), ParseErrorCode.TIMESTAMP],
    ['unparseable stageTimestamp', line({ stageTimestamp: 'yesterday' }), ParseErrorCode.TIMESTAMP],
    ['impossible date', line({ stageTimestamp: '2025-13-40T25:00:00Z' }), ParseErrorCode.TIMESTAMP],
  ])('%s → %s', (_n, text, code) => {
    const e = err(text, ctx({ position: 'line 7' }));
    expect(e).toMatchObject({ code, kind: 'k8s-audit', sourceName: 'kube-apiserver', position: 'line 7', sample: text });
  });

  it('reader flags win over content', () => {
    expect(err(line(), ctx({ truncated: true })).code).toBe(ParseErrorCode.TOO_LONG);
    expect(err(line(), ctx({ invalidUtf8: true })).code).toBe(ParseErrorCode.BAD_UTF8);
  });
});

describe('parseK8sAudit: AKS diagnostic wrapper', () => {
  const wrap = (log: unknown) => JSON.stringify({ category: 'kube-audit-admin', properties: { log, pod: 'kube-apiserver-1', stream: 'stdout' }, time: '2025-09-30T06:23:35.101355367Z' });
  it('unwraps properties.log as an object or as a JSON string', () => {
    for (const l of [wrap(base), wrap(JSON.stringify(base))]) {
      const e = ok(l);
      expect([e.id, e.ts]).toEqual([`k8s:${base.auditID}:ResponseComplete`, '2025-06-04T20:02:46.117181Z']);
    }
  });
  it('rejects a wrapper whose log is not an Event', () => {
    expect(err(wrap('{not json')).code).toBe(ParseErrorCode.SHAPE);
    expect(err(wrap({ hello: 1 })).code).toBe(ParseErrorCode.SHAPE);
  });
});

describe('parseK8sAudit: never throws', () => {
  it('on arbitrary text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => {
      const r = parseK8sAudit(s, ctx());
      if (r.ok) expect(SecurityEvent.safeParse(r.event).success).toBe(true);
    }), { numRuns: 500 });
  });
  it('on arbitrary JSON and on mutated events', () => {
    const keys = Object.keys(base);
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(...keys), (v, k) => {
      for (const l of [JSON.stringify(v), line({ [k]: v })]) {
        const r = parseK8sAudit(l, ctx());
        if (r.ok) expect(SecurityEvent.safeParse(r.event).success).toBe(true);
      }
    }), { numRuns: 500 });
  });
});
