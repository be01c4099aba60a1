import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Config } from '../../schemas/config.js';
import type { Rule } from '../../rules/define.js';
import { rules } from '../../rules/index.js';
import { formatMs, ruleCatalogue, rulesCommand, tableLines, type RuleEntry } from '../../services/cli/commands/rules.js';
import { ConfigError } from '../../services/config/load.js';
import { makeIO } from '../helpers/io.js';

async function configFile(text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tripline-rules-'));
  const file = join(dir, 'config.yaml');
  await writeFile(file, text);
  return file;
}

async function jsonCatalogue(argv: string[] = []): Promise<RuleEntry[]> {
  const { io, out } = makeIO();
  expect(await rulesCommand.run(['--format', 'json', ...argv], io)).toBe(0);
  return JSON.parse(out()) as RuleEntry[];
}

describe('tripline rules', () => {
  it('lists every rule of the registry, in registry order, as JSON', async () => {
    const entries = await jsonCatalogue();
    expect(entries.map((e) => e.id)).toEqual(rules.map((r) => r.id));
    const k2 = entries.find((e) => e.id === 'K2')!;
    expect(k2).toMatchObject({ severity: 'critical', defaultSeverity: 'critical', enabled: true, sources: ['k8s-audit'], kind: 'match' });
    expect(k2.params).toEqual({ networks: { trusted: Config.parse({}).networks.trusted, devvm: ['10.0.10.0/24'] } });
  });

  it('applies the config: parameters, disabled rules and severity overrides', async () => {
    const file = await configFile('networks:\n  trusted: [10.1.0.0/16]\nrules:\n  K2: { severity: warning }\n  K3: { enabled: false }\n');
    const entries = await jsonCatalogue(['--config', file]);
    const k2 = entries.find((e) => e.id === 'K2')!;
    expect(k2.severity).toBe('warning');
    expect(k2.defaultSeverity).toBe('critical');
    expect(k2.params).toEqual({ networks: { trusted: ['10.1.0.0/16'], devvm: ['10.0.10.0/24'] } });
    expect(entries.find((e) => e.id === 'K3')!.enabled).toBe(false);
  });

  it('prints a table with a header, one row per rule and its parameters indented', async () => {
    const file = await configFile('rules:\n  K2: { severity: warning }\n  K3: { enabled: false }\n');
    const { io, out } = makeIO();
    expect(await rulesCommand.run(['--config', file], io)).toBe(0);
    const lines = out().trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +SEVERITY +ENABLED +SOURCES +TITLE$/);
    const k2 = lines.findIndex((l) => l.startsWith('K2 '));
    expect(lines[k2]).toMatch(/^K2 +warning \(default critical\) +yes +k8s-audit +ServiceAccount token used outside the cluster$/);
    expect(lines[k2 + 1]).toBe('    networks.trusted: 10.0.20.0/22, 192.168.1.0/24, 10.10.0.0/16, 10.96.0.0/12, 100.64.0.0/10');
    expect(lines[k2 + 2]).toBe('    networks.devvm: 10.0.10.0/24');
    expect(lines.find((l) => l.startsWith('K3 '))).toMatch(/^K3 +critical +no +k8s-audit +/);
    expect(lines.filter((l) => /^[A-Z]\d /.test(l))).toHaveLength(rules.length);
  });

  it('keeps control characters from config out of the terminal', () => {
    const entry = { id: 'T1', title: 'Test', severity: 'info', defaultSeverity: 'info', enabled: true, sources: ['syslog'], params: { humans: ['evil\u001b[2Jname'] } } as unknown as RuleEntry;
    const lines = tableLines([entry]);
    expect(lines[2]).toBe('    humans: evil\\x1b[2Jname');
    expect(lines.join('\n')).not.toContain('\u001b');
  });

  it('rejects a bad --format and a bad config with exit code 2', async () => {
    const { io } = makeIO();
    await expect(rulesCommand.run(['--format', 'xml'], io)).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/^--format must be table or json \(got "xml"\)/) });
    const file = await configFile('rules:\n  K2: { severity: high }\n');
    const e = await rulesCommand.run(['--config', file], io).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).exitCode).toBe(2);
    expect((e as ConfigError).problems).toEqual([{ path: 'rules.K2.severity', message: 'expected one of "critical", "warning", "info", got "high"', line: 2 }]);
  });
});

describe('ruleCatalogue', () => {
  const windowed = {
    kind: 'threshold', id: 'T5', title: 'Burst', severity: 'critical', sources: ['k8s-audit'], apps: ['k8s'], runbook: 't5', tags: [],
    description: 'test', select: () => null, threshold: (c: Config) => c.k8s.massDelete.threshold, window: (c: Config) => c.k8s.massDelete.window,
    describe: () => ({ summary: '' }),
  } as unknown as Rule;

  it('shows threshold and window of a windowed rule without params(), and a cooldown override', () => {
    const config = Config.parse({ k8s: { massDelete: { threshold: 8, window: '2m' } }, rules: { T5: { cooldown: '1h' } } });
    expect(ruleCatalogue([windowed], config)[0]!.params).toEqual({ threshold: 8, window: '2m', cooldown: '1h' });
    expect(ruleCatalogue([windowed], Config.parse({}))[0]!.params).toEqual({ threshold: 5, window: '1m' });
  });

  it("prefers the rule's own params() and shows Ms values as durations in the table", () => {
    const own = { ...windowed, params: (c: Config) => ({ boots: c.k8s.massDelete.threshold, windowMs: c.k8s.massDelete.window, maxSilenceMs: { vault: 21_600_000 } }) } as Rule;
    const [entry] = ruleCatalogue([own], Config.parse({}));
    expect(entry!.params).toEqual({ boots: 5, windowMs: 60_000, maxSilenceMs: { vault: 21_600_000 } });
    expect(tableLines([entry!]).slice(2)).toEqual(['    boots: 5', '    windowMs: 60000 (1m)', '    maxSilenceMs.vault: 21600000 (6h)']);
  });

  it('formats durations in the largest whole unit', () => {
    expect([formatMs(60_000), formatMs(300_000), formatMs(3_600_000), formatMs(86_400_000), formatMs(1500), formatMs(90_000)]).toEqual(['1m', '5m', '1h', '1d', '1500ms', '90s']);
  });
});
