// Which tripline.signals partition owns which state (issue 7).
//
// Engine.stateRoutes(e) says where the state an event touches lives; this file turns that
// into partitions:
//   (rule, key)  windowed / first-seen rule state      → hash("k\0<rule>\0<key>")
//   host         correlation indexes (ssh, boots) and  → hash("h\0<host>")
//                the rules that consult them (S3, R1, R2)
//   source       H1/H2 (the health lane)               → hash("health"): ONE partition
// The health lane is deliberately not spread: silence (H1) is judged against the newest
// event of ANY source, so one place must see every source's progress; its work per event
// is a counter bump. Everything else spreads over the partitions.
//
// Hashing is Kafka's default partitioner (murmur2, as the Java client and kafkajs's
// DefaultPartitioner), so an operator can predict a key's partition with any client.
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import type { StateRoute } from '../engine/engine.js';
import type { SignalMeta } from './records.js';

const partitioner = Partitioners.DefaultPartitioner();
const metaCache = new Map<number, PartitionMetadata[]>();

/** Kafka's default partition for `key` among `n` partitions. */
export function partitionFor(key: string, n: number): number {
  let meta = metaCache.get(n);
  if (!meta) {
    meta = Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
    metaCache.set(n, meta);
  }
  return partitioner({ topic: '', partitionMetadata: meta, message: { key, value: null } });
}

export const HEALTH_KEY = 'health';

/** The routing key of one StateRoute. */
export function routeKey(r: StateRoute): string {
  switch (r.scope) {
    case 'key':
      return `k\u0000${r.rule}\u0000${r.key}`;
    case 'host':
      return `h\u0000${r.key}`;
    case 'source':
      return HEALTH_KEY;
  }
}

/** The partition of the health lane. */
export function healthPartition(n: number): number {
  return partitionFor(HEALTH_KEY, n);
}

/**
 * Groups an event's routes by signals partition: what each owning replica must do with
 * it. Rules routed by host run in the keyed lane of the host's partition, with its indexes.
 */
export function signalsFor(routes: readonly StateRoute[], n: number): Map<number, SignalMeta> {
  const out = new Map<number, SignalMeta>();
  const at = (p: number): SignalMeta => {
    let m = out.get(p);
    if (!m) out.set(p, (m = { rules: [], index: false, health: false }));
    return m;
  };
  for (const r of routes) {
    const m = at(partitionFor(routeKey(r), n));
    if (r.scope === 'source') m.health = true;
    else if (r.rule === null) m.index = true;
    else if (!m.rules.includes(r.rule)) m.rules.push(r.rule);
  }
  return out;
}
