// G1: the orchestrator is about to run a destructive remote action on a protected address.
// Fires: a `remote.action` (JSON `action.remote` or text `Initiating SSH <action> to <ip>`)
// whose action is destructive and whose target address is in `networks.protected`.
// Destructive (case-insensitive): reboot, shutdown, poweroff, halt, kexec, restart (a
// host or its services going down), kill, pkill, killall (processes on the host). The
// rules.md list (reboot, shutdown, kill) is widened to the commands with the same effect.
// Key = target address.
// Must not fire: non-destructive actions (e.g. a status probe or a sync), unprotected
// targets, a target that is a host name rather than an address (cannot be judged
// numerically), or the `Reboot command sent` follow-up line (it names no target).
import { defineRule, type MatchRule } from '../define.js';

export const DESTRUCTIVE_ACTIONS: readonly string[] = ['reboot', 'shutdown', 'poweroff', 'halt', 'kexec', 'restart', 'kill', 'pkill', 'killall'];

export const G1: MatchRule = defineRule({
  kind: 'match',
  id: 'G1',
  title: 'Destructive remote action aimed at a protected address',
  severity: 'critical',
  sources: ['swarm'],
  apps: ['swarm'],
  runbook: 'g1',
  tags: ['T1529'],
  description: 'The orchestrator starts a reboot/shutdown/kill-like remote action on an address in networks.protected',
  params: (config) => ({ actions: DESTRUCTIVE_ACTIONS, networks: { protected: config.networks.protected } }),
  match(e, ctx) {
    const r = e.remote;
    if (e.action !== 'remote.action' || !r || r.targetIp === null) return null;
    const action = r.action.toLowerCase();
    if (!DESTRUCTIVE_ACTIONS.includes(action)) return null;
    if (!ctx.inNetworks(r.targetIp, ['protected'])) return null;
    return {
      key: r.targetIp,
      summary: `The orchestrator is starting an SSH ${action} of protected address ${r.targetIp}${r.drone ? ` (believing it is drone ${r.drone})` : ''}${
        r.reason ? `: ${r.reason}` : ''
      }`,
      fields: {
        actor: e.host ?? 'orchestrator',
        actorKind: 'system',
        addresses: [r.targetIp],
        target: r.targetIp,
        host: e.host,
        details: { action, drone: r.drone, reason: r.reason },
      },
    };
  },
});
