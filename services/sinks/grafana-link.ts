// Grafana Explore links that show an alert's evidence lines in Loki (issue 5; reused by the
// Loki work). Pure: config + alerts → { expr, fromMs, toMs } → URL.
//
// URL form (Grafana 10+): <grafana>/explore?schemaVersion=1&orgId=N&panes=<JSON>, where
// panes = {"tl":{"datasource":"<uid>","queries":[{"refId":"A","expr":"<LogQL>",
// "queryType":"range","datasource":{"type":"loki","uid":"<uid>"}}],
// "range":{"from":"<epoch ms>","to":"<epoch ms>"}}}, URL-encoded.
//
// The LogQL: the stream selector of the evidence's source (grafana.selectors by source name,
// then by input kind, else {job="<kind>"}), plus one line filter `|= "<value>"` with a
// value that occurs in EVERY evidence line (the offending address, the actor, the target,
// ...), so the query narrows to the evidence without hiding any of it. No filter when no
// value is common to all lines. The time range spans the evidence, padded on both sides.
// Values are attacker text: they are quoted as LogQL strings (backslash and quote escaped),
// never spliced into the selector, and capped.
import type { Alert } from '../../schemas/alert.js';
import type { GrafanaConfig } from '../../schemas/routing.js';
import { parseRfc3339 } from '../lib/time.js';

export interface LokiQuery {
  expr: string;
  fromMs: number;
  toMs: number;
}

const MAX_FILTER = 200;

/** A LogQL double-quoted string literal. */
export function logqlString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** The stream selector for an evidence source: by source name, then kind, else {job="<kind>"}. */
export function selectorFor(cfg: Pick<GrafanaConfig, 'selectors'>, source: string, kind: string): string {
  return cfg.selectors[source] ?? cfg.selectors[kind] ?? `{job=${logqlString(kind)}}`;
}

function candidates(a: Alert): string[] {
  const f = a.fields;
  return [...(f.outsideTrusted ?? []), f.actor, f.target, ...(f.addresses ?? []), f.host].filter(
    (v): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_FILTER,
  );
}

/** The evidence query of one alert or of a group of alerts (one rule). */
export function evidenceQuery(cfg: Pick<GrafanaConfig, 'selectors' | 'padding'>, alerts: readonly Alert[]): LokiQuery | undefined {
  const evidence = alerts.flatMap((a) => a.evidence);
  const first = evidence[0] ?? undefined;
  if (!first || alerts.length === 0) return undefined;
  const selector = selectorFor(cfg, first.source, first.kind);
  // Only lines from the same stream can be shown by one selector; filter among them.
  const lines = evidence.filter((e) => selectorFor(cfg, e.source, e.kind) === selector).map((e) => e.line);
  const common = alerts.length === 1 ? candidates(alerts[0]!) : candidates(alerts[0]!).filter((c) => alerts.every((a) => candidates(a).includes(c)));
  const filter = common.find((c) => lines.every((l) => l.includes(c)));
  const times = evidence.map((e) => parseRfc3339(e.ts)?.ms).filter((t): t is number => t !== undefined);
  if (times.length === 0) {
    for (const a of alerts) for (const t of [a.firstSeen, a.lastSeen]) {
      const ms = parseRfc3339(t)?.ms;
      if (ms !== undefined) times.push(ms);
    }
  }
  if (times.length === 0) return undefined;
  return {
    expr: filter === undefined ? selector : `${selector} |= ${logqlString(filter)}`,
    fromMs: Math.min(...times) - cfg.padding,
    // +1 ms: Loki's end is exclusive, and the last evidence line must be inside.
    toMs: Math.max(...times) + cfg.padding + 1,
  };
}

/** The Explore URL of a query. */
export function exploreUrl(cfg: Pick<GrafanaConfig, 'url' | 'datasource' | 'orgId'>, q: LokiQuery): string {
  const panes = {
    tl: {
      datasource: cfg.datasource,
      queries: [{ refId: 'A', expr: q.expr, queryType: 'range', datasource: { type: 'loki', uid: cfg.datasource } }],
      range: { from: String(q.fromMs), to: String(q.toMs) },
    },
  };
  const base = cfg.url.replace(/\/+$/, '');
  return `${base}/explore?schemaVersion=1&orgId=${cfg.orgId}&panes=${encodeURIComponent(JSON.stringify(panes))}`;
}

/** Explore link for one alert or a group, or undefined when there is no evidence to show. */
export function evidenceLink(cfg: GrafanaConfig, alerts: readonly Alert[]): string | undefined {
  const q = evidenceQuery(cfg, alerts);
  return q ? exploreUrl(cfg, q) : undefined;
}
