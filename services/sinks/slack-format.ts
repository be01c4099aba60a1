// Slack Block Kit for alerts (issue 5): pure `formatSlack(alert | alerts, opts) → payload`,
// tested against checked-in JSON (test/fixtures/slack/).
//
// One alert: header (severity marker, rule id, title) · summary · fields (actor, addresses
// with an "outside trusted" note, target, host, event time in route.timezone, count) · the
// first evidence line · links (runbook; Grafana Explore when grafana.url is set) · context
// (alert id, MITRE tags). A group (alerts of one rule that arrived within groupWait): one
// header, then a compact section per alert carrying the same facts and its id.
//
// Invariants: every log-derived string goes through mrkdwn.ts (escaped, in code spans,
// capped), so no alert text can mention or link; limits are enforced by slack-blocks.ts.
import { DateTime } from 'luxon';
import type { Alert, Severity } from '../../schemas/alert.js';
import type { GrafanaConfig } from '../../schemas/routing.js';
import { parseRfc3339 } from '../lib/time.js';
import { evidenceLink } from './grafana-link.js';
import { code, link, preformatted, safeText, escapeMrkdwn } from './mrkdwn.js';
import { type Block, type SlackPayload, context, fields, header, payload, section } from './slack-blocks.js';

export interface SlackFormatOptions {
  /** IANA zone for event times (route.timezone). */
  timezone: string;
  /** Grafana Explore links when set. */
  grafana?: GrafanaConfig;
  /** Base URL runbook paths resolve against; absent: the path is shown as code. */
  runbookBaseUrl?: string;
  /** route.groupWait, for the group's intro line. */
  groupWaitMs?: number;
}

export const SEVERITY_MARK: Record<Severity, string> = {
  critical: ':red_circle:',
  warning: ':large_orange_circle:',
  info: ':large_blue_circle:',
};

const RANK: Record<Severity, number> = { critical: 3, warning: 2, info: 1 };
const MAX_ADDRESSES = 6;

/** 2026-06-10 09:12:03 CEST (luxon, en-US abbreviations for stable output). */
export function formatTime(iso: string, zone: string): string {
  const t = parseRfc3339(iso);
  if (!t) return escapeMrkdwn(iso);
  return DateTime.fromMillis(t.ms, { zone }).setLocale('en-US').toFormat('yyyy-LL-dd HH:mm:ss ZZZZ');
}

function timeRange(a: Alert, zone: string): string {
  const first = formatTime(a.firstSeen, zone);
  const last = formatTime(a.lastSeen, zone);
  return first === last || a.count === 1 ? formatTime(a.ts, zone) : `${first} → ${last}`;
}

/** Addresses as code, the ones outside the trusted sets marked. */
export function addressList(a: Alert): string {
  const all = a.fields.addresses ?? [];
  if (all.length === 0) return '—';
  const outside = new Set(a.fields.outsideTrusted ?? []);
  const shown = all.slice(0, MAX_ADDRESSES).map((x) => (outside.has(x) ? `${code(x, 80)} :warning: _outside trusted_` : code(x, 80)));
  const more = all.length > MAX_ADDRESSES ? ` +${all.length - MAX_ADDRESSES} more` : '';
  return shown.join(', ') + more;
}

function actor(a: Alert): string {
  const kind = a.fields.actorKind ? ` (${safeText(a.fields.actorKind, 40)})` : '';
  return a.fields.actor ? `${code(a.fields.actor, 200)}${kind}` : '—';
}

function runbook(a: Alert, o: SlackFormatOptions): string {
  if (!o.runbookBaseUrl) return `Runbook: ${code(a.runbook, 200)}`;
  return link(new URL(a.runbook, o.runbookBaseUrl.endsWith('/') ? o.runbookBaseUrl : `${o.runbookBaseUrl}/`).href, `Runbook ${a.rule}`);
}

