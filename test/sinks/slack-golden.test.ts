// Golden Block Kit (issue 5): the Slack message of one real alert of every rule (from the
// scenario's expected alerts), a grouped message and the daily digest must equal the
// checked-in JSON under test/fixtures/slack/. Regenerate after an intended change with
//   UPDATE_GOLDEN=1 npx vitest run test/sinks/slack-golden.test.ts
// and review the diff like code.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Config } from '../../schemas/config.js';
import { rules } from '../../rules/index.js';
import { formatSlack } from '../../services/sinks/slack-format.js';
import { formatSlackDigest } from '../../services/sinks/slack-digest.js';
import { composeDigest } from '../../services/router/digest/compose.js';
import { formatDigestText } from '../../services/router/digest/text.js';
import { routeNew } from '../../services/router/route-new.js';
import { policyFor } from '../../services/router/policies.js';
import { addSilence, loadSilences } from '../../services/router/silence-file.js';
import { StateStore } from '../../services/state/store.js';
import { REPO_ROOT, onePerRule, scenarioAlerts } from '../helpers/alerts.js';
import { GOLDEN_OPTIONS, expectWithinLimits } from './slack-check.js';

const DIR = join(REPO_ROOT, 'test/fixtures/slack');
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';

const LINKS = ['https://github.com/example/tripline/', 'https://grafana.example.org/explore?'];

function golden(name: string, value: unknown): void {
  const path = join(DIR, name);
  const text = typeof value === 'string' ? value : `${JSON.stringify(value, null, 2)}\n`;
  if (UPDATE || !existsSync(path)) {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
  }
  expect(text).toBe(readFileSync(path, 'utf8'));
}

