// Sinks from config (a sink is on when its block is present); none configured means
// stdout, so a first run shows its alerts.
// issue 5: slack (webhook URL from sinks.slack.webhookUrl or SLACK_WEBHOOK_URL; a missing
// one is a config error naming the key, and the URL itself is never printed) and
// alertmanager.
import type { Config } from '../../../schemas/config.js';
import { ConfigError } from '../../config/load.js';
import { AlertmanagerSink } from '../../sinks/alertmanager.js';
import { FileSink } from '../../sinks/file.js';
import { SlackSink } from '../../sinks/slack.js';
import { StdoutSink } from '../../sinks/stdout.js';
// issue 6 (loki)
import { LokiSink } from '../../sinks/loki.js';
import type { Sink } from '../../sinks/types.js';
import type { CommandIO } from '../command.js';

export function buildSinks(config: Config, io: Pick<CommandIO, 'stdout' | 'env' | 'now'>): Sink[] {
  const s = config.sinks;
  const sinks: Sink[] = [];
  if (s?.stdout) sinks.push(new StdoutSink(io.stdout));
  if (s?.file) sinks.push(new FileSink(s.file.path));
  if (s?.slack) sinks.push(buildSlack(config, io));
  if (s?.alertmanager) {
    const am = s.alertmanager;
    sinks.push(new AlertmanagerSink({ url: am.url, resolveTimeoutMs: am.resolveTimeout, timeoutMs: am.timeout, now: io.now }));
  }
  if (s?.loki) sinks.push(new LokiSink(s.loki)); // issue 6 (loki)
  if (sinks.length === 0) sinks.push(new StdoutSink(io.stdout));
  return sinks;
}

/** The Slack sink, or a ConfigError (exit 2) when no webhook URL is configured. */
export function buildSlack(config: Config, io: Pick<CommandIO, 'env' | 'now'>): SlackSink {
  const slack = config.sinks?.slack;
  const url = slack?.webhookUrl ?? io.env['SLACK_WEBHOOK_URL'];
  if (!slack || !url) {
    throw new ConfigError('config', [
      { path: 'sinks.slack.webhookUrl', message: 'no Slack webhook URL: set sinks.slack.webhookUrl (e.g. "${SLACK_WEBHOOK_URL}") or the SLACK_WEBHOOK_URL environment variable' },
    ]);
  }
  if (!/^https?:\/\/[^\s]+$/.test(url)) {
    throw new ConfigError('config', [{ path: 'sinks.slack.webhookUrl', message: 'SLACK_WEBHOOK_URL is not an http(s) URL (the value is not shown: it is a secret)' }]);
  }
  return new SlackSink({
    url,
    timeoutMs: slack.timeout,
    now: io.now,
    format: {
      timezone: config.route.timezone,
      grafana: config.grafana,
      runbookBaseUrl: config.route.runbookBaseUrl,
      groupWaitMs: config.route.groupWait,
    },
  });
}
