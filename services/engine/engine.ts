// The detection engine: events in, alerts out, in event time only (architecture
// conventions 3-5). The replay CLI and the live runner call exactly this API.
//
// Time (clocks.ts): each source has a watermark = its newest event time − the allowed
// lateness (engine.allowedLateness); an event older than its own source's watermark is
// LATE. Per source, because live sources are read independently and one may lag
// another by minutes: judged against a global clock, the lagging source's lines would
// all be late and the live run would miss what the replay (merged by time) finds. The
// global watermark (newest event of any source − lateness) drives silence (H1).
// Per event, in this order:
//  1. the clocks advance; silences (H1) the global watermark passes and error-rate (H2)
//     windows the source clocks close are judged, with each source's last-seen time as
//     it was BEFORE this event;
//  2. this event's source is marked as heard (H1) and its line counted (H2);
//  3. correlation indexes take the event, late or not (sshd PID, boots, shutdowns);
//  4. match rules run (late events too: they are stateless). Their alert ids are
//     anchored on the API request (k8s auditID, Vault request id) when there is one,
//     and each id is emitted once, so a request logged at several stages alerts once;
//  5. threshold rules add the event to their windows, firing at the crossing (issue 4:
//     not when the window closes). LATE events skip this step: their windows may have
//     been judged already, and counting them would make the result depend on arrival
//     order. They are counted in stats().late;
//  6. first-seen rules see the event (late ones too: a set does not depend on order).
// Rules are skipped for events whose app they do not list; disabled rules
// (rules.<id>.enabled: false) never run. Nothing here reads the wall clock.
//
// State is bounded (engine.maxKeys per rule and per correlation index, LRU eviction,
// counted) and snapshot()-able to JSON; `new Engine({ ..., state })` continues exactly
// where the snapshot left off.
//
// issue 7 (scale-out on Kafka) adds three small seams, unused by the embedded path:
// - stateRoutes(e): where the state an event would touch lives ((rule, key) of windowed
//   and first-seen rules, the host of correlation lookups and indexes, the source for
//   H1/H2), computed without changing anything, so a detector replica can send the
//   event to the replica that owns that state;
// - push(input, { only }): run only the named rules for this event (the clocks and the
//   correlation indexes still take it);
// - EngineOptions.clockOf: judge lateness on a per-stream clock (source+host) instead of
//   the source's, for an engine fed by several independently lagging partitions.
import type { Alert } from '../../schemas/alert.js';
import type { QuietLine, QuietRun } from './quiet-line.js';
import type { Config } from '../../schemas/config.js';
import type { InputKind, SecurityEvent } from '../../schemas/event.js';
import type { Rule, RuleContext } from '../../rules/define.js';
import { capLine, effectiveSeverity, evidenceOf, isEnabled, MAX_EVIDENCE_CHARS } from './alert-build.js';
import type { CappedMap } from './capped-map.js';
import { SourceClocks, sourceTimeOf } from './clocks.js';
import { buildRuleContext } from './context.js';
import { EngineCorrelations, ProbeCorrelations, touchesCorrelations } from './correlations.js';
import { hostOf } from './boots.js';
import { AbsenceRunner, ErrorRateRunner, FirstSeenRunner, MatchRunner, ThresholdRunner, type RuleErrors } from './runners.js';
import { EmittedIds, hasRequestIdentity, requestAnchor } from './request-dedupe.js';
import { checkSnapshot, ENGINE_SNAPSHOT_VERSION, type EngineSnapshot } from './state.js';

export type { EngineSnapshot } from './state.js';

export interface EngineInput {
  event: SecurityEvent;
  /** The raw line the event was parsed from (alert evidence). */
  line: string;
}

export interface SourceInfo {
  name: string;
  kind: InputKind;
}

export interface EngineStats {
  events: number;
  late: number;
  evictions: Record<string, number>;
  keys: Record<string, number>;
  watermarkMs: number | null;
  /** Exceptions thrown by rule code, by rule id (a rule bug; the event still reached the other rules). */
  ruleErrors: Record<string, number>;
}

export interface EngineOptions {
  rules: readonly Rule[];
  config: Config;
  /** Sources H1 watches (replay: the inputs). Without it, every source seen is watched. */
  sources?: readonly SourceInfo[];
  /** A snapshot() of an earlier engine to continue from. */
  state?: EngineSnapshot;
  /**
   * issue 7: the clock an event is judged by for lateness and window pruning (default:
   * its source name). The Kafka path passes source+host: one source's hosts arrive over
   * different partitions and may lag each other. With it, correlation sweeps use the
   * oldest stream clock. Not for engines running H1/H2 (they need per-source clocks).
   */
  clockOf?: (e: SecurityEvent) => string;
}

