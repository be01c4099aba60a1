// The digest as titled sections of lines (issue 5): one layout, two renderings, so
// `tripline digest` prints exactly what it posts. A line is a list of parts: our own words
// (string), a log-derived value ({ v }) and emphasis ({ em }). slack-digest.ts renders
// parts as escaped mrkdwn (values in code spans), text.ts as plain text.
import { DateTime } from 'luxon';
import type { Digest } from './model.js';

export type Part = string | { v: string } | { em: string };
export type Line = Part[];
export interface Section {
  title: string;
  lines: Line[];
  /** Shown when there are no lines. */
  empty?: string;
}

export interface DigestLayout {
  title: string;
  subtitle: string;
  sections: Section[];
  footer: string;
}

const SEV_WORD = { critical: 'critical', warning: 'warning', info: 'info' } as const;

function fmt(ms: number, zone: string, pattern = 'yyyy-LL-dd HH:mm ZZZZ'): string {
  return DateTime.fromMillis(ms, { zone }).setLocale('en-US').toFormat(pattern);
}

function n(x: number): string {
  return x.toLocaleString('en-US');
}

function plural(x: number, one: string, many = `${one}s`): string {
  return `${n(x)} ${x === 1 ? one : many}`;
}

export function layoutDigest(d: Digest, zone: string): DigestLayout {
  const hours = Math.round((d.toMs - d.fromMs) / 3_600_000);
  const t = d.totals;
  const sections: Section[] = [
    {
      title: 'Alerts by rule',
      empty: 'No alerts in this window.',
      lines: d.byRule.map((r) => [
        { em: r.rule },
        ` ${SEV_WORD[r.severity]} · ${r.title} ×${n(r.count)}: posted ${n(r.posted)}, repeats ${n(r.repeats)}, silenced ${n(r.silenced)}${r.below ? `, digest only ${n(r.below)}` : ''}`,
      ]),
    },
    {
      title: 'Repeats carried (not posted again)',
      empty: 'none',
      lines: d.repeats.map((r) => [
        `${r.rule} `,
        { v: r.key },
        ` fired ${plural(r.count, 'more time')} since ${r.sinceMs === null ? 'its first post' : fmt(r.sinceMs, zone, 'LLL d HH:mm ZZZZ')}`,
      ]),
    },
    {
      title: 'Silenced',
      empty: 'none',
      lines: d.silenced.map((s) => [{ v: s.silenceId }, ' ', { v: s.description }, `: ${plural(s.count, 'alert')}${s.reason ? ' (reason: ' : ''}`, ...(s.reason ? [{ v: s.reason }, ')'] : [])]),
    },
    {
      title: 'Top actors (warning and critical)',
      empty: 'none',
      lines: d.topActors.map((a) => [{ v: a.value }, ` ×${n(a.count)}`]),
    },
    {
      title: 'Top addresses (warning and critical)',
      empty: 'none',
      lines: d.topAddresses.map((a) => [{ v: a.value }, ` ×${n(a.count)}`, ...(a.outsideTrusted ? [' ', { em: 'outside trusted' }] : [])]),
    },
    {
      title: 'Snort',
      empty: 'no Snort alerts',
      lines:
        d.snort.byPriority.length === 0
          ? []
          : [
              [`by priority: ${d.snort.byPriority.map((p) => `${p.priority} ×${n(p.count)}`).join(', ')}`],
              ...d.snort.topSignatures.map((s): Line => [{ v: s.signature }, ' ', { v: s.message }, ` (priority ${s.priority}) ×${n(s.count)}`]),
            ],
    },
    {
      title: 'New drones',
      empty: 'none',
      lines: d.newDrones.map((x) => [{ v: x.drone }, ' from ', { v: x.address || '?' }, `${x.cores ? `, ${x.cores} cores` : ''}, ${fmt(x.tsMs, zone)}: pending approval`]),
    },
    {
      title: 'Reboots',
      empty: 'none',
      lines: d.reboots.map((r) => [{ v: r.host }, `: ${plural(r.count, 'unplanned boot')}, last ${fmt(r.lastMs, zone)} (${r.rules.join(', ')})`]),
    },
    {
      title: 'Sources',
      empty: 'no source has reported to this state yet',
      lines: d.sources.map((s) => [
        ...(s.silent ? [{ em: 'SILENT' }, ' '] : []),
        { v: s.name },
        ` (${s.kind}): ${plural(s.events, 'event')}, ${plural(s.parseErrors, 'parse error')}, last event ${s.lastEventMs === null ? 'never' : fmt(s.lastEventMs, zone)}`,
      ]),
    },
  ];
  if (d.deadLetters.length > 0) {
    sections.push({
      title: 'Delivery problems (dead-lettered, not retried)',
      lines: d.deadLetters.map((x) => [{ v: x.value }, ` ×${n(x.count)}`]),
    });
  }
  return {
    title: `tripline daily digest · ${fmt(d.toMs, zone, 'yyyy-LL-dd')}`,
    subtitle: `${hours} h from ${fmt(d.fromMs, zone)} to ${fmt(d.toMs, zone)} · ${plural(t.alerts, 'alert')}: ${n(t.critical)} critical, ${n(t.warning)} warning, ${n(t.info)} info`,
    sections,
    footer: 'tripline · `tripline digest --since 24h` prints this on demand',
  };
}
