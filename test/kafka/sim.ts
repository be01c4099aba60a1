// An in-memory stand-in for the Kafka topology of issue 7: collectors' records on
// tripline.events partitions, detector replicas' EventStage/SignalStage (the real ones),
// tripline.signals partitions, checkpoints and crashes, under a seeded random schedule.
// It lets a test try thousands of interleavings and failures in a second; the real broker
// is exercised by test/integration/kafka-path.test.ts.
import { join } from 'node:path';
import type { Alert } from '../../schemas/alert.js';
import type { Config } from '../../schemas/config.js';
import type { InputKind } from '../../schemas/event.js';
import { rules } from '../../rules/index.js';
import { readFileSync } from 'node:fs';
import { LineSplitter } from '../../services/collectors/line-splitter.js';
import { FRAMERS, type InputRecord } from '../../services/collectors/record-framer.js';
import { compilePrefilter } from '../../services/engine/prefilter.js';
import { parsers } from '../../services/parsers/index.js';
import type { ParseContext } from '../../services/parsers/types.js';
import { stampRecord } from '../../services/kafka/collect-role.js';
import { eventKey, SourceStamper, toHealth, type EventRecord, type SignalMeta } from '../../services/kafka/records.js';
import { partitionFor } from '../../services/kafka/routing.js';
import { EventStage, SignalStage, type SignalStageJson } from '../../services/kafka/stages.js';
import type { SourceInfo } from '../../services/engine/engine.js';
import { mulberry32 } from '../helpers/gen-auth-log.js';
import { SCENARIO_DIR, SCENARIO_FILES, scenarioName } from '../../services/cli/run/scenario.js';

export interface SimSource {
  name: string;
  kind: InputKind;
  path: string;
}

/** Every record of each source, stamped as the collector stamps them (file order, prefilter on). */
export async function stampSources(sources: readonly SimSource[], year: number, config: Config): Promise<EventRecord[][]> {
  const out: EventRecord[][] = [];
  for (const s of sources) {
    const st = new SourceStamper(s.name, s.kind, { ep: '0000000001-a', seq: 0, ms: null, ns: 0 });
    const ctx: ParseContext = { kind: s.kind, sourceName: s.name, position: '', year, carry: {} };
    const prefilter = compilePrefilter(rules, config, s.kind);
    const recs: EventRecord[] = [];
    const take = (r: InputRecord) => {
      ctx.position = r.position;
      ctx.invalidUtf8 = r.invalidUtf8;
      ctx.truncated = r.truncated;
      recs.push(stampRecord(st, r.text, ctx, parsers[s.kind], prefilter).rec);
    };
    const splitter = new LineSplitter();
    const framer = FRAMERS[s.kind]();
    for (const l of splitter.push(readFileSync(s.path))) for (const r of framer.push(l)) take(r);
    for (const l of splitter.end()) for (const r of framer.push(l)) take(r);
    for (const r of framer.end()) take(r);
    out.push(recs);
  }
  return out;
}

export interface SimOptions {
  config: Config;
  sources: readonly SourceInfo[];
  eventPartitions: number;
  signalPartitions: number;
  seed: number;
  /** Probability per step that the replica working a partition dies (state since its last commit/checkpoint lost). */
  crashRate: number;
  /**
   * 'mixed': partitions advance in small random steps. 'lagging': the events partitions
   * are worked one after the other (a replica hours behind another, as after a long
   * outage), the worst case for per-source clocks.
   */
  schedule?: 'mixed' | 'lagging';
}

export interface SimResult {
  /** Alerts as the router keeps them: the first of each id. */
  delivered: Alert[];
  /** Alerts produced in all, duplicates included. */
  produced: number;
  crashes: number;
}

interface Sig {
  rec: EventRecord;
  meta: SignalMeta;
}

