// N2: a drone registered under a protected address: the NAT-masquerade pattern.
// Fires: a `drone.register` whose source address (what the gateway saw) or advertised
// address (what the drone claims, the recorded contact address when given) is in
// `networks.protected` (gateway LAN 10.42.0.199, gateway tailnet, router, loopback). In
// the NAT incident a drone behind the gateway registered as 10.42.0.199, the gateway's
// own address, and the orchestrator later rebooted the gateway "to fix the drone".
// Key = drone id. Must not fire: ordinary drone addresses, other swarm events.
// Addresses are judged numerically; a value that is not an address matches no set.
import { defineRule, type MatchRule } from '../define.js';

export const N2: MatchRule = defineRule({
  kind: 'match',
  id: 'N2',
  title: 'Drone registered under a protected address',
  severity: 'critical',
  sources: ['swarm'],
  apps: ['swarm'],
  runbook: 'n2',
  tags: ['T1557', 'T1036'],
  description: 'A drone registration whose source or advertised address is in networks.protected',
  params: (config) => ({ networks: { protected: config.networks.protected } }),
  match(e, ctx) {
    const d = e.drone;
    if (e.action !== 'drone.register' || !d) return null;
    const claimed: Array<[string, string]> = [];
    if (d.sourceIp !== null) claimed.push(['source', d.sourceIp]);
    if (d.advertisedIp !== null) claimed.push(['advertised', d.advertisedIp]);
    const hits = claimed.filter(([, a]) => ctx.inNetworks(a, ['protected']));
    if (hits.length === 0) return null;
    const what = hits.map(([k, a]) => `${k} address ${a}`).join(' and ');
    const addresses = [...new Set(claimed.map(([, a]) => a))];
    return {
      key: d.id,
      summary: `Drone ${d.id} registered with protected ${what}${
        d.sourceIp && !hits.some(([k]) => k === 'source') ? ` (seen from ${d.sourceIp})` : ''
      }: a NAT-masqueraded drone or an impersonation`,
      fields: {
        actor: d.id,
        actorKind: 'unknown',
        addresses,
        target: hits[0]![1],
        host: e.host,
        details: {
          drone: d.id,
          sourceIp: d.sourceIp,
          advertisedIp: d.advertisedIp,
          protectedAddresses: [...new Set(hits.map(([, a]) => a))],
          cores: d.cores,
          status: d.status,
        },
      },
    };
  },
});
