// The daily digest's content (issue 5), built purely from what the state holds: the
// alerts of the window with what the router did to each, and each source's health. Slack
// Block Kit (slack-digest.ts) and the text of `tripline digest` render this same value.
//
// Counting rules:
// - The window is [fromMs, toMs) in EVENT time of the alerts (for a live run, event time
//   follows the wall clock; for replayed state it is the only time there is).
// - byRule counts every alert; posted/repeats/silenced/below say what the router did.
// - Top actors and addresses count warning and critical alerts only: info alerts (I2,
//   every Snort alert of priority 2-4) have their own Snort section and would drown them.
// - A repeat line names the post it repeats and that post's event time ("K9 fired 37 more
//   times since 09:12"), even when the post was before the window.
import type { Alert, Severity } from '../../../schemas/alert.js';
import type { Disposition } from '../../state/routes.js';
import { SEVERITY_RANK } from '../policy.js';

export interface DigestAlert {
  alert: Alert;
  tsMs: number;
  disposition: Disposition;
  /** repeat: the post it repeats (id, its event time, when known). */
  repeatOf?: { id: string; tsMs: number | null };
  silenceId?: string;
  /** Delivery state on the notification sink: dead letters are reported. */
  dead?: string;
}

export interface DigestSource {
  name: string;
  kind: string;
  events: number;
  parseErrors: number;
  lastEventMs: number | null;
  maxSilenceMs: number;
}

export interface DigestInput {
  fromMs: number;
  toMs: number;
  alerts: DigestAlert[];
  sources: DigestSource[];
  /** Silence id → one-line description and reason (from silences.json). */
  silences: Record<string, { description: string; reason: string }>;
  topN: number;
}

export interface Counted {
  value: string;
  count: number;
}

export interface Digest {
  fromMs: number;
  toMs: number;
  totals: { alerts: number } & Record<Severity, number>;
  byRule: Array<{ rule: string; title: string; severity: Severity; count: number; posted: number; repeats: number; silenced: number; below: number }>;
  repeats: Array<{ rule: string; key: string; count: number; sinceMs: number | null; postId: string }>;
  silenced: Array<{ silenceId: string; description: string; reason: string; count: number; rules: string[] }>;
  topActors: Counted[];
  topAddresses: Array<Counted & { outsideTrusted: boolean }>;
  snort: { byPriority: Array<{ priority: string; count: number }>; topSignatures: Array<{ signature: string; message: string; priority: string; count: number }> };
  newDrones: Array<{ drone: string; address: string; cores: string; tsMs: number }>;
  reboots: Array<{ host: string; count: number; lastMs: number; rules: string[] }>;
  sources: Array<DigestSource & { silent: boolean }>;
  deadLetters: Counted[];
}

function top(map: Map<string, number>, n: number): Counted[] {
  return [...map].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n).map(([value, count]) => ({ value, count }));
}

