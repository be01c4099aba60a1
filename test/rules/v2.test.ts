import { describe, expect, it } from 'vitest';
import { V2 } from '../../rules/vault/v2-audit-device-change.js';
import { findingsOf, makeContext } from '../helpers/context.js';
import { ROOT_AUTH, vaultEvent } from '../helpers/rule-events.js';

const ctx = makeContext();
const run = (o: Partial<Parameters<typeof vaultEvent>[0]>) => findingsOf(V2.match(vaultEvent({ path: 'sys/audit/file', auth: ROOT_AUTH, ...o }), ctx));

describe('V2 audit device changed', () => {
  it('fires for disabling a device, on the request entry', () => {
    const [f, ...rest] = run({ operation: 'delete' });
    expect(rest).toEqual([]);
    expect(f!.key).toBe('file');
    expect(f!.summary).toBe('root disabled audit device file (delete sys/audit/file) from 10.0.20.15');
    expect(f!.fields).toMatchObject({ actor: 'root', actorKind: 'token', target: 'sys/audit/file', addresses: ['10.0.20.15'] });
    expect(f!.fields!.details).toMatchObject({ device: 'file', operation: 'delete', type: 'request' });
  });

  it('fires for enabling or changing a device', () => {
    expect(run({ operation: 'update', path: 'sys/audit/loki' }).map((f) => [f.key, f.summary])).toEqual([
      ['loki', 'root enabled or changed audit device loki (update sys/audit/loki) from 10.0.20.15'],
    ]);
    expect(run({ operation: 'create', path: 'sys/audit/syslog/nested' }).map((f) => f.key)).toEqual(['syslog/nested']);
  });

  it('fires once per request: the response entry never fires', () => {
    expect(run({ operation: 'delete', type: 'response' })).toEqual([]);
  });

  it('fires for a denied attempt and names the error', () => {
    expect(run({ operation: 'delete', error: 'permission denied' }).map((f) => f.summary)).toEqual([
      'root disabled audit device file (delete sys/audit/file) from 10.0.20.15 (error: permission denied)',
    ]);
  });

  it('does not fire for reads, the listing, or sys/audit-hash', () => {
    expect(run({ operation: 'read' })).toEqual([]);
    expect(run({ operation: 'read', path: 'sys/audit' })).toEqual([]);
    expect(run({ operation: 'update', path: 'sys/audit-hash/file' })).toEqual([]);
  });

  it('declares its metadata', () => {
    expect(V2).toMatchObject({ id: 'V2', severity: 'critical', runbook: 'v2', tags: ['T1562.008'], sources: ['vault-audit'], apps: ['vault'] });
  });
});
