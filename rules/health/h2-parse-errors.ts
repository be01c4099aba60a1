// H2: a source's lines stopped parsing: usually a format change upstream, sometimes
// tampering or a misconfigured input.
// Fires (the engine counts, services/engine/error-rate.ts): in a window of
// `health.parseErrors.window` (10 min) a source had at least
// `health.parseErrors.minLines` (100) lines and more than `health.parseErrors.ratio` (1%)
// of them failed to parse. Windows are tumbling in event time; one alert per source per
// window. Blank lines and comments (TRIP_PARSE_EMPTY, TRIP_PARSE_COMMENT) are not counted
// at all. Key = source name. The alert counts the failed lines and lists the error codes.
// Must not fire: a few bad lines among many, windows with too few lines to judge.
import { defineRule, type ErrorRateRule } from '../define.js';

export const H2: ErrorRateRule = defineRule({
  kind: 'error-rate',
  id: 'H2',
  title: 'Log lines failing to parse',
  severity: 'warning',
  sources: ['k8s-audit', 'vault-audit', 'syslog', 'journal', 'snort', 'swarm'],
  apps: [],
  runbook: 'h2',
  tags: [],
  description: 'More than health.parseErrors.ratio of a source\'s lines failed to parse over health.parseErrors.window',
  params: (config) => ({ ...config.health.parseErrors }),
  describe(info) {
    const pct = Math.round((1000 * info.errors) / info.lines) / 10;
    const codes = info.codes.slice(0, 5).map((c) => `${c.value} (${c.count})`);
    const minutes = Math.round((info.windowEndMs - info.windowStartMs) / 60_000);
    return {
      summary: `${info.errors} of ${info.lines} lines (${pct}%) from ${info.source} (${info.kind}) failed to parse in ${minutes} min: ${codes.join(', ')}`,
      fields: {
        source: info.source,
        details: {
          kind: info.kind,
          lines: info.lines,
          errors: info.errors,
          codes: info.codes.map((c) => `${c.value} (${c.count})`),
          windowStart: new Date(info.windowStartMs).toISOString(),
          windowEnd: new Date(info.windowEndMs).toISOString(),
        },
      },
    };
  },
});
