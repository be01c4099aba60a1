import { describe, expect, it } from 'vitest';
import { discoverDefaultSources, type DiscoveryEnv } from '../../services/cli/run/default-sources.js';

const env = (paths: string[], onPath: string[] = []): DiscoveryEnv => ({
  exists: (p) => paths.includes(p),
  list: () => [],
  onPath: (c) => onPath.includes(c),
});

describe('default sources of tripline run', () => {
  it('takes the standard paths that exist and says why it skipped the others', () => {
    const d = discoverDefaultSources(env(['/var/log/kubernetes/audit', '/var/log/syslog'], ['journalctl']));
    expect(d.found.map((f) => [f.source.name, f.source.kind, f.source.path ?? null])).toEqual([
      ['k8s-audit', 'k8s-audit', '/var/log/kubernetes/audit/*.log'],
      ['sshd-journal', 'journal', null],
      ['syslog', 'syslog', '/var/log/syslog'],
    ]);
    expect(d.skipped).toEqual([{ name: 'vault-audit', why: expect.stringContaining('/var/log/vault/audit.log') }]);
    const journal = d.found.find((f) => f.source.kind === 'journal')!.source;
    expect(journal.journal?.matches).toEqual(['SYSLOG_IDENTIFIER=sshd', 'SYSLOG_IDENTIFIER=sshd-session', 'SYSLOG_IDENTIFIER=sshd-auth']);
  });

  it('on a bare machine finds nothing and explains every skip', () => {
    const d = discoverDefaultSources(env([]));
    expect(d.found).toEqual([]);
    expect(d.skipped.map((s) => s.name)).toEqual(['k8s-audit', 'vault-audit', 'sshd-journal', 'syslog']);
    expect(d.skipped.every((s) => s.why.length > 10)).toBe(true);
  });

  it('finds the Vault audit file when only its directory exists yet (Vault creates it on enable)', () => {
    const d = discoverDefaultSources(env(['/vault/logs']));
    expect(d.found.map((f) => f.source.path)).toEqual(['/vault/logs/audit.log']);
  });
});
