// H1: a source went silent: the detector is blind there.
// Fires (the engine tracks it, services/engine/absence.ts): a watched source produced no
// event for longer than its maxSilence, measured in event time against the watermark.
// maxSilence = `health.maxSilence[<source name>]` ?? `health.maxSilence[<kind>]` ??
// the default for the kind: k8s-audit 30 min, vault-audit 6 h, everything else 24 h.
// Watched sources: the configured ones (in replay, the inputs given); a source that
// never spoke counts from the first event the engine saw. One alert per silence; it
// re-arms when the source speaks again. Key = source name.
// A Vault audit stream resuming after silence is also how an unseal shows (V3 notes it).
// Must not fire: sources that keep speaking; a silence shorter than the limit; beyond
// the last event time of a replay (the engine never invents time).
import { defineRule, type AbsenceRule } from '../define.js';
import type { InputKind } from '../../schemas/event.js';

const HOUR = 60 * 60_000;
const DEFAULT_SILENCE: Partial<Record<InputKind, number>> = { 'k8s-audit': 30 * 60_000, 'vault-audit': 6 * HOUR };
const FALLBACK_SILENCE = 24 * HOUR;

function human(ms: number): string {
  if (ms % HOUR === 0) return `${ms / HOUR} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 1000)} s`;
}

export const H1: AbsenceRule = defineRule({
  kind: 'absence',
  id: 'H1',
  title: 'Log source silent',
  severity: 'critical',
  sources: ['k8s-audit', 'vault-audit', 'syslog', 'journal', 'snort', 'swarm'],
  apps: [],
  runbook: 'h1',
  tags: ['T1562.006'],
  description: 'A watched source produced no event for longer than health.maxSilence (k8s-audit 30m, vault-audit 6h, others 24h)',
  params: (config) => ({ maxSilenceMs: { ...DEFAULT_SILENCE, '*': FALLBACK_SILENCE, ...config.health.maxSilence } }),
  maxSilence(config, source) {
    const m = config.health.maxSilence;
    if (Object.hasOwn(m, source.name)) return m[source.name]!;
    if (Object.hasOwn(m, source.kind)) return m[source.kind]!;
    return DEFAULT_SILENCE[source.kind] ?? FALLBACK_SILENCE;
  },
  describe(info) {
    const since = info.lastSeenMs === null ? 'since tripline started reading' : `since ${new Date(info.lastSeenMs).toISOString()}`;
    return {
      summary: `No events from ${info.source} (${info.kind}) for more than ${human(info.maxSilenceMs)} ${since}: tripline is blind there`,
      fields: {
        source: info.source,
        details: {
          kind: info.kind,
          lastSeen: info.lastSeenMs === null ? null : new Date(info.lastSeenMs).toISOString(),
          maxSilenceMs: info.maxSilenceMs,
          silentAt: new Date(info.atMs).toISOString(),
        },
      },
    };
  },
});
