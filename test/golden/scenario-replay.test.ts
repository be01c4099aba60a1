// The golden replay: the bundled two-hour multi-source scenario (test/fixtures/scenario,
// see its README for the story) replayed through the real pipeline must print exactly
// the checked-in jsonl. Regenerate after an intended change with
//   UPDATE_GOLDEN=1 npx vitest run test/golden
// and review the diff like code.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Alert } from '../../schemas/alert.js';
import { Config } from '../../schemas/config.js';
import { runReplay } from '../../services/cli/replay-run.js';
import { SCENARIO_DIR, SCENARIO_FILES } from '../../services/cli/run/scenario.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DIR = SCENARIO_DIR;
const GOLDEN = join(ROOT, DIR, 'expected-alerts.jsonl');


const quiet = new Writable({ write: (_c, _e, cb) => cb() });

async function replayScenario(): Promise<{ jsonl: string; alerts: Alert[] }> {
  const result = await runReplay({
    // Names are the repo-relative paths, as `tripline replay` run from the repo root
    // names them: H1/H2 keys and evidence carry them.
    specs: SCENARIO_FILES.map(({ kind, file }) => ({ kind, path: join(ROOT, DIR, file), name: `${DIR}/${file}` })),
    config: Config.parse({}),
    readOpts: { year: 2026 },
    io: { stderr: quiet, stdin: process.stdin, now: () => 0 },
  });
  expect(result.ioFailed).toBe(false);
  return { jsonl: result.alerts.map((a) => JSON.stringify(a)).join('\n') + '\n', alerts: result.alerts };
}

describe('golden replay of the multi-source scenario', () => {
  it('prints exactly the checked-in alerts', async () => {
    const { jsonl } = await replayScenario();
    if (process.env['UPDATE_GOLDEN'] === '1' || !existsSync(GOLDEN)) writeFileSync(GOLDEN, jsonl);
    expect(jsonl).toBe(readFileSync(GOLDEN, 'utf8'));
  });

  it('is deterministic: two replays are byte-identical', async () => {
    const a = await replayScenario();
    const b = await replayScenario();
    expect(a.jsonl).toBe(b.jsonl);
  });

  it('fires every rule of the catalogue, with exactly the {rule, key} pairs the scenario README specifies', async () => {
    const { alerts } = await replayScenario();
    const expected = JSON.parse(readFileSync(join(ROOT, DIR, 'expected-rules.json'), 'utf8')) as Array<{ rule: string; key: string; parts: string[] }>;
    const want = new Set(expected.map((e) => `${e.rule} ${e.parts.join(' ')}`));
    const got = new Set(alerts.map((a) => `${a.rule} ${a.key}`));
    expect([...got].sort()).toEqual([...want].sort());
    const rules = new Set(alerts.map((a) => a.rule));
    for (const id of ['K2', 'K3', 'K4', 'K5', 'K6', 'K7', 'K8', 'K9', 'V1', 'V2', 'V3', 'V4', 'V5', 'V6', 'V7', 'S1', 'S2', 'S3', 'N1', 'N2', 'G1', 'R1', 'R2', 'I1', 'I2', 'H1', 'H2']) {
      expect(rules.has(id), `rule ${id} fired`).toBe(true);
    }
  });

  it('every alert validates, is in event-time order, and carries capped evidence and a runbook link', async () => {
    const { alerts } = await replayScenario();
    let prev = -Infinity;
    for (const a of alerts) {
      expect(Alert.safeParse(a).success).toBe(true);
      const t = Date.parse(a.ts);
      expect(t).toBeGreaterThanOrEqual(prev);
      prev = t;
      expect(a.evidence.length).toBeLessThanOrEqual(20);
      expect(a.runbook).toBe(`docs/runbooks.md#${a.rule.toLowerCase()}`);
    }
    const k5 = alerts.find((a) => a.rule === 'K5')!;
    expect(k5.count).toBe(6);
  });
});
