import { describe, expect, it } from 'vitest';
import { H1 } from '../../rules/health/h1-source-silent.js';
import { Config } from '../../schemas/config.js';
import type { InputKind, SecurityEvent } from '../../schemas/event.js';
import { at, makeEvent } from '../helpers/events.js';
import { run } from '../helpers/engine.js';

const ev = (name: string, kind: InputKind, min: number): SecurityEvent => makeEvent({ tsMs: at(min * 60), source: { name, kind } });

describe('H1 source silent', () => {
  it('fires for a gap in one source while the others continue, once per gap', () => {
    const events: SecurityEvent[] = [];
    for (let m = 0; m <= 180; m++) {
      events.push(ev('auth', 'syslog', m)); // steady
      if (m < 20 || (m >= 100 && m < 110)) events.push(ev('audit', 'k8s-audit', m)); // two gaps
      if (m % 60 === 0) events.push(ev('vault', 'vault-audit', m)); // quiet but within 6 h
    }
    const sources = [
      { name: 'auth', kind: 'syslog' as const },
      { name: 'audit', kind: 'k8s-audit' as const },
      { name: 'vault', kind: 'vault-audit' as const },
    ];
    const alerts = run([H1], events, { sources });
    expect(alerts.map((a) => [a.key, a.ts, a.firstSeen])).toEqual([
      ['audit', '2026-06-10T00:49:00Z', '2026-06-10T00:19:00Z'],
      ['audit', '2026-06-10T02:19:00Z', '2026-06-10T01:49:00Z'],
    ]);
    expect(alerts[0]).toMatchObject({ rule: 'H1', severity: 'critical', count: 1, runbook: 'docs/runbooks.md#h1', tags: ['T1562.006'] });
    expect(alerts[0]!.summary).toBe(
      'No events from audit (k8s-audit) for more than 30 min since 2026-06-10T00:19:00.000Z: tripline is blind there',
    );
    expect(alerts[0]!.fields).toMatchObject({ source: 'audit', details: { kind: 'k8s-audit', maxSilenceMs: 1_800_000 } });
    expect(alerts[0]!.evidence.map((e) => [e.source, e.ts])).toEqual([['audit', '2026-06-10T00:19:00Z']]);
  });

  it('defaults: k8s-audit 30 min, vault-audit 6 h, others 24 h; config by name beats kind', () => {
    const config = Config.parse({});
    const limit = (name: string, kind: InputKind, c = config) => H1.maxSilence(c, { name, kind });
    expect(limit('a', 'k8s-audit')).toBe(30 * 60_000);
    expect(limit('v', 'vault-audit')).toBe(6 * 3_600_000);
    for (const kind of ['syslog', 'journal', 'snort', 'swarm'] as const) expect(limit('x', kind)).toBe(24 * 3_600_000);
    const custom = Config.parse({ health: { maxSilence: { 'k8s-audit': '2h', 'audit-prod': '5m' } } });
    expect(limit('audit-prod', 'k8s-audit', custom)).toBe(5 * 60_000);
    expect(limit('audit-dev', 'k8s-audit', custom)).toBe(2 * 3_600_000);
  });

  it('does not fire while every source speaks within its limit', () => {
    const events = Array.from({ length: 120 }, (_, m) => [ev('auth', 'syslog', m), ev('audit', 'k8s-audit', m + 0.5)]).flat();
    expect(run([H1], events)).toEqual([]);
  });
});

describe('H1 on the wall clock (live mode, Engine.tick)', () => {
  it('fires when every source went quiet, judged against wall time, once', async () => {
    const { Engine } = await import('../../services/engine/engine.js');
    const sources = [{ name: 'audit', kind: 'k8s-audit' as const }];
    const engine = new Engine({ rules: [H1], config: Config.parse({}), sources });
    expect(engine.push({ event: ev('audit', 'k8s-audit', 0), line: 'x' })).toEqual([]);
    // 20 min of wall time later: still within the 30 min limit.
    expect(engine.tick(at(20 * 60), at(0))).toEqual([]);
    const fired = engine.tick(at(40 * 60), at(0));
    expect(fired.map((a) => [a.rule, a.key, a.ts])).toEqual([['H1', 'audit', '2026-06-10T00:30:00Z']]);
    expect(engine.tick(at(50 * 60), at(0))).toEqual([]);
  });

  it('never moves event time: a tick behind the event watermark does nothing', async () => {
    const { Engine } = await import('../../services/engine/engine.js');
    const engine = new Engine({ rules: [H1], config: Config.parse({}), sources: [{ name: 'a', kind: 'syslog' }] });
    engine.push({ event: ev('a', 'syslog', 60), line: 'x' });
    expect(engine.tick(at(0), at(0))).toEqual([]);
    expect(engine.stats().watermarkMs).toBe(at(60 * 60) - 30_000);
  });
});
