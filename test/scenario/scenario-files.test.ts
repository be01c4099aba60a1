// The golden scenario's files are generated (test/fixtures/scenario/generate.ts) and
// committed. This test keeps them honest:
// - the committed files equal the generator's output byte for byte (no drift);
// - every line parses with its input kind through the real reader, except exactly the
//   lines the generator meant as garbage, and each file is in event-time order;
// - the story's load-bearing facts hold (the k8s-audit silence, the Snort error burst,
//   the sealed stretch), every rule of docs/rules.md is expected to fire, and README.md
//   cites every evidence and near-miss line by its current file:line.
//
// Regenerate after changing the generator:
//   UPDATE_SCENARIO=1 npx vitest run test/scenario/scenario-files.test.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { SecurityEvent } from '../../schemas/event.js';
import { openInput, readInput } from '../../services/collectors/file-input.js';
import type { ParseResult } from '../../services/parsers/types.js';
import {
  EXPECTED_FILE,
  REPLAY_DATE,
  REPLAY_YEAR,
  RULE_ORDER,
  SCENARIO_INPUTS,
  type ScenarioInput,
  buildScenario,
} from '../fixtures/scenario/generate.js';

const DIR = fileURLToPath(new URL('../fixtures/scenario/', import.meta.url));
const START = Date.UTC(2026, 5, 10, 0, 0, 0);
const MIN = 60_000;
const scenario = buildScenario();
const names = Object.keys(scenario.files);
const inputs = Object.keys(SCENARIO_INPUTS) as ScenarioInput[];

const read = (name: string) => readFileSync(`${DIR}${name}`, 'utf8');

/** Every record of an input file, parsed through the same reader `tripline replay` uses. */
async function parseFile(name: ScenarioInput): Promise<Array<{ line: number; result: ParseResult }>> {
  const spec = { kind: SCENARIO_INPUTS[name], path: `${DIR}${name}`, name };
  const out: Array<{ line: number; result: ParseResult }> = [];
  for await (const batch of readInput(spec, await openInput(spec), { year: REPLAY_YEAR, date: REPLAY_DATE })) {
    for (const r of batch) out.push({ line: r.record.lineNo, result: r.result });
  }
  return out;
}

const parsed = new Map<ScenarioInput, Array<{ line: number; result: ParseResult }>>();
const events = (name: ScenarioInput) => (parsed.get(name) ?? []).flatMap((r) => (r.result.ok ? [r.result.event] : []));

beforeAll(async () => {
  if (process.env.UPDATE_SCENARIO) for (const name of names) writeFileSync(`${DIR}${name}`, scenario.files[name]!);
  for (const name of inputs) parsed.set(name, await parseFile(name));
});

describe('scenario files', () => {
  it('the generator is deterministic', () => {
    expect(buildScenario().files).toEqual(scenario.files);
  });

  it.each(names)('%s equals the generator output byte for byte', (name) => {
    const want = scenario.files[name]!;
    const got = read(name);
    if (got !== want) {
      const a = got.split('\n');
      const b = want.split('\n');
      const i = a.findIndex((l, k) => l !== b[k]);
      expect.fail(`${name} differs from the generator at line ${i + 1} (run UPDATE_SCENARIO=1 to regenerate):\n  file: ${a[i]?.slice(0, 200)}\n  gen:  ${b[i]?.slice(0, 200)}`);
    }
  });

  it('stays under 2 MB in total and ASCII only', () => {
    const total = names.reduce((n, f) => n + Buffer.byteLength(scenario.files[f]!), 0);
    expect(total).toBeLessThan(2 * 1024 * 1024);
    for (const f of names) expect(/^[\x20-\x7e\n]*$/.test(scenario.files[f]!), f).toBe(true);
  });
});

describe('every line parses as intended', () => {
  it.each(inputs)('%s: only the intended garbage lines fail', (name) => {
    const failed = (parsed.get(name) ?? []).filter((r) => !r.result.ok).map((r) => r.line);
    const garbage = scenario.marks.filter((m) => m.file === name && m.mark.kind === 'garbage').map((m) => m.line);
    expect(failed).toEqual(garbage);
    expect(parsed.get(name)?.length).toBe(scenario.files[name]!.split('\n').length - 1);
  });

  it.each(inputs)('%s: events are valid, in time order, inside 00:00-02:00', (name) => {
    let prev = START;
    for (const e of events(name)) {
      SecurityEvent.parse(e);
      expect(e.tsMs, `${name} ${e.source.position}`).toBeGreaterThanOrEqual(prev);
      prev = e.tsMs;
    }
    expect(prev).toBeLessThan(START + 120 * MIN);
    expect(events(name).length).toBeGreaterThan(0);
  });
});