/** issue 7: options of one push(). */
export interface PushOptions {
  /** Run only the rules with these ids for this event (clocks and correlation indexes still take it). */
  only?: ReadonlySet<string>;
}

/** issue 7: one place the state an event touches lives (Engine.stateRoutes). */
export interface StateRoute {
  /** The rule whose state (or correlation lookup) the event reaches; null: only the host's correlation indexes. */
  rule: string | null;
  /**
   * What `key` names: 'key' the rule's own key (select().key); 'host' the host whose
   * correlation indexes the rule consults or the event updates; 'source' the source (H1, H2).
   */
  scope: 'key' | 'host' | 'source';
  key: string;
}

/** The shared empty result of pushQuiet (never mutated: `more` copies before adding). */
const NO_ALERTS: Alert[] = [];
const more = (out: Alert[], add: Alert[]): Alert[] => (add.length === 0 ? out : out === NO_ALERTS ? [...add] : (out.push(...add), out));

/** Lines a refused span goes one by one before pushQuietRun tries a span again. */
const QUIET_STEP = 64;

/** How often idle window keys are swept (events). */
const SWEEP_EVERY = 1024;

export class Engine {
  private readonly ctx: RuleContext;
  private readonly corr: EngineCorrelations;
  private readonly latenessMs: number;
  private readonly clocks: SourceClocks;
  /** How far behind the newest event a source's clock may fall for H2 (one H2 window). */
  private readonly skewMs: number;
  private readonly matchers: MatchRunner[] = [];
  private readonly thresholds: ThresholdRunner[] = [];
  private readonly firstSeen: FirstSeenRunner[] = [];
  private readonly absences: AbsenceRunner[] = [];
  private readonly errorRates: ErrorRateRunner[] = [];
  private readonly ruleErrors: RuleErrors = {};
  private readonly emitted: EmittedIds;
  private readonly clockOf: ((e: SecurityEvent) => string) | undefined;
  /** With clockOf: the oldest stream clock, refreshed every SWEEP_EVERY events (correlation sweeps). */
  private lowMs = Number.NEGATIVE_INFINITY;
  private readonly probeCorr = new ProbeCorrelations();
  private readonly probeCtx: RuleContext;
  private events = 0;
  private late = 0;

  constructor(opts: EngineOptions) {
    const { config } = opts;
    const maxKeys = config.engine.maxKeys;
    this.latenessMs = config.engine.allowedLateness;
    this.clocks = new SourceClocks(this.latenessMs, maxKeys);
    this.skewMs = config.health.parseErrors.window;
    this.corr = new EngineCorrelations(maxKeys);
    this.emitted = new EmittedIds(maxKeys);
    this.ctx = buildRuleContext(config, this.corr);
    this.probeCtx = buildRuleContext(config, this.probeCorr);
    this.clockOf = opts.clockOf;
    const errs = this.ruleErrors;
    for (const rule of opts.rules) {
      if (!isEnabled(rule, config)) continue;
      const sev = effectiveSeverity(rule, config);
      switch (rule.kind) {
        case 'match':
          this.matchers.push(new MatchRunner(rule, sev, this.ctx, errs));
          break;
        case 'threshold': {
          const windowMs = rule.window(config);
          const cooldownMs = config.rules[rule.id]?.cooldown ?? rule.cooldown?.(config) ?? windowMs;
          const params = { threshold: rule.threshold(config), windowMs, cooldownMs, maxKeys };
          this.thresholds.push(new ThresholdRunner(rule, sev, this.ctx, errs, params));
          break;
        }
        case 'first-seen':
          this.firstSeen.push(new FirstSeenRunner(rule, sev, this.ctx, errs, maxKeys));
          break;
        case 'absence':
          this.absences.push(new AbsenceRunner(rule, sev, this.ctx, errs, opts.sources, maxKeys));
          break;
        case 'error-rate': {
          const pe = config.health.parseErrors;
          const params = { windowMs: pe.window, ratio: pe.ratio, minLines: pe.minLines, maxKeys };
          this.errorRates.push(new ErrorRateRunner(rule, sev, this.ctx, errs, params));
          break;
        }
      }
    }
    if (opts.state) this.restore(checkSnapshot(opts.state));
  }

  private watermark(): number | null {
    return this.clocks.watermark();
  }

  /** A source's clock for H2: its newest event, at most one H2 window behind the newest overall. */
  private readonly sourceTime = (source: string): number | null => this.clocks.sourceTime(source, this.skewMs);

