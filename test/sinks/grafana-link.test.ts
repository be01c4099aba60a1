// Grafana Explore links for evidence (issue 5; reused by the Loki work): LogQL with the
// evidence's stream selector and a line filter common to every evidence line, the time
// range around the evidence, and values quoted as LogQL strings.
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../schemas/alert.js';
import { evidenceLink, evidenceQuery, exploreUrl, logqlString, selectorFor } from '../../services/sinks/grafana-link.js';
import { makeAlert, onePerRule } from '../helpers/alerts.js';

const CFG = { url: 'https://grafana.example.org/', datasource: 'P8E80F9AEF21F6940', orgId: 2, selectors: { sshd: '{unit="ssh.service"}' }, padding: 60_000 };

function withEvidence(a: Alert, lines: Array<[string, string]>, kind: Alert['evidence'][number]['kind'] = 'syslog', source = 'auth'): Alert {
  return { ...a, evidence: lines.map(([ts, line], i) => ({ source, kind, position: `line ${i + 1}`, ts, line, truncated: false })) };
}

describe('grafana-link', () => {
  it('quotes values as LogQL strings and picks selectors by source, then kind, else {job="<kind>"}', () => {
    expect(logqlString('a"b\\c\nd')).toBe('"a\\"b\\\\c\\nd"');
    expect(selectorFor(CFG, 'sshd', 'syslog')).toBe('{unit="ssh.service"}');
    expect(selectorFor({ selectors: { syslog: '{job="syslog"}' } }, 'auth', 'syslog')).toBe('{job="syslog"}');
    expect(selectorFor({ selectors: {} }, 'auth', 'vault-audit')).toBe('{job="vault-audit"}');
  });

  it('filters on a value present in every evidence line (the outside address first) and spans the evidence ± padding', () => {
    const a = withEvidence(makeAlert({ ts: '2026-06-10T09:00:00Z' }), [
      ['2026-06-10T08:59:00Z', 'Failed password for me@example.org from 203.0.113.50 port 1 ssh2'],
      ['2026-06-10T09:00:00.5Z', 'Accepted password for me@example.org from 203.0.113.50 port 2 ssh2'],
    ]);
    expect(evidenceQuery(CFG, [a])).toEqual({
      expr: '{job="syslog"} |= "203.0.113.50"',
      fromMs: Date.parse('2026-06-10T08:58:00Z'),
      toMs: Date.parse('2026-06-10T09:01:00.5Z') + 1,
    });
  });

  it('no common value: the selector alone; no evidence: no link', () => {
    const a = withEvidence(makeAlert({ ts: '2026-06-10T09:00:00Z', actor: 'x', addresses: ['10.0.0.1'] }), [
      ['2026-06-10T09:00:00Z', 'line one'],
      ['2026-06-10T09:00:01Z', 'line two'],
    ]);
    expect(evidenceQuery(CFG, [a])!.expr).toBe('{job="syslog"}');
    expect(evidenceLink(CFG, [makeAlert({ ts: '2026-06-10T09:00:00Z' })])).toBeUndefined();
  });

  it('builds a Grafana 10+ Explore URL whose panes decode to the query and range', () => {
    const url = exploreUrl(CFG, { expr: '{job="sshd"} |= "a&b"', fromMs: 1000, toMs: 2000 });
    expect(url.startsWith('https://grafana.example.org/explore?schemaVersion=1&orgId=2&panes=')).toBe(true);
    const panes = JSON.parse(new URL(url).searchParams.get('panes')!);
    expect(panes).toEqual({
      tl: {
        datasource: 'P8E80F9AEF21F6940',
        queries: [{ refId: 'A', expr: '{job="sshd"} |= "a&b"', queryType: 'range', datasource: { type: 'loki', uid: 'P8E80F9AEF21F6940' } }],
        range: { from: '1000', to: '2000' },
      },
    });
  });

  it('a real K5 alert (six evidence lines) gets a link covering all six', () => {
    const k5 = onePerRule().get('K5')!;
    const q = evidenceQuery({ selectors: {}, padding: 0 }, [k5])!;
    const times = k5.evidence.map((e) => Date.parse(e.ts));
    expect(q).toEqual({ expr: '{job="k8s-audit"} |= "kubernetes-admin"', fromMs: Math.min(...times), toMs: Math.max(...times) + 1 });
  });
});