describe('the story holds', () => {
  const gaps = (name: ScenarioInput) => {
    const ts = [START, ...events(name).map((e) => e.tsMs), START + 120 * MIN];
    return ts.slice(1).map((t, i) => ({ from: ts[i]!, to: t, len: t - ts[i]! }));
  };

  it('k8s-audit goes silent for > 30 min once (H1), and every other source keeps talking', () => {
    const long = gaps('k8s-audit.log').filter((g) => g.len > 30 * MIN);
    expect(long).toHaveLength(1);
    const gap = long[0]!;
    expect(gap.len).toBeGreaterThan(40 * MIN);
    for (const name of inputs.filter((n) => n !== 'k8s-audit.log')) {
      expect(events(name).some((e) => e.tsMs > gap.from + 30 * MIN && e.tsMs < gap.to), name).toBe(true);
    }
    // k8s-audit (maxSilence 30 min) must not fall silent at the end of the replay either.
    expect(START + 120 * MIN - events('k8s-audit.log').at(-1)!.tsMs).toBeLessThan(2 * MIN);
  });

  it('snort-fast.log has a 10-minute window with >= 100 lines and > 1% errors (H2), and only that one', () => {
    const recs = parsed.get('snort-fast.log') ?? [];
    // An error takes the time of the previous event, as the replay does.
    let t = START;
    const timed = recs.map((r) => {
      if (r.result.ok) t = r.result.event.tsMs;
      return { t, bad: !r.result.ok };
    });
    const windows = new Map<number, { lines: number; bad: number }>();
    for (const r of timed) {
      const w = Math.floor((r.t - START) / (10 * MIN));
      const cur = windows.get(w) ?? { lines: 0, bad: 0 };
      cur.lines += 1;
      cur.bad += r.bad ? 1 : 0;
      windows.set(w, cur);
    }
    const firing = [...windows].filter(([, w]) => w.lines >= 100 && w.bad / w.lines > 0.01).map(([k]) => k);
    expect(firing).toEqual([3]); // 00:30-00:40
    // The other sources' stray lines sit in windows too small to judge.
    for (const name of inputs) {
      if (name === 'snort-fast.log') continue;
      expect((parsed.get(name) ?? []).filter((r) => !r.result.ok).length, name).toBeLessThanOrEqual(1);
    }
  });

  it('Vault writes nothing while sealed (01:20-01:26)', () => {
    const seal = events('vault-audit.log').find((e) => e.vault?.path === 'sys/seal');
    expect(seal?.vault?.type).toBe('request');
    const after = events('vault-audit.log').filter((e) => e.tsMs > seal!.tsMs);
    expect(after[0]!.tsMs - seal!.tsMs).toBeGreaterThan(5 * MIN);
  });

  it('expected-rules.json names every rule of docs/rules.md at least once', () => {
    const expected = JSON.parse(read(EXPECTED_FILE)) as Array<{ rule: string; key: string; evidence: string[] }>;
    expect([...new Set(expected.map((e) => e.rule))]).toEqual(RULE_ORDER);
    for (const e of expected) expect(e.evidence.length, `${e.rule} ${e.key}`).toBeGreaterThan(0);
  });

  it('every rule has a near miss in the files', () => {
    const withNegatives = new Set(scenario.marks.filter((m) => m.mark.kind === 'negative').map((m) => m.mark.rule));
    const missing = RULE_ORDER.filter((r) => !withNegatives.has(r));
    expect(missing).toEqual([]);
  });

  it('README.md cites every evidence and near-miss line, and no stale line', () => {
    const readme = read('README.md');
    const cited = new Set([...readme.matchAll(/\b([a-z0-9-]+\.(?:log|json)):(\d+)\b/g)].map((m) => `${m[1]}:${m[2]}`));
    const markedRefs = new Set(scenario.marks.map((m) => `${m.file}:${m.line}`));
    const needed = new Set(scenario.marks.map((m) => `${m.file}:${m.line}`));
    // I2 is cited by sid in the table; its evidence lines need not all be in the prose.
    for (const m of scenario.marks) if (m.mark.rule === 'I2' && m.mark.kind === 'fires') needed.delete(`${m.file}:${m.line}`);
    expect([...needed].filter((r) => !cited.has(r)), 'not cited in README.md').toEqual([]);
    expect([...cited].filter((r) => !markedRefs.has(r)), 'cited in README.md but not a marked line').toEqual([]);
  });
});