  push(input: EngineInput, opts?: PushOptions): Alert[] {
    const e = input.event;
    const only = opts?.only;
    const runs = only === undefined ? () => true : (r: { rule: Rule }) => only.has(r.rule.id);
    this.events++;
    const stream = this.clockOf?.(e) ?? e.source.name;
    const before = this.watermark();
    const late = this.clocks.isLate(e, stream);
    if (late) this.late++;
    this.clocks.advance(e, stream);
    const wm = this.watermark()!;
    const maxMs = this.clocks.maxMs!;
    if (this.clockOf && (this.events % SWEEP_EVERY === 1 || this.lowMs === Number.NEGATIVE_INFINITY)) this.lowMs = this.clocks.minMs() ?? this.lowMs;

    const out: Alert[] = [];
    if (before === null || wm > before) for (const r of this.absences) if (runs(r)) out.push(...r.close(wm, this.clocks.firstMs!));
    for (const r of this.errorRates) if (runs(r)) out.push(...r.close(this.sourceTime, this.latenessMs));
    const evidence = evidenceOf(e, input.line);
    for (const r of this.absences) if (runs(r)) r.tracker.observe(e.source.name, e.source.kind, e.tsMs, evidence);
    for (const r of this.errorRates) if (runs(r)) r.tracker.line(e.source.name, e.source.kind, e.tsMs);
    this.corr.observe(e, this.clockOf ? this.lowMs : maxMs);

    const anchor = requestAnchor(e);
    const once = hasRequestIdentity(e);
    for (const r of this.matchers) {
      if (!r.apps.has(e.app) || !runs(r)) continue;
      for (const a of r.run(e, evidence, anchor)) if (!once || this.emitted.first(a.id, e.tsMs, maxMs)) out.push(a);
    }
    if (!late) {
      const srcWm = this.clocks.sourceWatermark(stream);
      for (const r of this.thresholds) if (r.apps.has(e.app) && runs(r)) out.push(...r.run(e, input.line, srcWm, stream));
    }
    for (const r of this.firstSeen) if (r.apps.has(e.app) && runs(r)) out.push(...r.run(e, evidence));

    // Keyed on the (restored) event count, so a restored engine sweeps when the original would have.
    if (this.events % SWEEP_EVERY === 0) {
      for (const r of this.thresholds) r.windows.sweep((src) => this.clocks.sourceWatermark(src));
    }
    return out;
  }

  /**
   * issue 8: push() for a line the raw-line prefilter (prefilter.ts) proved no rule can
   * match, select or keep: only its source, time (ms and the parser's `ts` text), place
   * and text are given. Does exactly what push() does for such an event and nothing else: the
   * clocks and the late count, the silences (H1) and error-rate windows (H2) the new
   * time closes, H1's last line, H2's line count, the correlation sweep and the periodic
   * window sweep. Not for an engine with clockOf (issue 7: on the Kafka path only the
   * health lane, which has no clockOf, takes quiet lines).
   */
  pushQuiet(source: string, kind: InputKind, line: QuietLine): Alert[] {
    const tsMs = line.ms;
    if (this.clockOf) throw new Error('Engine.pushQuiet: not supported with clockOf');
    this.events++;
    const before = this.watermark();
    if (this.clocks.lateThenAdvance(source, tsMs)) this.late++;
    const wm = this.watermark()!;
    let out = NO_ALERTS;
    if (before === null || wm > before) for (const r of this.absences) out = more(out, r.close(wm, this.clocks.firstMs!));
    for (const r of this.errorRates) out = more(out, r.close(this.sourceTime, this.latenessMs));
    // The evidence is built only if H1 ever needs this line (issue 8): usually the next line supersedes it.
    for (const r of this.absences) r.tracker.observe(source, kind, tsMs, line);
    for (const r of this.errorRates) r.tracker.line(source, kind, tsMs);
    this.corr.observeQuiet(this.clocks.maxMs!);
    if (this.events % SWEEP_EVERY === 0) {
      for (const r of this.thresholds) r.windows.sweep((src) => this.clocks.sourceWatermark(src));
    }
    return out;
  }

