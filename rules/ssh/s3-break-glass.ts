// S3: the break-glass sshd listener was used. Always worth a look, never silent.
// Fires: an `Accepted <method> for <user> from <ip>` line whose session came in on local
// port `ssh.breakGlass.port` (52222), learned from the same host and sshd PID's earlier
// `Connection from <ip> port <n> on <local> port 52222` line (ctx.corr.sshConnection),
// and, when `ssh.breakGlass.keys` is not empty, with a key whose SHA256 fingerprint is
// listed (the `SHA256:` prefix is optional in config). From any address, trusted or not.
// Key = host + ip.
// Must not fire: logins on other ports, logins with no earlier Connection line for the
// PID, a Connection line from a different client address (a reused PID), an unlisted key
// or a password when keys are listed (then it is not break-glass, and S1 judges it).
import { defineRule, type RuleContext, type MatchRule } from '../define.js';
import type { SecurityEvent } from '../../schemas/event.js';

function fp(s: string): string {
  return s.startsWith('SHA256:') ? s.slice(7) : s;
}

/** Whether an Accepted event is a break-glass login (S3), which S1 then leaves alone. */
export function isBreakGlass(e: SecurityEvent, ctx: RuleContext): boolean {
  const s = e.ssh;
  if (!s || s.form !== 'accepted' || e.action !== 'auth.success') return false;
  const bg = ctx.config.ssh.breakGlass;
  const conn = ctx.corr.sshConnection(e.host, s.pid);
  if (!conn || conn.localPort !== bg.port) return false;
  const ip = e.client.addrs[0];
  if (ip !== undefined && conn.clientIp !== ip) return false;
  if (bg.keys.length === 0) return true;
  return s.keyFingerprint !== null && bg.keys.some((k) => fp(k) === fp(s.keyFingerprint!));
}

export const S3: MatchRule = defineRule({
  kind: 'match',
  id: 'S3',
  title: 'Break-glass SSH used',
  severity: 'warning',
  sources: ['syslog', 'journal'],
  apps: ['sshd'],
  runbook: 's3',
  tags: ['T1078', 'T1021.004'],
  description: 'A successful SSH login on the break-glass port ssh.breakGlass.port (with a listed key when ssh.breakGlass.keys is set)',
  params: (config) => ({ port: config.ssh.breakGlass.port, keys: config.ssh.breakGlass.keys }),
  match(e, ctx) {
    if (!isBreakGlass(e, ctx)) return null;
    const s = e.ssh!;
    const host = e.host ?? '-';
    const ip = e.client.addrs[0] ?? '-';
    const user = s.user ?? e.actor.name ?? '(unknown user)';
    const key = s.keyFingerprint ? ` with key ${s.keyType ?? ''} ${s.keyFingerprint}`.replace('  ', ' ') : '';
    const trusted = ip !== '-' && ctx.inNetworks(ip, ['trusted']);
    return {
      key: `${host} ${ip}`,
      summary: `Break-glass SSH used: ${user} logged in to ${host} from ${ip} on port ${ctx.config.ssh.breakGlass.port} (${s.method ?? 'unknown method'}${key})`,
      fields: {
        actor: user,
        actorKind: e.actor.kind,
        addresses: [...e.client.addrs],
        outsideTrusted: trusted || ip === '-' ? [] : [ip],
        target: host,
        host: e.host,
        details: {
          pid: s.pid,
          method: s.method,
          keyType: s.keyType,
          keyFingerprint: s.keyFingerprint,
          localPort: ctx.config.ssh.breakGlass.port,
          trustedAddress: trusted,
        },
      },
    };
  },
});
