// Reads a digest's input from state.db (issue 5): the alerts of the window with the
// router's decision for the notification sink (slack), dead letters, and source health.
// Works on the running store's connection and on a read-only one (`tripline digest`
// while `tripline run` holds the lock).
//
// Alerts without a decision (replayed state from `tripline replay --state-dir`, a run
// without Slack, or alerts not routed yet) are classified here with the same pure policy
// the router uses (policy.ts), in event-time order, with silences judged at each alert's
// event time: so a digest over replayed state counts repeats and silences the way the
// live run would have.
import type { DatabaseSync } from 'node:sqlite';
import type { Alert } from '../../../schemas/alert.js';
import type { Config } from '../../../schemas/config.js';
import type { InputKind } from '../../../schemas/event.js';
import type { Silence } from '../../../schemas/routing.js';
import { rules } from '../../../rules/index.js';
import { formatIso, parseRfc3339 } from '../../lib/time.js';
import { OVERFLOW_CODE, fingerprintOf } from '../../state/outbox.js';
import { readHealth } from '../../state/health.js';
import type { Disposition } from '../../state/routes.js';
import { classify, type LastPost, type SinkPolicy } from '../policy.js';
import { describeSilence } from '../silences.js';
import type { DigestAlert, DigestInput, DigestSource } from './model.js';

export const NOTIFY_SINK = 'slack';

export interface ReadDigestOptions {
  fromMs: number;
  toMs: number;
  config: Config;
  silences: readonly Silence[];
  /** Sources the config names: listed even if they never reported. */
  configuredSources?: ReadonlyArray<{ name: string; kind: string }>;
}

interface Row {
  id: string;
  ts: string;
  json: string | null;
  disposition: Disposition | null;
  groupKey: string | null;
  silenceId: string | null;
  status: string | null;
  lastCode: string | null;
}

const H1 = rules.find((r) => r.id === 'H1') as unknown as { maxSilence?: (c: Config, s: { name: string; kind: InputKind }) => number } | undefined;

export function maxSilenceOf(config: Config, name: string, kind: string): number {
  return H1?.maxSilence?.(config, { name, kind: kind as InputKind }) ?? 24 * 3_600_000;
}

/** The policy a digest simulates for alerts the router has not decided on. */
export function simulatedPolicy(config: Config): SinkPolicy {
  return {
    minSeverity: config.sinks?.slack?.minSeverity ?? 'warning',
    silences: true,
    dedup: true,
    repeatIntervalMs: config.route.repeatInterval,
    groupWaitMs: 0,
    maxGroupSize: 1,
    minIntervalMs: 0,
    groupBy: 'rule',
  };
}

export function readDigestInput(db: DatabaseSync, o: ReadDigestOptions): DigestInput {
  // Alert ts are UTC RFC 3339; their first 19 characters compare as text. The exact
  // window is applied on the parsed time below.
  const rows = db
    .prepare(
      `SELECT o.id AS id, o.ts AS ts, o.alert_json AS json, r.disposition AS disposition, r.group_key AS groupKey,
              r.silence_id AS silenceId, d.status AS status, d.last_code AS lastCode
       FROM outbox o
       LEFT JOIN route_decisions r ON r.alert_id = o.id AND r.sink = ?1
       LEFT JOIN deliveries d ON d.alert_id = o.id AND d.sink = ?1
       WHERE substr(o.ts, 1, 19) >= ?2 AND substr(o.ts, 1, 19) <= ?3 AND o.alert_json IS NOT NULL
       ORDER BY o.seq`,
    )
    .all(NOTIFY_SINK, formatIso(o.fromMs, 0, 0).slice(0, 19), formatIso(o.toMs, 0, 0).slice(0, 19)) as unknown as Row[];

  const tsOf = db.prepare('SELECT ts FROM outbox WHERE id = ?');
  const postTs = (id: string): number | null => {
    const r = tsOf.get(id) as { ts: string } | undefined;
    return r ? (parseRfc3339(r.ts)?.ms ?? null) : null;
  };
  const lastPostStmt = db.prepare('SELECT posted_ts_ms AS tsMs, posted_alert AS id FROM route_fingerprints WHERE sink = ? AND fingerprint = ?');

  const decided: DigestAlert[] = [];
  const undecided: Array<{ alert: Alert; tsMs: number; dead?: string }> = [];
  for (const r of rows) {
    const tsMs = parseRfc3339(r.ts)?.ms;
    if (tsMs === undefined || tsMs < o.fromMs || tsMs >= o.toMs) continue;
    let alert: Alert;
    try {
      alert = JSON.parse(r.json!) as Alert;
    } catch {
      continue;
    }
    // issue 9: an alert shed in a flood (outbox.ts OVERFLOW_CODE) was not posted either:
    // it is listed with the dead letters under its code, so the digest says how many.
    const dead = r.status === 'dead' ? (r.lastCode ?? 'TRIP_UNKNOWN') : r.status === 'skipped' && r.lastCode === OVERFLOW_CODE ? OVERFLOW_CODE : undefined;
    if (r.disposition === null) {
      undecided.push({ alert, tsMs, dead });
      continue;
    }
    const d: DigestAlert = { alert, tsMs, disposition: r.disposition };
    if (r.disposition === 'repeat' && r.groupKey) d.repeatOf = { id: r.groupKey, tsMs: postTs(r.groupKey) };
    if (r.disposition === 'silenced' && r.silenceId) d.silenceId = r.silenceId;
    if (dead) d.dead = dead;
    decided.push(d);
  }

  const policy = simulatedPolicy(o.config);
  const posts = new Map<string, LastPost | undefined>();
  undecided.sort((a, b) => a.tsMs - b.tsMs);
  for (const u of undecided) {
    const fp = fingerprintOf(u.alert);
    if (!posts.has(fp)) {
      const r = lastPostStmt.get(NOTIFY_SINK, fp) as { tsMs: number; id: string } | undefined;
      posts.set(fp, r ? { tsMs: Number(r.tsMs), id: r.id } : undefined);
    }
    const c = classify(u.alert, u.tsMs, policy, o.silences, posts.get(fp), u.tsMs);
    const d: DigestAlert = { alert: u.alert, tsMs: u.tsMs, disposition: c.disposition };
    if (c.disposition === 'post') posts.set(fp, { tsMs: u.tsMs, id: u.alert.id });
    if (c.disposition === 'repeat') {
      const prev = posts.get(fp)!;
      d.repeatOf = { id: prev.id, tsMs: prev.tsMs };
    }
    if (c.disposition === 'silenced') d.silenceId = c.silenceId;
    if (u.dead) d.dead = u.dead;
    decided.push(d);
  }

  const health = readHealth(db, o.fromMs, o.toMs);
  const sources: DigestSource[] = health.map((h) => ({ name: h.source, kind: h.kind, events: h.events, parseErrors: h.parseErrors, lastEventMs: h.lastEventMs, maxSilenceMs: maxSilenceOf(o.config, h.source, h.kind) }));
  for (const s of o.configuredSources ?? []) {
    if (!sources.some((x) => x.name === s.name)) sources.push({ name: s.name, kind: s.kind, events: 0, parseErrors: 0, lastEventMs: null, maxSilenceMs: maxSilenceOf(o.config, s.name, s.kind) });
  }
  const silences: DigestInput['silences'] = {};
  for (const s of o.silences) silences[s.id] = { description: describeSilence(s), reason: s.reason };
  return { fromMs: o.fromMs, toMs: o.toMs, alerts: decided, sources, silences, topN: o.config.route.digest.topN };
}
