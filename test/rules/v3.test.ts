import { describe, expect, it } from 'vitest';
import { V3 } from '../../rules/vault/v3-seal.js';
import { findingsOf, makeContext } from '../helpers/context.js';
import { HUMAN_AUTH, ROOT_AUTH, vaultEvent } from '../helpers/rule-events.js';

const ctx = makeContext();
const run = (o: Parameters<typeof vaultEvent>[0]) => findingsOf(V3.match(vaultEvent(o), ctx));

describe('V3 seal or step-down', () => {
  it('fires on the sys/seal request entry (sealing writes no response)', () => {
    const [f, ...rest] = run({ path: 'sys/seal', auth: ROOT_AUTH });
    expect(rest).toEqual([]);
    expect(f!.key).toBe('seal');
    expect(f!.summary).toBe('root sealed Vault (sys/seal) from 10.0.20.15');
    expect(f!.fields).toMatchObject({ actor: 'root', target: 'sys/seal', addresses: ['10.0.20.15'] });
  });

  it('fires on sys/step-down', () => {
    expect(run({ path: 'sys/step-down', auth: HUMAN_AUTH, remote: '10.0.20.40' }).map((f) => [f.key, f.summary])).toEqual([
      ['step-down', 'oidc-me@viktorbarzin.me made the active Vault node step down (sys/step-down) from 10.0.20.40'],
    ]);
  });

  it('does not fire on a response entry or other sys paths', () => {
    expect(run({ type: 'response', path: 'sys/step-down', auth: ROOT_AUTH })).toEqual([]);
    expect(run({ path: 'sys/seal-status', operation: 'read', auth: null })).toEqual([]);
    expect(run({ path: 'sys/unseal', auth: null })).toEqual([]);
  });

  it('declares its metadata', () => {
    expect(V3).toMatchObject({ id: 'V3', severity: 'critical', runbook: 'v3', sources: ['vault-audit'], apps: ['vault'] });
  });
});
