// The embedded default sources of `tripline run` (no `sources:` in the config): the
// standard locations of the reference homelab's logs, kept only where they exist on
// this machine. The caller prints what was found and what was skipped, and why.
import { existsSync, readdirSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import type { SourceConfig } from '../../../schemas/run-config.js';

export interface Discovery {
  found: Array<{ source: SourceConfig; why: string }>;
  skipped: Array<{ name: string; why: string }>;
}

export interface DiscoveryEnv {
  exists(path: string): boolean;
  /** Entries of a directory, or [] when it cannot be read. */
  list(dir: string): string[];
  /** Whether an executable is on PATH. */
  onPath(cmd: string): boolean;
}

export const realDiscoveryEnv = (env: NodeJS.ProcessEnv): DiscoveryEnv => ({
  exists: existsSync,
  list: (dir) => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  },
  onPath: (cmd) => (env['PATH'] ?? '').split(delimiter).some((d) => d && existsSync(join(d, cmd))),
});

const VAULT_AUDIT_FILES = ['/var/log/vault/audit.log', '/vault/logs/audit.log', '/var/log/vault_audit.log'];

export function discoverDefaultSources(env: DiscoveryEnv): Discovery {
  const found: Discovery['found'] = [];
  const skipped: Discovery['skipped'] = [];
  const base = { startAt: 'end' as const };

  const k8sDir = '/var/log/kubernetes/audit';
  if (env.exists(k8sDir)) {
    found.push({ source: { ...base, name: 'k8s-audit', kind: 'k8s-audit', path: `${k8sDir}/*.log` }, why: `${k8sDir}/*.log` });
  } else skipped.push({ name: 'k8s-audit', why: `${k8sDir} does not exist` });

  const vault = VAULT_AUDIT_FILES.find((p) => env.exists(p) || env.exists(dirname(p)));
  if (vault) found.push({ source: { ...base, name: 'vault-audit', kind: 'vault-audit', path: vault }, why: vault });
  else skipped.push({ name: 'vault-audit', why: `none of ${VAULT_AUDIT_FILES.join(', ')} exists` });

  if (env.onPath('journalctl')) {
    found.push({
      source: {
        ...base,
        name: 'sshd-journal',
        kind: 'journal',
        journal: { command: 'journalctl', units: [], matches: ['SYSLOG_IDENTIFIER=sshd', 'SYSLOG_IDENTIFIER=sshd-session', 'SYSLOG_IDENTIFIER=sshd-auth'] },
      },
      why: 'journalctl (sshd, sshd-session, sshd-auth)',
    });
  } else skipped.push({ name: 'sshd-journal', why: 'journalctl is not on PATH' });

  if (env.exists('/var/log/syslog')) {
    found.push({ source: { ...base, name: 'syslog', kind: 'syslog', path: '/var/log/syslog' }, why: '/var/log/syslog (snort alert_syslog)' });
  } else skipped.push({ name: 'syslog', why: '/var/log/syslog does not exist' });

  return { found, skipped };
}
