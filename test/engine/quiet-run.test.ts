// issue 8: Engine.pushQuietRun takes a run of prefiltered lines of one source in one step
// per span when that is exactly pushQuiet() of each line. Seeded runs that cross every
// reason to go line by line (a silence falling due inside a run, an error-rate window
// judged or crossed, a late line, time going back, waiting errors, a brand-new source,
// the periodic sweep) must give the same alerts, in the same order, and the same state.
import { describe, expect, it, vi } from 'vitest';
import { Config } from '../../schemas/config.js';
import type { Alert } from '../../schemas/alert.js';
import { mulberry32 } from '../../bench/gen.js';
import { Engine } from '../../services/engine/engine.js';
import { quietLineOf, type QuietLine, type QuietRun } from '../../services/engine/quiet-line.js';
import { rules } from '../../rules/index.js';

const config = Config.parse({
  engine: { allowedLateness: '5s' },
  health: { maxSilence: { 'k8s-audit': '2m', syslog: '3m' }, parseErrors: { window: '1m', minLines: 10, ratio: 0.1 } },
});
const SOURCES = [
  { name: 'k', kind: 'k8s-audit' as const },
  { name: 'a', kind: 'syslog' as const },
];
const kindOf = (s: string) => SOURCES.find((x) => x.name === s)?.kind ?? 'k8s-audit';

type Op = { type: 'run'; source: string; times: number[] } | { type: 'errors'; source: string; count: number };

function ops(seed: number): Op[] {
  const r = mulberry32(seed);
  let t = Date.UTC(2026, 5, 10);
  const out: Op[] = [];
  for (let i = 0; i < 300; i++) {
    const x = r();
    if (x < 0.75) {
      const times: number[] = [];
      const n = 1 + Math.floor(r() * (r() < 0.3 ? 3000 : 40));
      for (let k = 0; k < n; k++) {
        const y = r();
        if (y < 0.0002) t += 150_000 + Math.floor(r() * 150_000); // a silence
        else if (y < 0.002) t -= Math.floor(r() * 10_000); // back in time: late or not
        else if (y > 0.1) t += Math.floor(r() * 60);
        times.push(t);
      }
      // Mostly the audit log; sometimes the other source (a new one the first time: t clocks it from here).
      out.push({ type: 'run', source: r() < 0.85 ? 'k' : r() < 0.5 ? 'a' : 'unlisted', times });
    } else {
      out.push({ type: 'errors', source: r() < 0.7 ? 'k' : 'a', count: 1 + Math.floor(r() * 30) });
    }
  }
  return out;
}

const lineAt = (ms: number, k: number): QuietLine => quietLineOf({ ms, subNs: k % 7, iso: new Date(ms).toISOString() }, `line ${k}`, `text of ${k} at ${ms}`);

const runOf = (times: number[]): QuietRun => ({
  length: times.length,
  ms: (k) => times[k]!,
  subNs: (k) => k % 7,
  line: (k) => lineAt(times[k]!, k),
});

describe('Engine.pushQuietRun', () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`is pushQuiet() line by line: same alerts, same order, same state (seed ${seed})`, () => {
      const oneByOne = new Engine({ rules, config, sources: SOURCES });
      const byRun = new Engine({ rules, config, sources: SOURCES });
      const spans = vi.spyOn(byRun as unknown as { quietSpan: (...a: unknown[]) => boolean }, 'quietSpan');
      const alertsA: Alert[] = [];
      const alertsB: Alert[] = [];
      for (const op of ops(seed)) {
        if (op.type === 'errors') {
          for (let k = 0; k < op.count; k++) {
            const err = { sourceName: op.source, kind: kindOf(op.source), code: 'JSON' };
            alertsA.push(...oneByOne.pushError(err));
            alertsB.push(...byRun.pushError(err));
          }
          continue;
        }
        op.times.forEach((ms, k) => alertsA.push(...oneByOne.pushQuiet(op.source, kindOf(op.source), lineAt(ms, k))));
        alertsB.push(...byRun.pushQuietRun(op.source, kindOf(op.source), runOf(op.times)));
        expect(alertsB.length).toBe(alertsA.length);
      }
      alertsA.push(...oneByOne.flush());
      alertsB.push(...byRun.flush());
      expect(JSON.stringify(alertsB)).toBe(JSON.stringify(alertsA));
      expect(byRun.snapshot()).toEqual(oneByOne.snapshot());
      // Not vacuous: H1 and H2 fired, and spans were taken whole as well as refused.
      const rulesFired = new Set(alertsA.map((a) => a.rule));
      expect(rulesFired.has('H1')).toBe(true);
      expect(rulesFired.has('H2')).toBe(true);
      const taken = spans.mock.results.filter((x) => x.value === true).length;
      expect(taken).toBeGreaterThan(50);
      expect(spans.mock.results.length - taken).toBeGreaterThan(10);
    });
  }
});
