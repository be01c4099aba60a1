// One runner per rule kind: the rule, its state and how its findings become Alerts.
// The engine (engine.ts) decides WHEN each runner is called (late events, watermark);
// runners decide WHAT an alert says and which anchor its id hashes (alert-id.ts).
//
// Invariants:
// - A rule that throws is a bug, not an input problem: the error is counted under the
//   rule id (stats().ruleErrors) and the event goes on to the other rules.
// - Alert times are event times: the triggering event's own ts, or for windowed and
//   health alerts the instant formatted from (ms, ns), never a wall clock.
import type { Alert, Evidence, Severity } from '../../schemas/alert.js';
import type { App, InputKind, SecurityEvent } from '../../schemas/event.js';
import type {
  AbsenceRule,
  ErrorRateRule,
  Finding,
  FirstSeenRule,
  MatchRule,
  RuleContext,
  RuleMeta,
  ThresholdRule,
} from '../../rules/define.js';
import { formatIso } from '../lib/time.js';
import { AbsenceTracker, type DueSilence } from './absence.js';
import { alertId } from './alert-id.js';
import { buildAlert, evidenceOf } from './alert-build.js';
import { ErrorRateTracker, type ErrorRateParams, type JudgedWindow, type SourceTime } from './error-rate.js';
import { FirstSeenSet } from './first-seen.js';
import { ThresholdWindows, type WindowFiring, type WindowParams } from './windows.js';

/** What describe() returns. */
type Described = Omit<Finding, 'key'>;

/** Counts rule exceptions by rule id. */
export type RuleErrors = Record<string, number>;

abstract class Runner<R extends RuleMeta> {
  readonly apps: ReadonlySet<App>;

  constructor(
    readonly rule: R,
    readonly severity: Severity,
    protected readonly ctx: RuleContext,
    private readonly errors: RuleErrors,
  ) {
    this.apps = new Set(rule.apps);
  }

  /** Runs rule code; an exception counts as a rule error and yields `fallback`. */
  protected guard<T>(fallback: T, fn: () => T): T {
    try {
      return fn();
    } catch {
      this.errors[this.rule.id] = (this.errors[this.rule.id] ?? 0) + 1;
      return fallback;
    }
  }

  protected alert(parts: Parameters<typeof buildAlert>[2]): Alert {
    return buildAlert(this.rule, this.severity, parts);
  }
}

export class MatchRunner extends Runner<MatchRule> {
  /** `anchor`: the request identity (request-dedupe.ts) or the event id. */
  run(e: SecurityEvent, evidence: Evidence, anchor: string): Alert[] {
    const r = this.guard<Finding | Finding[] | null>(null, () => this.rule.match(e, this.ctx));
    if (r === null) return [];
    const findings = Array.isArray(r) ? r : [r];
    const seen = new Map<string, number>();
    return findings.map((f) => {
      // Several findings with one key from one event get distinct, still stable, anchors.
      const n = seen.get(f.key) ?? 0;
      seen.set(f.key, n + 1);
      return this.alert({
        id: alertId(this.rule.id, f.key, n === 0 ? anchor : `${anchor}#${n}`),
        key: f.key,
        summary: f.summary,
        fields: f.fields,
        ts: e.ts,
        count: 1,
        firstSeen: e.ts,
        lastSeen: e.ts,
        evidence: [evidence],
      });
    });
  }
}

export class ThresholdRunner extends Runner<ThresholdRule> {
  readonly windows: ThresholdWindows;

  constructor(rule: ThresholdRule, severity: Severity, ctx: RuleContext, errors: RuleErrors, params: WindowParams) {
    super(rule, severity, ctx, errors);
    this.windows = new ThresholdWindows(params);
  }

  run(e: SecurityEvent, line: string, watermarkMs: number | null, stream?: string): Alert[] {
    const sel = this.guard(null, () => this.rule.select(e, this.ctx));
    if (sel === null) return [];
    return this.windows.add(sel, e, line, watermarkMs, stream).map((f) => this.toAlert(f));
  }

  private toAlert(f: WindowFiring): Alert {
    const entries = f.payloads.map((p) => ({ ts: p.ts, detail: p.detail }));
    const agg = { key: f.key, count: f.count, items: f.items, firstMs: f.firstMs, lastMs: f.triggerMs, entries };
    const fallback: Described = { summary: `${this.rule.title}: ${f.count} events for ${f.key}` };
    const d = this.guard(fallback, () => this.rule.describe(agg, this.ctx));
    const ts = formatIso(f.triggerMs, f.triggerNs);
    return this.alert({
      id: alertId(this.rule.id, f.key, f.anchor),
      key: f.key,
      summary: d.summary,
      fields: d.fields,
      ts,
      count: f.count,
      firstSeen: formatIso(f.firstMs, f.firstNs),
      lastSeen: ts,
      // Same record as evidenceOf(): the window capped the line when it kept it.
      evidence: f.payloads.map((p) => ({ source: p.source, kind: p.kind, position: p.position, ts: p.ts, line: p.line, truncated: p.truncated })),
    });
  }
}

