// Routing config (issue 5): defaults, and bad values reported with their path, every
// problem at once, never echoing a webhook URL.
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../services/config/load.js';
import { Config } from '../../schemas/config.js';
import { buildSinks } from '../../services/cli/run/build-sinks.js';
import { SlackSink } from '../../services/sinks/slack.js';
import { AlertmanagerSink } from '../../services/sinks/alertmanager.js';
import { makeIO } from '../helpers/io.js';

describe('route, grafana and sink config', () => {
  it('defaults: 4 h repeat, 30 s group wait, UTC, digest at 09:00 UTC', () => {
    const c = Config.parse({});
    expect(c.route).toEqual({ repeatInterval: 14_400_000, groupWait: 30_000, maxGroupSize: 10, timezone: 'UTC', digest: { at: '09:00', timezone: 'UTC', topN: 5 } });
    expect(c.grafana).toBeUndefined();
    expect(Config.parse({ sinks: { slack: {} } }).sinks!.slack).toEqual({ minSeverity: 'warning', timeout: 10_000, digest: true });
  });

  it('every bad value is reported with its path; the webhook URL is never printed', () => {
    const text = [
      'route:',
      '  repeatInterval: often',
      '  timezone: Mars/Olympus',
      '  digest: { at: "9am" }',
      '  groupwait: 10s',
      'grafana: { url: "not a url" }',
      'sinks:',
      '  slack: { webhookUrl: "webhook.example.invalid/services/TSECRET/BSECRET/XSECRET", minSeverity: loud }',
      '  alertmanager: {}',
    ].join('\n');
    const r = parseConfigText(text, 'c.yaml', {});
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const byPath = Object.fromEntries(r.problems.map((p) => [p.path, p.message]));
    expect(Object.keys(byPath).sort()).toEqual(
      ['grafana.url', 'route.digest.at', 'route.groupwait', 'route.repeatInterval', 'route.timezone', 'sinks.alertmanager.url', 'sinks.slack.minSeverity', 'sinks.slack.webhookUrl'].sort(),
    );
    expect(byPath['route.groupwait']).toContain('did you mean "groupWait"');
    expect(byPath['route.timezone']).toContain('IANA time zone');
    expect(byPath['route.digest.at']).toContain('HH:MM');
    expect(JSON.stringify(r.problems)).not.toContain('SECRET');
  });

  it('${SLACK_WEBHOOK_URL} interpolates; buildSinks builds Slack and Alertmanager; no URL anywhere is a config error naming the key', () => {
    const url = 'http://127.0.0.1:9/services/T000/B000/XXX';
    const r = parseConfigText('sinks:\n  slack: { webhookUrl: "${SLACK_WEBHOOK_URL}" }\n  alertmanager: { url: "http://127.0.0.1:9093" }\n', 'c.yaml', { SLACK_WEBHOOK_URL: url });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const { io } = makeIO();
    const sinks = buildSinks(r.config, io);
    expect(sinks.map((s) => s.constructor)).toEqual([SlackSink, AlertmanagerSink]);
    // From the environment when the key is absent.
    expect(buildSinks(Config.parse({ sinks: { slack: {} } }), makeIO({ SLACK_WEBHOOK_URL: url }).io)[0]).toBeInstanceOf(SlackSink);
    expect(() => buildSinks(Config.parse({ sinks: { slack: {} } }), io)).toThrow(/sinks\.slack\.webhookUrl: no Slack webhook URL/);
    expect(() => buildSinks(Config.parse({ sinks: { slack: {} } }), makeIO({ SLACK_WEBHOOK_URL: 'hooks/secret' }).io)).toThrow(/not an http\(s\) URL \(the value is not shown/);
  });
});
