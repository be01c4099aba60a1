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

  it('the response entry fires too (enabling the first device logs only the response), with the same key', () => {
    expect(run({ operation: 'update', type: 'response' }).map((f) => f.key)).toEqual(['file']);
  });

  it('one request logged as request and response is one alert (the engine anchors on the request id)', async () => {
    const { Engine } = await import('../../services/engine/engine.js');
    const { Config } = await import('../../schemas/config.js');
    const engine = new Engine({ rules: [V2], config: Config.parse({}) });
    const req = vaultEvent({ path: 'sys/audit/file', auth: ROOT_AUTH, operation: 'delete' });
    const res = vaultEvent({ path: 'sys/audit/file', auth: ROOT_AUTH, operation: 'delete', type: 'response' });
    expect(res.vault?.requestId).toBe(req.vault?.requestId);
    const alerts = [...engine.push({ event: req, line: 'req' }), ...engine.push({ event: res, line: 'res' })];
    expect(alerts).toHaveLength(1);
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