function bump(map: Map<string, number>, key: string, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

export function buildDigest(input: DigestInput): Digest {
  const alerts = input.alerts.filter((d) => d.tsMs >= input.fromMs && d.tsMs < input.toMs).sort((a, b) => a.tsMs - b.tsMs);
  const totals = { alerts: alerts.length, critical: 0, warning: 0, info: 0 };
  const byRule = new Map<string, Digest['byRule'][number]>();
  const repeats = new Map<string, Digest['repeats'][number]>();
  const silenced = new Map<string, Digest['silenced'][number]>();
  const actors = new Map<string, number>();
  const addresses = new Map<string, number>();
  const outside = new Set<string>();
  const priorities = new Map<string, number>();
  const signatures = new Map<string, { signature: string; message: string; priority: string; count: number }>();
  const drones = new Map<string, Digest['newDrones'][number]>();
  const reboots = new Map<string, Digest['reboots'][number]>();
  const dead = new Map<string, number>();

  for (const d of alerts) {
    const a = d.alert;
    totals[a.severity]++;
    const r = byRule.get(a.rule) ?? { rule: a.rule, title: a.title, severity: a.severity, count: 0, posted: 0, repeats: 0, silenced: 0, below: 0 };
    r.count++;
    if (SEVERITY_RANK[a.severity] > SEVERITY_RANK[r.severity]) r.severity = a.severity;
    if (d.disposition === 'post') r.posted++;
    else if (d.disposition === 'repeat') r.repeats++;
    else if (d.disposition === 'silenced') r.silenced++;
    else r.below++;
    byRule.set(a.rule, r);

    if (d.disposition === 'repeat' && d.repeatOf) {
      const k = d.repeatOf.id;
      const rep = repeats.get(k) ?? { rule: a.rule, key: a.key, count: 0, sinceMs: d.repeatOf.tsMs, postId: k };
      rep.count++;
      repeats.set(k, rep);
    }
    if (d.disposition === 'silenced' && d.silenceId) {
      const info = input.silences[d.silenceId] ?? { description: 'a silence no longer in silences.json', reason: '' };
      const s = silenced.get(d.silenceId) ?? { silenceId: d.silenceId, ...info, count: 0, rules: [] };
      s.count++;
      if (!s.rules.includes(a.rule)) s.rules.push(a.rule);
      silenced.set(d.silenceId, s);
    }
    if (d.dead) bump(dead, d.dead);
    if (a.severity !== 'info') {
      if (a.fields.actor) bump(actors, a.fields.actor);
      for (const x of new Set(a.fields.addresses ?? [])) bump(addresses, x);
      for (const x of a.fields.outsideTrusted ?? []) outside.add(x);
    }
    const det = a.fields.details ?? {};
    if (a.rule === 'I1' || a.rule === 'I2') {
      const p = str(det['priority']) || '?';
      bump(priorities, p);
      const sig = str(det['signature']) || a.key;
      const cur = signatures.get(sig) ?? { signature: sig, message: str(det['message']), priority: p, count: 0 };
      cur.count++;
      signatures.set(sig, cur);
    }
    if (a.rule === 'N1') {
      const drone = str(det['drone']) || a.key;
      if (!drones.has(drone)) drones.set(drone, { drone, address: str(det['sourceIp']) || str(a.fields.addresses?.[0]), cores: str(det['cores']), tsMs: d.tsMs });
    }
    if (a.rule === 'R1' || a.rule === 'R2') {
      const host = a.fields.host ?? a.key;
      const cur = reboots.get(host) ?? { host, count: 0, lastMs: d.tsMs, rules: [] };
      if (a.rule === 'R1') cur.count++;
      cur.lastMs = Math.max(cur.lastMs, d.tsMs);
      if (!cur.rules.includes(a.rule)) cur.rules.push(a.rule);
      reboots.set(host, cur);
    }
  }

  const rank = (s: Severity) => SEVERITY_RANK[s];
  return {
    fromMs: input.fromMs,
    toMs: input.toMs,
    totals,
    byRule: [...byRule.values()].sort((a, b) => rank(b.severity) - rank(a.severity) || b.count - a.count || (a.rule < b.rule ? -1 : 1)),
    repeats: [...repeats.values()].sort((a, b) => b.count - a.count || (a.postId < b.postId ? -1 : 1)),
    silenced: [...silenced.values()].sort((a, b) => b.count - a.count || (a.silenceId < b.silenceId ? -1 : 1)),
    topActors: top(actors, input.topN),
    topAddresses: top(addresses, input.topN).map((c) => ({ ...c, outsideTrusted: outside.has(c.value) })),
    snort: {
      byPriority: [...priorities].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([priority, count]) => ({ priority, count })),
      topSignatures: [...signatures.values()].sort((a, b) => b.count - a.count || (a.signature < b.signature ? -1 : 1)).slice(0, input.topN),
    },
    newDrones: [...drones.values()],
    reboots: [...reboots.values()].sort((a, b) => (a.host < b.host ? -1 : 1)),
    sources: input.sources
      .map((s) => ({ ...s, silent: s.lastEventMs === null || input.toMs - s.lastEventMs > s.maxSilenceMs }))
      .sort((a, b) => (a.name < b.name ? -1 : 1)),
    deadLetters: top(dead, 20),
  };
}
