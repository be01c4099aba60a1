import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ruleById, rules } from '../../rules/index.js';
import { Config } from '../../schemas/config.js';

const CATALOGUE = 'K2 K3 K4 K5 K6 K7 K8 K9 V1 V2 V3 V4 V5 V6 V7 S1 S2 S3 N1 N2 G1 R1 R2 I1 I2 H1 H2'.split(' ');
const runbooks = readFileSync(new URL('../../docs/runbooks.md', import.meta.url), 'utf8');

describe('rule registry', () => {
  it('lists every rule once, in catalogue order', () => {
    expect(rules.map((r) => r.id)).toEqual(CATALOGUE);
  });

  it('finds rules by id', () => {
    expect(ruleById('K7')?.title).toBe('Wildcard ClusterRole written');
    expect(ruleById('k7')).toBeUndefined();
    expect(ruleById('K1')).toBeUndefined(); // deliberately absent (rules.md)
  });

  it('gives every rule a lowercase-id runbook anchor followed by its "## <id> <title>" section', () => {
    for (const r of rules) {
      expect(r.runbook).toBe(r.id.toLowerCase());
      expect(runbooks).toContain(`<a id="${r.runbook}"></a>\n## ${r.id} ${r.title}\n`);
    }
  });

  it('declares sources, apps, a description and params that evaluate on the default config', () => {
    const config = Config.parse({});
    for (const r of rules) {
      expect(r.sources.length, r.id).toBeGreaterThan(0);
      expect(r.description.length, r.id).toBeGreaterThan(10);
      if (r.params) expect(typeof r.params(config), r.id).toBe('object');
      if (r.id !== 'H1' && r.id !== 'H2') expect(r.apps.length, r.id).toBeGreaterThan(0);
    }
  });
});
