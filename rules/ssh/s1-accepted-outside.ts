// S1: an SSH login accepted from outside the trusted networks.
// Fires: `Accepted <method> for <user> from <ip> port <n>` with <ip> outside
// `networks.trusted`. Key = host + user + ip.
// Must not fire: trusted addresses (IPv4-mapped IPv6 counts as IPv4), failed attempts
// (S2 counts those), a break-glass login (S3 reports it instead), a line with no address.
// The address is the one sshd parsed from the end of the line (the parser takes the last
// ` from <ip> port <n>`, so a username holding fake ` from 10.0.20.5` text cannot move it).
import { defineRule, type MatchRule } from '../define.js';
import { isBreakGlass } from './s3-break-glass.js';

export const S1: MatchRule = defineRule({
  kind: 'match',
  id: 'S1',
  title: 'SSH login from outside trusted networks',
  severity: 'critical',
  sources: ['syslog', 'journal'],
  apps: ['sshd'],
  runbook: 's1',
  tags: ['T1078', 'T1021.004'],
  description: 'sshd accepted a login from an address outside networks.trusted (break-glass logins are S3)',
  params: (config) => ({ networks: { trusted: config.networks.trusted }, breakGlassPort: config.ssh.breakGlass.port }),
  match(e, ctx) {
    const s = e.ssh;
    if (!s || s.form !== 'accepted' || e.action !== 'auth.success') return null;
    const ip = e.client.addrs[0];
    if (ip === undefined || ctx.inNetworks(ip, ['trusted'])) return null;
    if (isBreakGlass(e, ctx)) return null;
    const host = e.host ?? '-';
    const user = s.user ?? e.actor.name ?? '(unknown user)';
    const key = s.keyFingerprint ? ` with key ${s.keyType ?? ''} ${s.keyFingerprint}`.replace('  ', ' ') : '';
    return {
      key: `${host} ${user} ${ip}`,
      summary: `${user} logged in to ${host} over SSH from ${ip} (outside trusted networks) by ${s.method ?? 'an unknown method'}${key}`,
      fields: {
        actor: user,
        actorKind: e.actor.kind,
        addresses: [...e.client.addrs],
        outsideTrusted: [ip],
        target: host,
        host: e.host,
        details: { pid: s.pid, method: s.method, keyType: s.keyType, keyFingerprint: s.keyFingerprint, port: e.client.port },
      },
    };
  },
});
