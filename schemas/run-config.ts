import { z } from 'zod';
import { InputKind } from './event.js';
import { Duration } from './durations.js';
// issue 5 (router): the slack and alertmanager sink blocks live in routing.ts.
import { AlertmanagerSinkConfig, SlackSinkConfig } from './routing.js';
// issue 6 (loki): the loki source and sink blocks live in loki.ts.
import { LokiSinkConfig, LokiSourceSettings } from './loki.js';

// The live path's configuration: where `tripline run` reads from (sources), where
// alerts go (sinks: a sink is on when its block is present) and the operations
// endpoint. Split from config.ts to keep each file to one job; config.ts composes it.

const Listen = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, 'HOST:PORT, e.g. 127.0.0.1:5514');

export const SourceConfig = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, '1-64 letters, digits, dot, dash or underscore')
      .describe('a unique name: it keys the saved position, metrics and H1'),
    kind: InputKind.describe('the input format of the lines'),
    path: z.string().min(1).optional().describe('file tail: a path, or a glob with * in the last segment'),
    startAt: z.enum(['end', 'beginning']).default('end').describe('where a source without saved state starts'),
    pollInterval: Duration.optional().describe('file tail: polling fallback interval (default 250ms)'),
    journal: z
      .strictObject({
        command: z.string().default('journalctl').describe('the journalctl binary'),
        units: z.array(z.string().min(1)).default([]).describe('systemd units (journalctl -u)'),
        matches: z.array(z.string().regex(/^[A-Z0-9_]+=/, 'FIELD=value')).default([]).describe('journal matches, e.g. SYSLOG_IDENTIFIER=sshd'),
      })
      .optional()
      .describe('journal collector settings (kind: journal)'),
    listen: z
      .strictObject({
        udp: Listen.optional().describe('UDP address to receive syslog on'),
        tcp: Listen.optional().describe('TCP address to receive syslog on (octet-counted or newline framing)'),
        maxMessageBytes: z.number().int().positive().default(65536).describe('longer messages are truncated and counted'),
      })
      .optional()
      .describe('syslog listener settings'),
    maxSilence: Duration.optional().describe('H1: how long the source may stay silent (default by kind)'),
    host: z.string().min(1).optional().describe('host name for lines that name none'),
    // issue 6 (loki): a LogQL query as a source; `kind` picks the parser.
    loki: LokiSourceSettings.optional().describe('Loki source: read a LogQL query (catch-up with query_range, then tail)'),
  })
  .superRefine((s, ctx) => {
    // issue 6 (loki): `loki` is a fourth way; kind journal with loki reads journal JSON from Loki.
    const ways = [s.path !== undefined, s.listen !== undefined, s.journal !== undefined || (s.kind === 'journal' && s.path === undefined && s.listen === undefined && s.loki === undefined), s.loki !== undefined];
    if (ways.filter(Boolean).length !== 1) {
      ctx.addIssue({ code: 'custom', message: 'give exactly one of path (file tail), listen (syslog listener), journal (kind journal only) or loki (a LogQL query)' });
    }
    if (s.journal !== undefined && s.kind !== 'journal') ctx.addIssue({ code: 'custom', path: ['journal'], message: 'journal settings need kind: journal' });
    if (s.listen && !s.listen.udp && !s.listen.tcp) ctx.addIssue({ code: 'custom', path: ['listen'], message: 'give listen.udp, listen.tcp or both' });
  })
  .describe('one log source of tripline run');
export type SourceConfig = z.infer<typeof SourceConfig>;

export const SinksConfig = z
  .strictObject({
    stdout: z.strictObject({}).optional().describe('print alerts as JSON lines on stdout'),
    file: z.strictObject({ path: z.string().min(1).describe('file to append alerts to (jsonl)') }).optional().describe('append alerts to a file, exactly once'),
    // issue 5 (router): notification sinks.
    slack: SlackSinkConfig.optional().describe('post alerts to Slack through an incoming webhook (Block Kit)'),
    alertmanager: AlertmanagerSinkConfig.optional().describe('send alerts to a Prometheus Alertmanager (API v2)'),
    // issue 6 (loki)
    loki: LokiSinkConfig.optional().describe('push each alert as one JSON line to Loki under {job="tripline", rule, severity}'),
  })
  .describe('where alerts go; a sink is on when its block is present (none: stdout)');

export const HttpConfig = z
  .strictObject({
    listen: z.union([Listen, z.literal(false)]).default('127.0.0.1:9108').describe('address for /metrics, /healthz and /readyz; false turns it off'),
  })
  .describe('the operations endpoint');
