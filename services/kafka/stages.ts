// The two stages of a detector replica (issue 7), free of Kafka I/O so they can be tested
// (and simulated with any interleaving) in memory; detect-role.ts wires them to topics.
//
// EventStage, one per tripline.events partition the replica owns:
//   - runs the match rules whose verdict needs no state (any replica may), with the
//     engine's one-alert-per-API-request memory (a request's stages share a partition:
//     they come from one source and host);
//   - says which tripline.signals partitions must see the record (Engine.stateRoutes →
//     routing.ts): the owners of the windowed / first-seen keys it feeds and of its host's
//     correlation indexes (the record as it is), and the health partition (every record,
//     in its compact health form: records.ts toHealth). Quiet lines (the collector's
//     prefilter proved no keyed rule can concern them) go to the health lane only.
//
// SignalStage, one per tripline.signals partition the replica owns:
//   - keyed lane: an Engine with every rule but H1/H2, run per message with only the rules
//     the message names (push({ only })), on per source+host stream clocks (a source's
//     hosts arrive through different partitions and may lag each other);
//   - health lane (only on the health partition): health-lane.ts.
//   Its state is snapshot()-able with the offset it covers (tripline.state), so the
//   replica that takes the partition over continues exactly.
import type { Alert } from '../../schemas/alert.js';
import type { Config } from '../../schemas/config.js';
import type { SecurityEvent } from '../../schemas/event.js';
import type { Rule } from '../../rules/define.js';
import { Engine, type EngineSnapshot, type SourceInfo } from '../engine/engine.js';
import { HealthLane, healthRules, type HealthLaneJson } from './health-lane.js';
import { toHealth, type EventRecord, type SignalMeta } from './records.js';
import { healthPartition, signalsFor } from './routing.js';

export interface StageOptions {
  rules: readonly Rule[];
  config: Config;
  /** Configured sources (H1 watches them; the health lane merges them in this order). */
  sources?: readonly SourceInfo[];
}

export interface Routed {
  alerts: Alert[];
  /** Signals partition → the keyed work its owner must do with the record (as it is). */
  keyed: Map<number, SignalMeta>;
  /** The health partition, when the record feeds H1/H2 (send it toHealth(record)). */
  health: number | null;
}

export class EventStage {
  private readonly engine: Engine;
  private readonly matchIds: ReadonlySet<string>;

  constructor(
    private readonly o: StageOptions,
    private readonly signalPartitions: number,
  ) {
    this.engine = new Engine({ rules: o.rules, config: o.config });
    this.matchIds = new Set(o.rules.filter((r) => r.kind === 'match').map((r) => r.id));
  }

  handle(r: EventRecord): Routed {
    if (!r.e) {
      // A parse failure or a quiet line feeds H1/H2 only.
      return { alerts: [], keyed: new Map(), health: healthPartition(this.signalPartitions) };
    }
    const routes = this.engine.stateRoutes(r.e);
    let local = this.matchIds;
    for (const rt of routes) {
      if (rt.rule !== null && rt.scope === 'host' && local.has(rt.rule)) {
        if (local === this.matchIds) local = new Set(this.matchIds);
        (local as Set<string>).delete(rt.rule);
      }
    }
    const alerts = this.engine.push({ event: r.e, line: r.line ?? '' }, { only: local });
    let health: number | null = null;
    const keyed = signalsFor(routes, this.signalPartitions);
    for (const [p, m] of keyed) {
      if (!m.health) continue;
      health = p;
      if (m.rules.length === 0 && !m.index) keyed.delete(p);
      else m.health = false;
    }
    return { alerts, keyed, health };
  }
}

export interface SignalStageJson {
  keyed: EngineSnapshot;
  health: HealthLaneJson | null;
}

/** The stream an event's clock belongs to on the Kafka path: its source and host (the events key). */
export function streamOf(e: SecurityEvent): string {
  return `${e.source.name}\u0000${e.host ?? ''}`;
}

export class SignalStage {
  private readonly keyed: Engine;
  private health: HealthLane | null;

  constructor(
    private readonly o: StageOptions & { nowMs: number },
    state?: SignalStageJson,
  ) {
    const health = new Set(healthRules(o.rules));
    this.keyed = new Engine({
      rules: o.rules.filter((r) => !health.has(r)),
      config: o.config,
      clockOf: streamOf,
      ...(state ? { state: state.keyed } : {}),
    });
    this.health = state?.health ? new HealthLane(o, state.health) : null;
  }

  private lane(nowMs: number): HealthLane {
    this.health ??= new HealthLane({ ...this.o, nowMs });
    return this.health;
  }

  /** One signal: keyed rules run now; a health record waits in the merge (release()). */
  handle(r: EventRecord, meta: SignalMeta, nowMs: number): Alert[] {
    if (meta.health) this.lane(nowMs).offer(toHealth(r), nowMs);
    if (!r.e || (meta.rules.length === 0 && !meta.index)) return [];
    return this.keyed.push({ event: r.e, line: r.line ?? '' }, { only: new Set(meta.rules) });
  }

  /** What the health lane's watermark lets through now, plus live H1 on wall time. */
  release(nowMs: number): Alert[] {
    if (!this.health) return [];
    return [...this.health.release(nowMs), ...this.health.tick(nowMs)];
  }

  /** Grows whenever the health lane's state changed outside handle() (release): checkpoint it. */
  get changes(): number {
    return this.health?.released ?? 0;
  }

  stats(nowMs: number) {
    return { keyed: this.keyed.stats(), health: this.health?.stats(nowMs) ?? null };
  }

  toJSON(): SignalStageJson {
    return { keyed: this.keyed.snapshot(), health: this.health?.toJSON() ?? null };
  }
}