function links(alerts: readonly Alert[], o: SlackFormatOptions): Block {
  const parts = [runbook(alerts[0]!, o)];
  const g = o.grafana && evidenceLink(o.grafana, alerts);
  if (g) parts.push(link(g, 'Evidence in Grafana Explore'));
  return context([parts.join('  ·  ')]);
}

function headerText(severity: Severity, a: Alert, suffix = ''): string {
  return `${SEVERITY_MARK[severity]} ${severity.toUpperCase()} ${a.rule} · ${a.title}${suffix}`;
}

function tagsText(a: Alert): string {
  return a.tags.length > 0 ? `  ·  MITRE ${a.tags.map((t) => escapeMrkdwn(t)).join(', ')}` : '';
}

function formatOne(a: Alert, o: SlackFormatOptions): SlackPayload {
  const blocks: Block[] = [
    header(headerText(a.severity, a)),
    section(safeText(a.summary, 3000)),
    fields([
      `*Actor*\n${actor(a)}`,
      `*Addresses*\n${addressList(a)}`,
      `*Target*\n${code(a.fields.target, 300)}`,
      `*Host*\n${code(a.fields.host, 200)}`,
      `*Event time*\n${timeRange(a, o.timezone)}`,
      `*Count*\n${a.count}`,
    ]),
  ];
  const ev = a.evidence[0];
  if (ev) {
    const of = a.evidence.length > 1 ? `first of ${a.evidence.length} lines` : '1 line';
    blocks.push(section(`*Evidence* (${of}, ${code(ev.source, 120)})\n${preformatted(ev.line, 1200)}`));
  }
  blocks.push(links([a], o));
  blocks.push(context([`Alert ${code(a.id, 64)}${tagsText(a)}  ·  tripline`]));
  const fallback = `[${a.severity}] ${a.rule} ${a.title}: ${safeText(a.summary, 600)}`;
  return payload(fallback, blocks);
}

function groupLine(a: Alert, i: number, o: SlackFormatOptions): string {
  const facts = [
    `actor ${actor(a)}`,
    `addresses ${addressList(a)}`,
    `target ${code(a.fields.target, 200)}`,
    `host ${code(a.fields.host, 120)}`,
    timeRange(a, o.timezone),
    `×${a.count}`,
  ];
  return `*${i + 1}.* ${safeText(a.summary, 1200)}\n${facts.join('  ·  ')}\nAlert ${code(a.id, 64)}`;
}

function formatGroup(alerts: readonly Alert[], o: SlackFormatOptions): SlackPayload {
  const first = alerts[0]!;
  const severity = alerts.reduce<Severity>((s, a) => (RANK[a.severity] > RANK[s] ? a.severity : s), first.severity);
  const wait = o.groupWaitMs ? ` within ${Math.round(o.groupWaitMs / 1000)} s` : '';
  const blocks: Block[] = [
    header(headerText(severity, first, ` (${alerts.length} alerts)`)),
    section(`*${alerts.length} alerts of ${escapeMrkdwn(first.rule)}* arrived${wait}: one line each, in event order.`),
    ...alerts.map((a, i) => section(groupLine(a, i, o))),
    links(alerts, o),
    context([`${alerts.length} alerts  ·  ids in each entry${tagsText(first)}  ·  tripline`]),
  ];
  const fallback = `[${severity}] ${first.rule} ${first.title}: ${alerts.length} alerts, first: ${safeText(first.summary, 400)}`;
  return payload(fallback, blocks);
}

/** The message for one alert, or for a group of alerts of one rule (in event order). */
export function formatSlack(alerts: Alert | readonly Alert[], o: SlackFormatOptions): SlackPayload {
  const list = Array.isArray(alerts) ? (alerts as readonly Alert[]) : [alerts as Alert];
  if (list.length === 0) throw new Error('formatSlack: no alerts');
  return list.length === 1 ? formatOne(list[0]!, o) : formatGroup(list, o);
}
