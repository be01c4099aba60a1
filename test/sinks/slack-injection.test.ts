// Attacker-controlled text in Slack messages (issue 5; architecture convention 9). An sshd
// username and a Kubernetes user agent carrying <!channel>, <!here>, <@U123> and a
// disguised link go through the REAL parsers, rules and formatter: the message shows them
// as text, and no mention or link in it comes from them. Plus the Block Kit limits under
// oversized input: truncated with a marker, never rejected.
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../schemas/alert.js';
import { Config } from '../../schemas/config.js';
import { rules } from '../../rules/index.js';
import { Engine } from '../../services/engine/engine.js';
import { parsers } from '../../services/parsers/index.js';
import { formatSlack } from '../../services/sinks/slack-format.js';
import { TRUNCATED, code, escapeMrkdwn, fitEscaped, link } from '../../services/sinks/mrkdwn.js';
import { makeAlert } from '../helpers/alerts.js';
import { GOLDEN_OPTIONS, controlSequences, expectWithinLimits, texts } from './slack-check.js';

const LINKS = ['https://github.com/example/tripline/', 'https://grafana.example.org/explore?'];
const EVIL_USER = '<!channel><http://evil.example/x|bank.example>';
const EVIL_UA = '<!channel> kubectl <http://evil.example/login|Open the runbook> <@U123> <!here> <!subteam^S1>';

function alertsFrom(kind: 'syslog' | 'k8s-audit', line: string): Alert[] {
  const engine = new Engine({ rules, config: Config.parse({}), sources: [{ name: kind, kind }] });
  const r = parsers[kind](line, { kind, sourceName: kind, position: 'line 1', year: 2026, carry: {} });
  expect(r.ok, `parsed: ${JSON.stringify(r)}`).toBe(true);
  if (!r.ok) return [];
  return [...engine.push({ event: r.event, line }), ...engine.flush()];
}

