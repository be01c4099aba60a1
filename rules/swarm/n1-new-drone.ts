// N1: a build drone nobody has approved registered with the gateway.
// Fires: the first `drone.register` of a drone id that is neither in
// `swarm.approvedDrones` (exact ids or globs) nor seen before. The seen set is engine
// state that survives restarts (snapshot/restore), so a drone fires once, not once per
// restart. Approved drones are remembered but never fire. Key = drone id.
// The alert says the drone is pending approval and gives its id, address and cores.
// The drone's self-reported `status` is not trusted to mean approved: only config is.
// Must not fire: approved drones, a drone already seen, other swarm events.
import { defineRule, type FirstSeenRule } from '../define.js';

export const N1: FirstSeenRule = defineRule({
  kind: 'first-seen',
  id: 'N1',
  title: 'New build drone pending approval',
  severity: 'warning',
  sources: ['swarm'],
  apps: ['swarm'],
  runbook: 'n1',
  tags: ['T1200'],
  description: 'A drone registers whose id is neither in swarm.approvedDrones nor seen before',
  params: (config) => ({ approvedDrones: config.swarm.approvedDrones }),
  select(e, ctx) {
    const d = e.drone;
    if (e.action !== 'drone.register' || !d) return null;
    return { key: d.id, known: ctx.matches(ctx.config.swarm.approvedDrones, d.id) };
  },
  describe(e) {
    const d = e.drone!;
    const addrs = [...new Set([d.sourceIp, d.advertisedIp].filter((a): a is string => a !== null))];
    const where =
      d.sourceIp !== null && d.advertisedIp !== null && d.advertisedIp !== d.sourceIp
        ? `${d.sourceIp} (advertising ${d.advertisedIp})`
        : (addrs[0] ?? 'an unknown address');
    const cores = d.cores === null ? 'unknown cores' : `${d.cores} cores`;
    return {
      summary: `New build drone ${d.id} registered from ${where} with ${cores}: pending approval`,
      fields: {
        addresses: addrs,
        target: d.id,
        host: e.host,
        details: {
          drone: d.id,
          sourceIp: d.sourceIp,
          advertisedIp: d.advertisedIp,
          cores: d.cores,
          status: d.status,
        },
      },
    };
  },
});
