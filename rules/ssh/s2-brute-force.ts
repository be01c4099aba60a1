// S2: SSH brute force: many failed attempts from one address against one host.
// Counts sshd auth.failure lines of the forms docs/rules.md names (ssh.form from
// services/parsers/programs/sshd.ts):
//   failed              "Failed password/publickey/none/... for [invalid user] X from IP"
//   invalid_user        "Invalid user X from IP"
//   max_auth_exceeded   "maximum authentication attempts exceeded for X from IP"
//   too_many_failures   "Disconnecting ...: Too many authentication failures"
// weighted by ssh.failures (an rsyslog "message repeated N times" line stands for N).
// PAM's lines (pam_unix "authentication failure", "PAM N more authentication
// failures") are NOT counted: they restate attempts sshd already logged as Failed lines,
// and counting both would let four mistyped passwords look like a brute force.
// Fires when more than `ssh.bruteForce.threshold` (10) fall within `ssh.bruteForce.window`
// (5 min). Key = host + ip; dedupe = the event id. The address comes from the parser,
// which reads it from the END of the line, so a user name holding a fake
// ` from <ip> port <n>` cannot move the attempt to another key.
// Must not fire: successful logins, scanner noise (no identification, negotiation
// failures), lines with no client address.
import { defineRule, type ThresholdRule } from '../define.js';

const COUNTED_FORMS = new Set(['failed', 'invalid_user', 'max_auth_exceeded', 'too_many_failures']);
/** User names are attacker text; only this much of one is kept as an item. */
const MAX_USER = 64;
const LISTED = 8;

export const S2: ThresholdRule = defineRule({
  kind: 'threshold',
  id: 'S2',
  title: 'SSH brute force',
  severity: 'warning',
  sources: ['syslog', 'journal'],
  apps: ['sshd'],
  runbook: 's2',
  tags: ['T1110.001', 'T1110.003'],
  description: 'More than ssh.bruteForce.threshold failed SSH attempts from one address to one host within ssh.bruteForce.window',
  params: (config) => ({ threshold: config.ssh.bruteForce.threshold, windowMs: config.ssh.bruteForce.window }),
  threshold: (config) => config.ssh.bruteForce.threshold,
  window: (config) => config.ssh.bruteForce.window,
  select(e) {
    const s = e.ssh;
    if (e.action !== 'auth.failure' || !s || s.failures < 1 || !COUNTED_FORMS.has(s.form)) return null;
    const ip = e.client.addrs[0];
    if (ip === undefined) return null;
    const user = s.user === null ? '(no user)' : s.user.slice(0, MAX_USER);
    return {
      key: `${e.host ?? '-'} ${ip}`,
      dedupe: e.id,
      item: s.invalidUser ? `${user} (invalid)` : user,
      weight: s.failures,
    };
  },
  describe(agg) {
    const sp = agg.key.lastIndexOf(' ');
    const host = agg.key.slice(0, sp);
    const ip = agg.key.slice(sp + 1);
    const users = agg.items.slice(0, LISTED).map((i) => `${i.value} (${i.count})`);
    const minutes = Math.max(1, Math.round((agg.lastMs - agg.firstMs) / 60_000));
    return {
      summary: `${agg.count} failed SSH attempts from ${ip} against ${host} in ${minutes} min, for ${users.join(', ')}`,
      fields: {
        addresses: [ip],
        target: host,
        host: host === '-' ? null : host,
        details: {
          attempts: agg.count,
          users: agg.items.map((i) => i.value),
        },
      },
    };
  },
});