  /**
   * issue 8: pushQuiet() for each line of a run of one source's prefiltered lines, with
   * the same alerts and state, in one step per span between periodic sweeps when that
   * changes nothing: no line is late, no silence falls due, no error-rate window is
   * judged and the span's lines share one (quietSpan). Anything else goes line by line.
   */
  pushQuietRun(source: string, kind: InputKind, run: QuietRun): Alert[] {
    let out = NO_ALERTS;
    const n = run.length;
    let k = 0;
    while (k < n) {
      // A span ends at the next periodic sweep, which must see the clocks of its own line.
      const upTo = Math.min(n, k + SWEEP_EVERY - (this.events % SWEEP_EVERY));
      if (upTo - k > 1 && this.quietSpan(source, kind, run, k, upTo)) {
        k = upTo;
        if (this.events % SWEEP_EVERY === 0) {
          for (const r of this.thresholds) r.windows.sweep((src) => this.clocks.sourceWatermark(src));
        }
        continue;
      }
      // Past whatever stopped the span (a window edge, a silence, a late line), then try again.
      for (const stop = Math.min(upTo, k + QUIET_STEP); k < stop; k++) out = more(out, this.pushQuiet(source, kind, run.line(k)));
    }
    return out;
  }

  /** Lines [a, b) of `run` in one step, if that is exactly pushQuiet() of each (see pushQuietRun); else false and nothing changed. */
  private quietSpan(source: string, kind: InputKind, run: QuietRun, a: number, b: number): boolean {
    if (this.clockOf) throw new Error('Engine.pushQuietRun: not supported with clockOf');
    const clocks = this.clocks;
    const prev = clocks.bySource.get(source);
    if (clocks.firstMs === null || clocks.maxMs === null || prev === undefined) return false;
    // No line is late (each against the clock as the lines before it leave it); the
    // earliest and latest times, and the last line that sets a new latest (H1 keeps it).
    let clock = prev;
    let tMin = Number.POSITIVE_INFINITY;
    let tMax = Number.NEGATIVE_INFINITY;
    let kMax = a;
    for (let k = a; k < b; k++) {
      const t = run.ms(k);
      if (t < clock - this.latenessMs) return false;
      if (t > clock) clock = t;
      if (t < tMin) tMin = t;
      if (t >= tMax) {
        tMax = t;
        kMax = k;
      }
    }
    const maxAfter = Math.max(clocks.maxMs, tMax);
    const firstMs = clocks.firstMs;
    for (const r of this.absences) if (!r.tracker.quietRun(source, maxAfter - this.latenessMs, firstMs)) return false;
    // The source clocks as they will be after the span (closes only rise with them).
    const timeOf = (name: string): number => sourceTimeOf(name === source ? clock : clocks.bySource.get(name), maxAfter, this.skewMs);
    for (const r of this.errorRates) if (!r.tracker.quietRun(source, tMin, tMax, timeOf, this.latenessMs)) return false;
    this.events += b - a;
    clocks.lateThenAdvance(source, tMax);
    const latest = run.line(kMax);
    for (const r of this.absences) r.tracker.observe(source, kind, tMax, latest);
    for (const r of this.errorRates) r.tracker.takeRun(source, kind, run.ms(a), tMin, tMax, b - a, timeOf, this.latenessMs);
    this.corr.observeQuiet(maxAfter);
    return true;
  }

  /**
   * issue 7: where the state `e` would touch lives, without changing any state. Rules
   * whose verdict on `e` needs no state (match rules that consult no correlation index
   * for it) are absent: any replica may evaluate them. Rules are asked through a
   * stateless context (ProbeCorrelations); a rule that consults a correlation index for
   * `e` is routed to the event's host, like an event that updates one (rule: null).
   */
  stateRoutes(e: SecurityEvent): StateRoute[] {
    const out: StateRoute[] = [];
    const host = hostOf(e);
    const probe = <T>(fn: () => T | null): { consulted: boolean; value: T | null } => {
      this.probeCorr.consulted = false;
      let value: T | null = null;
      try {
        value = fn();
      } catch {
        value = null; // a rule bug: counted when the rule really runs
      }
      return { consulted: this.probeCorr.consulted, value };
    };
    const ctx = this.probeCtx;
    for (const r of this.matchers) {
      if (!r.apps.has(e.app)) continue;
      if (probe(() => r.rule.match(e, ctx)).consulted) out.push({ rule: r.rule.id, scope: 'host', key: host });
    }
    for (const r of [...this.thresholds, ...this.firstSeen]) {
      if (!r.apps.has(e.app)) continue;
      const p = probe(() => r.rule.select(e, ctx));
      if (p.consulted) out.push({ rule: r.rule.id, scope: 'host', key: host });
      else if (p.value !== null) out.push({ rule: r.rule.id, scope: 'key', key: p.value.key });
    }
    for (const r of [...this.absences, ...this.errorRates]) out.push({ rule: r.rule.id, scope: 'source', key: e.source.name });
    if (touchesCorrelations(e)) out.push({ rule: null, scope: 'host', key: host });
    return out;
  }