export class FirstSeenRunner extends Runner<FirstSeenRule> {
  readonly seen: FirstSeenSet;

  constructor(rule: FirstSeenRule, severity: Severity, ctx: RuleContext, errors: RuleErrors, maxKeys: number) {
    super(rule, severity, ctx, errors);
    this.seen = new FirstSeenSet(maxKeys);
  }

  run(e: SecurityEvent, evidence: Evidence): Alert[] {
    const sel = this.guard(null, () => this.rule.select(e, this.ctx));
    if (sel === null) return [];
    const isNew = this.seen.see(sel.key, e.tsMs);
    if (!isNew || sel.known) return [];
    const d = this.guard<Described>({ summary: `${this.rule.title}: ${sel.key}` }, () => this.rule.describe(e, this.ctx));
    return [
      this.alert({
        // Anchored on the key alone: whichever event shows the key first, it is one alert.
        id: alertId(this.rule.id, sel.key, 'first'),
        key: sel.key,
        summary: d.summary,
        fields: d.fields,
        ts: e.ts,
        count: 1,
        firstSeen: e.ts,
        lastSeen: e.ts,
        evidence: [evidence],
      }),
    ];
  }
}

/** The shared empty answer of a close() with nothing due (never mutated: callers copy or spread it). */
const NOTHING_DUE: Alert[] = [];

export class AbsenceRunner extends Runner<AbsenceRule> {
  readonly tracker: AbsenceTracker;

  constructor(
    rule: AbsenceRule,
    severity: Severity,
    ctx: RuleContext,
    errors: RuleErrors,
    sources: ReadonlyArray<{ name: string; kind: InputKind }> | undefined,
    maxKeys: number,
  ) {
    super(rule, severity, ctx, errors);
    this.tracker = new AbsenceTracker(sources, maxKeys);
  }

  /** Silences that passed their limit by `watermarkMs`. */
  close(watermarkMs: number, firstEventMs: number): Alert[] {
    if (!this.tracker.mayBeDue(watermarkMs, firstEventMs)) return NOTHING_DUE;
    const limit = (name: string, kind: InputKind): number =>
      this.guard(Number.POSITIVE_INFINITY, () => this.rule.maxSilence(this.ctx.config, { name, kind }));
    return this.tracker.due(watermarkMs, firstEventMs, limit).map((s) => this.toAlert(s));
  }

  private toAlert(s: DueSilence): Alert {
    const info = { source: s.source, kind: s.kind, lastSeenMs: s.lastSeenMs, maxSilenceMs: s.maxSilenceMs, atMs: s.atMs };
    const d = this.guard<Described>({ summary: `No events from ${s.source}` }, () => this.rule.describe(info, this.ctx));
    return this.alert({
      id: alertId(this.rule.id, s.source, `silent-since:${s.silentSinceMs}`),
      key: s.source,
      summary: d.summary,
      fields: d.fields,
      ts: formatIso(s.atMs),
      count: 1,
      firstSeen: formatIso(s.silentSinceMs),
      lastSeen: formatIso(s.atMs),
      evidence: s.lastLine ? [s.lastLine] : [],
    });
  }
}

export class ErrorRateRunner extends Runner<ErrorRateRule> {
  readonly tracker: ErrorRateTracker;

  constructor(rule: ErrorRateRule, severity: Severity, ctx: RuleContext, errors: RuleErrors, params: ErrorRateParams) {
    super(rule, severity, ctx, errors);
    this.tracker = new ErrorRateTracker(params);
  }

  close(timeOf: SourceTime, latenessMs: number): Alert[] {
    const judged = this.tracker.close(timeOf, latenessMs);
    return judged.length === 0 ? NOTHING_DUE : judged.map((w) => this.toAlert(w));
  }

  closeAll(timeOf: SourceTime): Alert[] {
    return this.tracker.closeAll(timeOf).map((w) => this.toAlert(w));
  }

  private toAlert(w: JudgedWindow): Alert {
    const info = {
      source: w.source,
      kind: w.kind,
      lines: w.lines,
      errors: w.errors,
      codes: w.codes,
      windowStartMs: w.windowStartMs,
      windowEndMs: w.windowEndMs,
    };
    const d = this.guard<Described>({ summary: `${w.errors} of ${w.lines} lines from ${w.source} failed to parse` }, () =>
      this.rule.describe(info, this.ctx),
    );
    return this.alert({
      id: alertId(this.rule.id, w.source, `window:${w.windowStartMs}`),
      key: w.source,
      summary: d.summary,
      fields: d.fields,
      ts: formatIso(w.lastMs),
      count: w.errors,
      firstSeen: formatIso(w.firstMs),
      lastSeen: formatIso(w.lastMs),
      evidence: [],
    });
  }
}