function expectInert(alerts: Alert[], evil: string[]): void {
  expect(alerts.length).toBeGreaterThan(0);
  for (const a of alerts) {
    const p = formatSlack(a, GOLDEN_OPTIONS);
    expectWithinLimits(p, LINKS);
    const all = texts(p).join('\n');
    // Nothing attacker-written survives as a control sequence...
    for (const seq of controlSequences(p)) expect(seq.startsWith('<https://github.com/example/') || seq.startsWith('<https://grafana.example.org/')).toBe(true);
    expect(all).not.toMatch(/<[!@#]/);
    expect(all).not.toContain('<http://evil');
    // ...and the text is still there for a person to read, escaped.
    for (const e of evil) expect(all).toContain(escapeMrkdwn(e).slice(0, 20));
  }
}

describe('injection through real log lines', () => {
  it('an sshd username carrying <!channel> and a disguised link (S1) is plain text', () => {
    const line = `Jun 10 09:15:02 pve sshd[4242]: Accepted password for ${EVIL_USER} from 203.0.113.9 port 52144 ssh2`;
    const alerts = alertsFrom('syslog', line);
    expect(alerts.map((a) => a.rule)).toEqual(['S1']);
    expect(alerts[0]!.fields.actor).toBe(EVIL_USER);
    expectInert(alerts, [EVIL_USER]);
    const p = formatSlack(alerts[0]!, GOLDEN_OPTIONS);
    expect(JSON.stringify(p.blocks[2])).toContain('`&lt;!channel&gt;&lt;http://evil.example/x|bank.example&gt;`');
  });

  it('a Kubernetes user agent carrying <!channel>, <!here>, <@U123> and a link (K9 evidence) is plain text', () => {
    const event = {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'Metadata',
      auditID: '5f1d1e6c-0000-4000-8000-000000000001',
      stage: 'ResponseComplete',
      requestURI: '/api/v1/namespaces/vault/secrets',
      verb: 'list',
      user: { username: 'me@viktorbarzin.me', groups: ['system:authenticated'] },
      sourceIPs: ['203.0.113.66'],
      userAgent: EVIL_UA,
      objectRef: { resource: 'secrets', namespace: 'vault', apiVersion: 'v1' },
      responseStatus: { metadata: {}, code: 200 },
      requestReceivedTimestamp: '2026-06-10T09:20:00.000000Z',
      stageTimestamp: '2026-06-10T09:20:00.001000Z',
    };
    const alerts = alertsFrom('k8s-audit', JSON.stringify(event));
    expect(alerts.map((a) => a.rule).sort()).toContain('K9');
    expect(JSON.stringify(alerts)).toContain(EVIL_UA.replace(/"/g, '\\"'));
    expectInert(alerts, [EVIL_UA]);
    const k9 = formatSlack(alerts.find((a) => a.rule === 'K9')!, GOLDEN_OPTIONS);
    expect(JSON.stringify(k9)).toContain('&lt;!channel&gt; kubectl &lt;http://evil.example/login|Open the runbook&gt; &lt;@U123&gt; &lt;!here&gt;');
  });

  it('every field at once, in a single and a grouped message, and in the fallback text', () => {
    const a = makeAlert({ ts: '2026-06-10T09:00:00Z', key: EVIL_USER, actor: EVIL_USER, addresses: ['<!here>', '203.0.113.9'] });
    a.summary = `${EVIL_UA} did something`;
    a.fields.target = '<https://evil.example|https://grafana.example.org>';
    a.fields.host = '`code`<!channel>\n*bold*';
    a.evidence = [{ source: '<!channel>', kind: 'syslog', position: 'line 1', ts: a.ts, line: '```<!channel>``` <@U1>', truncated: false }];
    const b = makeAlert({ ts: '2026-06-10T09:00:01Z', key: 'x', n: 1 });
    for (const p of [formatSlack(a, GOLDEN_OPTIONS), formatSlack([a, b], GOLDEN_OPTIONS)]) {
      expectWithinLimits(p, LINKS);
      expect(texts(p).join('\n')).not.toMatch(/<[!@#]|<https:\/\/evil/);
      expect(p.text).toContain('&lt;!channel&gt;');
    }
    // A backtick cannot close the code span early.
    expect(code('`<!channel>`')).toBe('`ˋ&lt;!channel&gt;ˋ`');
  });
});

describe('limits: truncate with a marker, never reject', () => {
  it('a 20,000-character user agent and 500 addresses still fit', () => {
    const a = makeAlert({ ts: '2026-06-10T09:00:00Z', addresses: Array.from({ length: 500 }, (_, i) => `10.1.${i >> 8}.${i & 255}`) });
    a.summary = `<&>`.repeat(7000);
    a.fields.actor = 'A'.repeat(20_000);
    a.title = 'T'.repeat(400);
    a.evidence = [{ source: 's', kind: 'syslog', position: 'line 1', ts: a.ts, line: 'x'.repeat(4096), truncated: true }];
    const p = formatSlack(a, GOLDEN_OPTIONS);
    expectWithinLimits(p, LINKS);
    const summary = p.blocks[1]!;
    expect(summary.type === 'section' && summary.text!.text.endsWith(TRUNCATED)).toBe(true);
    expect(summary.type === 'section' && summary.text!.text.length).toBeLessThanOrEqual(3000);
    expect(JSON.stringify(p)).toContain('+494 more');
    const header = p.blocks[0]!;
    expect(header.type === 'header' && header.text.text.length).toBe(150);
  });

  it('a group larger than 50 blocks keeps the first entries, says how many were left out, keeps links and ids footer', () => {
    const alerts = Array.from({ length: 80 }, (_, i) => makeAlert({ ts: '2026-06-10T09:00:00Z', key: `k${i}`, n: i }));
    const p = formatSlack(alerts, GOLDEN_OPTIONS);
    expectWithinLimits(p, LINKS);
    expect(p.blocks.length).toBe(50);
    expect(JSON.stringify(p.blocks[47])).toContain('more block(s) left out');
    expect(p.blocks[48]!.type).toBe('context');
  });

  it('escaping never cuts an entity in half, and the cut text is still escaped', () => {
    const out = fitEscaped('&&&&&&&&&&', 30);
    expect(out.length).toBeLessThanOrEqual(30);
    expect(out.endsWith(TRUNCATED)).toBe(true);
    expect(out.replace(TRUNCATED, '')).toMatch(/^(&amp;)+$/);
    expect(link('https://grafana.example.org/x?a=1&b=2|<x>', 'a|b <c>')).toBe('<https://grafana.example.org/x?a=1&amp;b=2%7C%3Cx%3E|a/b &lt;c&gt;>');
    expect(link('javascript:alert(1)', 'x')).toBe('x');
  });
});