describe('Slack golden messages', () => {
  it('one alert of every rule in the catalogue', () => {
    const byRule = onePerRule();
    expect([...byRule.keys()].sort()).toEqual(rules.map((r) => r.id).sort());
    for (const [rule, alert] of byRule) {
      const p = formatSlack(alert, GOLDEN_OPTIONS);
      expectWithinLimits(p, LINKS);
      golden(`alerts/${rule}.json`, p);
      // Values a person needs are there: rule id and severity marker in the header, the id in the context.
      const header = p.blocks[0]!;
      expect(header.type === 'header' && header.text.text.includes(` ${rule} · `)).toBe(true);
      expect(JSON.stringify(p)).toContain(`Alert \`${alert.id}\``);
    }
  });

  it('spot checks of the rendered values (K9: outside-trusted note, time in Europe/Sofia, Grafana LogQL)', () => {
    const k9 = onePerRule().get('K9')!;
    const p = formatSlack(k9, GOLDEN_OPTIONS);
    const json = JSON.stringify(p);
    expect(p.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: ':red_circle: CRITICAL K9 · Human Kubernetes credentials used outside trusted networks', emoji: true } });
    expect(json).toContain('`203.0.113.50` :warning: _outside trusted_');
    // 2026-06-10T00:47:xxZ is 03:47 in Sofia (EEST, UTC+3)
    expect(json).toMatch(/\*Event time\*\\n2026-06-10 03:\d\d:\d\d GMT\+3/);
    const grafana = /<(https:\/\/grafana\.example\.org\/explore\?[^|]+)\|Evidence in Grafana Explore>/.exec(json)![1]!.replace(/&amp;/g, '&');
    const panes = JSON.parse(new URL(grafana).searchParams.get('panes')!) as { tl: { queries: Array<{ expr: string }>; range: { from: string; to: string } } };
    expect(panes.tl.queries[0]!.expr).toBe('{job="kubernetes-audit"} |= "203.0.113.50"');
    const evidenceMs = Date.parse(k9.evidence[0]!.ts);
    expect([Number(panes.tl.range.from), Number(panes.tl.range.to)]).toEqual([evidenceMs - 60_000, evidenceMs + 60_001]);
  });

  it('a grouped message: the three G1 alerts of the scenario', () => {
    const g1 = scenarioAlerts().filter((a) => a.rule === 'G1');
    expect(g1.length).toBe(3);
    const p = formatSlack(g1, GOLDEN_OPTIONS);
    expectWithinLimits(p, LINKS);
    golden('group-G1.json', p);
    expect(p.blocks.length).toBe(2 + 3 + 2);
    for (const a of g1) expect(JSON.stringify(p)).toContain(`Alert \`${a.id}\``);
  });

  describe('the daily digest over the scenario state', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tripline-digest-golden-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('Block Kit and text', () => {
      const config = Config.parse({ route: { digest: { at: '09:00', timezone: 'Europe/Sofia' } } });
      const created = Date.parse('2026-06-10T00:00:00Z');
      addSilence(dir, { rule: 'K4', matchers: [{ field: 'actor', value: 'kubernetes-admin' }], durationMs: 7 * 86_400_000, reason: 'cluster upgrade', createdBy: 'ops' }, created, 's-00c0ffee');
      const store = new StateStore({ stateDir: dir, now: () => Date.parse('2026-06-10T03:00:00Z') });
      store.open();
      try {
        store.commit({ positions: {}, alerts: scenarioAlerts() });
        routeNew({ store, sink: 'slack', policy: policyFor('slack', config), silences: loadSilences(dir), now: Date.parse('2026-06-10T03:00:00Z') });
        store.health.record([
          { source: 'k8s-audit', kind: 'k8s-audit', bucketMs: Date.parse('2026-06-10T01:00:00Z'), events: 1520, parseErrors: 0, lastEventMs: Date.parse('2026-06-10T01:29:58Z') },
          { source: 'snort-fast', kind: 'snort', bucketMs: Date.parse('2026-06-10T01:00:00Z'), events: 640, parseErrors: 12, lastEventMs: Date.parse('2026-06-10T01:59:41Z') },
          { source: 'vault-audit', kind: 'vault-audit', bucketMs: Date.parse('2026-06-09T20:00:00Z'), events: 88, parseErrors: 1, lastEventMs: Date.parse('2026-06-09T20:15:00Z') },
        ]);
        const slot = Date.parse('2026-06-10T06:00:00Z'); // 09:00 in Sofia
        const { digest, layout } = store.read((db) =>
          composeDigest(db, { fromMs: slot - 86_400_000, toMs: slot, config, silences: loadSilences(dir), configuredSources: [{ name: 'journal', kind: 'journal' }] }),
        );
        const p = formatSlackDigest(layout);
        expectWithinLimits(p);
        golden('digest.json', p);
        golden('digest.txt', formatDigestText(layout));
        // The values behind it.
        expect(digest.totals).toEqual({ alerts: 647, critical: 29, warning: 16, info: 602 });
        expect(digest.silenced).toEqual([{ silenceId: 's-00c0ffee', description: 'K4 actor=kubernetes-admin', reason: 'cluster upgrade', count: 1, rules: ['K4'] }]);
        expect(digest.byRule.find((r) => r.rule === 'K4')).toMatchObject({ count: 2, posted: 1, silenced: 1 });
        expect(digest.byRule.find((r) => r.rule === 'I2')).toMatchObject({ count: 602, posted: 0, below: 602 });
        expect(digest.byRule.find((r) => r.rule === 'K2')).toMatchObject({ count: 2, posted: 1, repeats: 1 });
        expect(digest.repeats.find((r) => r.rule === 'K2')).toMatchObject({ key: 'system:serviceaccount:ci:deployer 198.51.100.23', count: 1, sinceMs: Date.parse('2026-06-10T00:12:30.136Z') });
        expect(digest.snort.byPriority).toEqual([
          { priority: '1', count: 3 },
          { priority: '2', count: 392 },
          { priority: '3', count: 210 },
        ]);
        expect(digest.snort.topSignatures[0]).toEqual({ signature: '1:2009582:3', message: 'ET SCAN NMAP -sS window 1024', priority: '2', count: 189 });
        expect(digest.newDrones.map((d) => [d.drone, d.address, d.cores])).toEqual([
          ['drone-io', '10.42.0.32', '16'],
          ['drone-lxc', '10.42.0.184', '4'],
          ['drone-tarn', '10.42.0.31', '32'],
          ['drone-ghost', '10.42.0.250', '64'],
        ]);
        expect(digest.reboots.map((r) => [r.host, r.count, r.rules])).toEqual([
          ['swarm-gw', 3, ['R1', 'R2']],
          ['worker-2', 1, ['R1']],
        ]);
        expect(digest.topActors[0]).toEqual({ value: 'kubernetes-admin', count: 5 });
        expect(digest.topAddresses.find((a) => a.value === '203.0.113.50')).toEqual({ value: '203.0.113.50', count: 5, outsideTrusted: true });
        // Silent: no event within maxSilence before 09:00 Sofia (k8s-audit 30 min, vault-audit 6 h, others 24 h), or never.
        const silent = Object.fromEntries(digest.sources.map((s) => [s.name, s.silent]));
        expect(silent).toEqual({ journal: true, 'k8s-audit': true, 'snort-fast': false, 'vault-audit': true });
        expect(digest.sources.find((s) => s.name === 'snort-fast')).toMatchObject({ events: 640, parseErrors: 12 });
      } finally {
        store.close();
      }
    });
  });
});