export function simulate(bySource: readonly EventRecord[][], o: SimOptions): SimResult {
  const rand = mulberry32(o.seed);
  const pick = (n: number) => Math.floor(rand() * n);
  const stageOpts = { rules, config: o.config, sources: o.sources };

  // Collectors: each source's records onto tripline.events by source + host, sources interleaved.
  const events: EventRecord[][] = Array.from({ length: o.eventPartitions }, () => []);
  let crashes = 0;
  const cursors = bySource.map(() => 0);
  for (;;) {
    const open = bySource.map((_, i) => i).filter((i) => cursors[i]! < bySource[i]!.length);
    if (open.length === 0) break;
    const i = open[pick(open.length)]!;
    const n = 1 + pick(40);
    // A collector that dies after the broker acknowledged a batch but before it saved its
    // position sends the batch again after the restart (same sequence numbers).
    const sends = rand() < o.crashRate ? 2 : 1;
    if (sends === 2) crashes++;
    for (let k = 0; k < sends; k++) {
      for (const r of bySource[i]!.slice(cursors[i], cursors[i]! + n)) {
        events[partitionFor(eventKey(r.src, r.e?.host ?? null), o.eventPartitions)]!.push(r);
      }
    }
    cursors[i]! += n;
  }

  const signals: Sig[][] = Array.from({ length: o.signalPartitions }, () => []);
  const delivered = new Map<string, Alert>();
  let produced = 0;
  const deliver = (alerts: Alert[]) => {
    produced += alerts.length;
    for (const a of alerts) if (!delivered.has(a.id)) delivered.set(a.id, a);
  };

  const front = events.map(() => ({ stage: new EventStage(stageOpts, o.signalPartitions), pos: 0, committed: 0 }));
  let now = 1;
  const back = signals.map(() => ({
    stage: new SignalStage({ ...stageOpts, nowMs: now }),
    pos: 0,
    checkpoint: null as { json: SignalStageJson; offset: number } | null,
  }));

  const frontStep = (i: number) => {
    const f = front[i]!;
    const n = 1 + pick(64);
    const alerts: Alert[] = [];
    for (const r of events[i]!.slice(f.pos, f.pos + n)) {
      const routed = f.stage.handle(r);
      alerts.push(...routed.alerts);
      for (const [p, meta] of routed.keyed) signals[p]!.push({ rec: r, meta });
      if (routed.health !== null) signals[routed.health]!.push({ rec: toHealth(r), meta: { rules: [], index: false, health: true } });
    }
    f.pos = Math.min(events[i]!.length, f.pos + n);
    deliver(alerts);
    // Offsets are committed after the batch's outputs are acknowledged: sometimes the
    // replica dies first, and the next owner re-reads from the last commit.
    if (rand() < o.crashRate) {
      crashes++;
      f.stage = new EventStage(stageOpts, o.signalPartitions);
      f.pos = f.committed;
    } else f.committed = f.pos;
  };

  const backStep = (p: number) => {
    const b = back[p]!;
    const n = 1 + pick(64);
    const alerts: Alert[] = [];
    for (const s of signals[p]!.slice(b.pos, b.pos + n)) alerts.push(...b.stage.handle(s.rec, s.meta, now));
    b.pos = Math.min(signals[p]!.length, b.pos + n);
    alerts.push(...b.stage.release(now));
    deliver(alerts);
    if (rand() < 0.2) b.checkpoint = { json: JSON.parse(JSON.stringify(b.stage.toJSON())) as SignalStageJson, offset: b.pos };
    if (rand() < o.crashRate) {
      crashes++;
      b.stage = b.checkpoint ? new SignalStage({ ...stageOpts, nowMs: now }, b.checkpoint.json) : new SignalStage({ ...stageOpts, nowMs: now });
      b.pos = b.checkpoint?.offset ?? 0;
    }
  };

  for (;;) {
    now++;
    const fronts = front.map((_, i) => i).filter((i) => front[i]!.pos < events[i]!.length);
    const backs = back.map((_, p) => p).filter((p) => back[p]!.pos < signals[p]!.length);
    if (fronts.length + backs.length === 0) break;
    const nextFront = o.schedule === 'lagging' ? fronts[0]! : fronts[pick(fronts.length)]!;
    if (backs.length === 0 || (fronts.length > 0 && rand() < 0.5)) frontStep(nextFront);
    else backStep(backs[pick(backs.length)]!);
  }
  // Every source has gone quiet: past the idle timeout the health lane drains.
  now += (o.config.kafka?.idleTimeout ?? 30_000) + 1;
  for (const b of back) deliver(b.stage.release(now));
  return { delivered: [...delivered.values()], produced, crashes };
}

export function scenarioSources(root: string): SimSource[] {
  return SCENARIO_FILES.map(({ kind, file }) => ({ kind, path: join(root, SCENARIO_DIR, file), name: scenarioName(file) }));
}
