// A replica's event-time watermark over the partitions it owns (issue 7): the minimum of
// the partitions' newest event times, where a partition with nothing new for `idleMs` of
// wall time (kafka.idleTimeout) stops holding it back. Reported as a metric and in the
// replica's status; the health lane applies the same rule per source (health-lane.ts).
export class PartitionWatermarks {
  private readonly parts = new Map<number, { eventMs: number | null; seenMs: number }>();

  constructor(private readonly idleMs: number) {}

  /** The partitions owned now (a rebalance): others are forgotten, new ones start not idle. */
  assign(partitions: readonly number[], nowMs: number): void {
    for (const p of [...this.parts.keys()]) if (!partitions.includes(p)) this.parts.delete(p);
    for (const p of partitions) if (!this.parts.has(p)) this.parts.set(p, { eventMs: null, seenMs: nowMs });
  }

  /** A record of `partition` with order time `eventMs` arrived. */
  observe(partition: number, eventMs: number | null, nowMs: number): void {
    const s = this.parts.get(partition) ?? { eventMs: null, seenMs: nowMs };
    s.seenMs = nowMs;
    if (eventMs !== null && (s.eventMs === null || eventMs > s.eventMs)) s.eventMs = eventMs;
    this.parts.set(partition, s);
  }

  /** min over active partitions of their newest event time; null while one has none yet or none is active. */
  watermark(nowMs: number): number | null {
    let min: number | null = null;
    for (const s of this.parts.values()) {
      if (nowMs - s.seenMs >= this.idleMs) continue; // idle: no longer holds the others back
      if (s.eventMs === null) return null;
      if (min === null || s.eventMs < min) min = s.eventMs;
    }
    return min;
  }

  idle(nowMs: number): number[] {
    return [...this.parts].filter(([, s]) => nowMs - s.seenMs >= this.idleMs).map(([p]) => p);
  }
}