  pushError(err: { sourceName: string; kind: InputKind; code: string }): Alert[] {
    for (const r of this.errorRates) r.tracker.error(err.sourceName, err.kind, err.code, this.sourceTime(err.sourceName));
    // A failed line carries no event time, so it cannot advance a clock or close anything.
    return [];
  }

  /**
   * Live mode only: lets wall time stand in for event time when judging silence (H1),
   * so a detector whose every source went quiet still says so. It never moves event
   * clocks (lateness, windows) and is never called in replay, which stays a function
   * of its input. `startMs` counts silence for sources when no event was ever seen.
   */
  tick(nowMs: number, startMs: number): Alert[] {
    const wm = nowMs - this.latenessMs;
    const current = this.watermark();
    if (current !== null && wm <= current) return [];
    const out: Alert[] = [];
    for (const r of this.absences) out.push(...r.close(wm, this.clocks.firstMs ?? startMs));
    return out;
  }

  /**
   * End of input (replay): judges silences up to the LAST EVENT TIME (no lateness left
   * to wait for, and never beyond it) and every open error-rate window. Threshold rules
   * have nothing to close: they fired at their crossings.
   */
  flush(): Alert[] {
    const { maxMs, firstMs } = this.clocks;
    if (maxMs === null || firstMs === null) return [];
    const out: Alert[] = [];
    for (const r of this.absences) out.push(...r.close(maxMs, firstMs));
    for (const r of this.errorRates) out.push(...r.closeAll(this.sourceTime));
    return out;
  }

  /** Every keyed structure, by the name stats() reports it under. */
  private structures(): Array<[string, CappedMap<unknown>]> {
    const list: Array<[string, CappedMap<unknown>]> = [];
    for (const r of this.thresholds) list.push([r.rule.id, r.windows.keys]);
    for (const r of this.firstSeen) list.push([r.rule.id, r.seen.keys]);
    for (const r of this.absences) list.push([r.rule.id, r.tracker.sources]);
    for (const r of this.errorRates) list.push([r.rule.id, r.tracker.sources]);
    list.push(['match.requests', this.emitted.ids], ['clock.sources', this.clocks.bySource]);
    list.push(['corr.ssh', this.corr.ssh], ['corr.boots', this.corr.boots.hosts], ['corr.shutdowns', this.corr.boots.shutdowns]);
    return list as Array<[string, CappedMap<unknown>]>;
  }

  stats(): EngineStats {
    const evictions: Record<string, number> = {};
    const keys: Record<string, number> = {};
    for (const [name, m] of this.structures()) {
      evictions[name] = m.evicted;
      keys[name] = m.size;
    }
    return { events: this.events, late: this.late, evictions, keys, watermarkMs: this.watermark(), ruleErrors: { ...this.ruleErrors } };
  }

  snapshot(): EngineSnapshot {
    const byRule = <R extends { rule: Rule }, J>(runners: R[], f: (r: R) => J): Record<string, J> =>
      Object.fromEntries(runners.map((r) => [r.rule.id, f(r)]));
    const s = this.stats();
    return {
      version: ENGINE_SNAPSHOT_VERSION,
      clock: this.clocks.toJSON(),
      counters: { events: s.events, late: s.late, evictions: s.evictions, ruleErrors: s.ruleErrors },
      threshold: byRule(this.thresholds, (r) => r.windows.toJSON()),
      firstSeen: byRule(this.firstSeen, (r) => r.seen.toJSON()),
      absence: byRule(this.absences, (r) => r.tracker.toJSON()),
      errorRate: byRule(this.errorRates, (r) => r.tracker.toJSON()),
      correlations: this.corr.toJSON(),
      matchRequests: this.emitted.toJSON(),
    };
  }

  private restore(s: EngineSnapshot): void {
    this.clocks.restore(s.clock);
    this.events = s.counters.events;
    this.late = s.counters.late;
    Object.assign(this.ruleErrors, s.counters.ruleErrors);
    // State of rules that no longer run (unknown, disabled) is simply not picked up.
    for (const r of this.thresholds) r.windows.restore(s.threshold[r.rule.id] ?? []);
    for (const r of this.firstSeen) r.seen.restore(s.firstSeen[r.rule.id] ?? []);
    for (const r of this.absences) r.tracker.restore(s.absence[r.rule.id] ?? []);
    for (const r of this.errorRates) {
      const j = s.errorRate[r.rule.id];
      if (j) r.tracker.restore(j);
    }
    this.corr.restore(s.correlations);
    this.emitted.restore(s.matchRequests ?? []);
    // Evictions counted before the snapshot carry on; restoring itself may evict more.
    for (const [name, m] of this.structures()) m.evicted += s.counters.evictions[name] ?? 0;
  }
}
