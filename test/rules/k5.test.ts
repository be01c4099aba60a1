import { describe, expect, it } from 'vitest';
import { K5 } from '../../rules/k8s/k5-mass-delete.js';
import type { Alert } from '../../schemas/alert.js';
import { alertId } from '../../services/engine/alert-id.js';
import { makeEngine } from '../helpers/engine.js';
import { parseLine } from '../helpers/events.js';

interface Del {
  sec: number;
  name: string;
  user?: string;
  verb?: string;
  resource?: string;
  ns?: string;
  stage?: string;
  code?: number;
  auditID?: string;
}

/** One audit.k8s.io/v1 line, as kube-apiserver's log backend writes it. */
function line(d: Del): string {
  const ts = new Date(Date.UTC(2026, 5, 10, 3, 0, 0) + d.sec * 1000).toISOString();
  return JSON.stringify({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: d.auditID ?? `del-${d.name}`,
    stage: d.stage ?? 'ResponseComplete',
    requestURI: `/api/v1/namespaces/${d.ns ?? 'prod'}/${d.resource ?? 'pods'}/${d.name}`,
    verb: d.verb ?? 'delete',
    user: { username: d.user ?? 'mallory@example.com', groups: ['system:authenticated'] },
    sourceIPs: ['10.0.20.77'],
    userAgent: 'kubectl/v1.31.0',
    objectRef: { resource: d.resource ?? 'pods', namespace: d.ns ?? 'prod', name: d.verb === 'deletecollection' ? undefined : d.name, apiVersion: 'v1' },
    ...(d.stage === 'RequestReceived' ? {} : { responseStatus: { metadata: {}, code: d.code ?? 200 } }),
    requestReceivedTimestamp: ts,
    stageTimestamp: ts,
  });
}

function replay(dels: Del[], config = {}): Alert[] {
  const engine = makeEngine([K5], { config });
  const out: Alert[] = [];
  for (const d of dels) {
    const l = line(d);
    out.push(...engine.push({ event: parseLine('k8s-audit', l), line: l }));
  }
  return [...out, ...engine.flush()];
}

/** n deletes, one every 5 s, each logged at RequestReceived and ResponseComplete. */
function twoStage(n: number, over: Partial<Del> = {}): Del[] {
  return Array.from({ length: n }, (_, i) => [
    { sec: i * 5, name: `web-${i}`, stage: 'RequestReceived', ...over },
    { sec: i * 5 + 1, name: `web-${i}`, stage: 'ResponseComplete', ...over },
  ]).flat();
}

describe('K5 mass delete', () => {
  it('counts a request logged at two stages once and fires on the sixth request', () => {
    const alerts = replay(twoStage(6));
    expect(alerts).toHaveLength(1);
    const a = alerts[0]!;
    expect(a).toMatchObject({ rule: 'K5', severity: 'critical', key: 'mallory@example.com', count: 6, runbook: 'docs/runbooks.md#k5', tags: ['T1485'] });
    // Anchored on the crossing instant, so the id does not depend on arrival order within it.
    expect(a.id).toBe(alertId('K5', 'mallory@example.com', `t:${Date.parse('2026-06-10T03:00:25Z')}.0`));
    expect(a.ts).toBe('2026-06-10T03:00:25Z');
    expect(a.firstSeen).toBe('2026-06-10T03:00:00Z');
    expect(a.summary).toBe(
      'mallory@example.com deleted 6 pods/secrets/configmaps in 25 s: pods:prod/web-0, pods:prod/web-1, pods:prod/web-2, pods:prod/web-3, pods:prod/web-4, pods:prod/web-5',
    );
    expect(a.fields.details?.objects).toEqual(['pods:prod/web-0', 'pods:prod/web-1', 'pods:prod/web-2', 'pods:prod/web-3', 'pods:prod/web-4', 'pods:prod/web-5']);
    expect(a.fields.addresses).toEqual(['10.0.20.77']);
    // Evidence: one line per request (the first stage seen), raw audit JSON.
    expect(a.evidence).toHaveLength(6);
    expect(JSON.parse(a.evidence[0]!.line).stage).toBe('RequestReceived');
  });

  it('does not fire for five requests, however many stages each has', () => {
    expect(replay(twoStage(5))).toEqual([]);
  });

  it('never counts excluded bulk-deleters (exact names and globs)', () => {
    for (const user of [
      'system:node:worker-1',
      'system:serviceaccount:kube-system:generic-garbage-collector',
      'system:serviceaccount:kube-system:namespace-controller',
      'system:serviceaccount:woodpecker:runner',
    ]) {
      expect(replay(twoStage(10, { user }))).toEqual([]);
    }
    expect(replay(twoStage(10, { user: 'ci-bot' }), { k8s: { massDelete: { exclude: ['ci-*'] } } })).toEqual([]);
  });

  it('counts secrets and configmaps and deletecollection, not other resources or verbs', () => {
    const mixed: Del[] = [
      { sec: 0, name: 'a', resource: 'secrets' },
      { sec: 1, name: 'b', resource: 'configmaps' },
      { sec: 2, name: 'c', resource: 'pods' },
      { sec: 3, name: 'd', resource: 'deployments' },
      { sec: 4, name: 'e', verb: 'get' },
      { sec: 5, name: 'f', verb: 'update' },
      { sec: 6, name: 'g', resource: 'secrets', ns: 'vault' },
      { sec: 7, name: 'h', resource: 'pods', ns: 'dev' },
      { sec: 8, name: 'all', verb: 'deletecollection', resource: 'configmaps', ns: 'dev' },
    ];
    const [a, ...rest] = replay(mixed);
    expect(rest).toEqual([]);
    expect(a!.count).toBe(6);
    expect(a!.fields.details?.objects).toEqual([
      'configmaps:dev/*',
      'configmaps:prod/b',
      'pods:dev/h',
      'pods:prod/c',
      'secrets:prod/a',
      'secrets:vault/g',
    ]);
  });

  it('does not count denied or failed deletes', () => {
    const denied = Array.from({ length: 8 }, (_, i): Del => ({ sec: i, name: `p${i}`, code: 403 }));
    expect(replay(denied)).toEqual([]);
  });

  it('keeps users apart and follows the configured threshold and window', () => {
    const a = twoStage(4, { user: 'alice' });
    const b = twoStage(4, { user: 'bob' }).map((d) => ({ ...d, auditID: `bob-${d.name}` }));
    expect(replay([...a, ...b].sort((x, y) => x.sec - y.sec))).toEqual([]);
    expect(replay(twoStage(4), { k8s: { massDelete: { threshold: 3 } } }).map((x) => x.count)).toEqual([4]);
    // 6 requests 5 s apart span 25 s: not within a 20 s window.
    expect(replay(twoStage(6), { k8s: { massDelete: { window: '20s' } } })).toEqual([]);
  });
});
