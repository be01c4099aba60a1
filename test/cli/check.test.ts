import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Config } from '../../schemas/config.js';
import type { Rule } from '../../rules/define.js';
import { rules } from '../../rules/index.js';
import { checkCommand, checkRuleSet, markdownAnchors } from '../../services/cli/commands/check.js';
import { packageRoot } from '../../services/lib/package-root.js';
import { makeIO } from '../helpers/io.js';

async function configFile(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tripline-check-'));
  const file = join(dir, 'config.yaml');
  await writeFile(file, text);
  return file;
}

/** A minimal valid rule to vary in the rule-set tests. */
function fakeRule(over: Record<string, unknown> = {}): Rule {
  return {
    kind: 'match', id: 'T1', title: 'Test rule', severity: 'warning', sources: ['syslog'],
    apps: ['sshd'], runbook: 't1', tags: [], description: 'test', match: () => null, ...over,
  } as Rule;
}

describe('tripline check', () => {
  it('passes the embedded defaults and the shipped rule set, with a summary', async () => {
    const { io, out, err } = makeIO();
    expect(await checkCommand.run([], io)).toBe(0);
    expect(err()).toBe('');
    const lines = out().trimEnd().split('\n');
    expect(lines[0]).toBe('tripline check: OK (embedded defaults)');
    expect(lines[1]).toBe(`  rules:    ${rules.length} loaded, ${rules.length} enabled`);
    expect(lines[2]).toBe('  networks: trusted (5), devvm (1), protected (5)');
    expect(lines[3]).toMatch(/^ {2}sources: {2}k8s-audit \d+(, [a-z-]+ \d+)*$/);
  });

  it('summarizes overrides and extra network sets from the config', async () => {
    const file = await configFile('networks:\n  lab: [192.0.2.0/24, 198.51.100.0/24]\nrules:\n  K2: { enabled: false }\n  K3: { severity: info }\n');
    const { io, out } = makeIO();
    expect(await checkCommand.run(['--config', file], io)).toBe(0);
    expect(out()).toContain(`tripline check: OK (${file})`);
    expect(out()).toContain(`  rules:    ${rules.length} loaded, ${rules.length - 1} enabled, disabled: K2, 1 severity override\n`);
    expect(out()).toContain('  networks: trusted (5), devvm (1), protected (5), lab (2)\n');
  });

  it('prints every config problem and exits 2', async () => {
    const file = await configFile('k8s:\n  massDelete:\n    threshold: x\nnetworks:\n  trusted: [10.0.0.300/8]\nrules:\n  K1: {}\n');
    const { io, out, err } = makeIO();
    expect(await checkCommand.run(['--config', file], io)).toBe(2);
    expect(out()).toBe('');
    const lines = err().trimEnd().split('\n');
    expect(lines).toEqual([
      `${file}: k8s.massDelete.threshold: expected a number, got "x" (line 3)`,
      `${file}: networks.trusted[0]: "10.0.0.300/8" is not an IPv4/IPv6 address or CIDR (line 5)`,
      expect.stringMatching(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: rules\\.K1: unknown rule id "K1" \\(known ids: K2, .*\\) \\(line 7\\)$`)),
      'tripline check: 3 problems found',
    ]);
  });

  it('names a missing config file and exits 2', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tripline-check-'));
    const { io, err } = makeIO();
    expect(await checkCommand.run(['--config', join(dir, 'absent.yaml')], io)).toBe(2);
    expect(err()).toBe(`${join(dir, 'absent.yaml')}: config file not found\ntripline check: 1 problem found\n`);
  });

  it('rejects unknown options as a usage error', async () => {
    const { io } = makeIO();
    await expect(checkCommand.run(['--nope'], io)).rejects.toMatchObject({ exitCode: 2, name: 'UsageError' });
  });
});

describe('checkRuleSet', () => {
  const config = Config.parse({});

  it('accepts a sound rule whose anchor is in the runbooks', () => {
    expect(checkRuleSet([fakeRule()], config, '# Runbooks\n\n## T1\n')).toEqual([]);
    expect(checkRuleSet([fakeRule()], config, null)).toEqual([]); // no runbooks file: anchors are not checked
  });

  it('reports each defect with the rule it belongs to', () => {
    const bad = [
      fakeRule({ id: 'T1' }),
      fakeRule({ id: 'T1', runbook: 't1' }),
      fakeRule({ id: 'T2', title: ' ', severity: 'high', sources: [], runbook: 'missing' }),
      fakeRule({ id: '', sources: ['carrier-pigeon'] }),
      fakeRule({ id: 'T3', runbook: '', params: () => { throw new Error('boom'); } }),
      fakeRule({ id: 'T4', kind: 'threshold', threshold: () => 0, window: () => 60_000 }),
    ];
    expect(checkRuleSet(bad, config, '## T1\n')).toEqual([
      'rule T1: id is used by another rule',
      'rule T2: has no title',
      'rule T2: severity "high" is not one of critical, warning, info',
      'rule T2: lists no source kinds',
      'rule T2: runbook anchor #missing is not in docs/runbooks.md',
      'rule rule #4: has no id',
      'rule rule #4: unknown source kind "carrier-pigeon"',
      'rule T3: has no runbook anchor',
      'rule T3: computing its parameters failed: boom',
      'rule T4: threshold is not a positive number',
    ]);
  });
});

describe('markdownAnchors', () => {
  it('collects GitHub heading slugs, duplicates, explicit ids and <a> anchors, not fenced code', () => {
    const md = [
      '# Runbooks',
      '## K2: ServiceAccount token used outside the cluster',
      '## K2: ServiceAccount token used outside the cluster',
      '### V5 — auth failure spike ###',
      '## Break-glass {#s3}',
      '<a id="h1"></a>',
      '```',
      '## not-a-heading',
      '```',
    ].join('\n');
    expect([...markdownAnchors(md)]).toEqual([
      'runbooks',
      'k2-serviceaccount-token-used-outside-the-cluster',
      'k2-serviceaccount-token-used-outside-the-cluster-1',
      'v5--auth-failure-spike',
      's3',
      'break-glass',
      'h1',
    ]);
  });
});

describe('packageRoot', () => {
  it('finds the package root from the commands folder', () => {
    const here = dirname(fileURLToPath(import.meta.url));
    expect(packageRoot(join(here, '..', '..', 'services', 'cli', 'commands'))).toBe(join(here, '..', '..'));
    expect(packageRoot('/')).toBeNull();
  });
});
