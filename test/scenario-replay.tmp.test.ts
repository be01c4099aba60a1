import { it } from 'vitest';
import { runReplay } from '../services/cli/replay-run.js';
import { loadConfig } from '../services/config/load.js';
import { SCENARIO_INPUTS } from './fixtures/scenario/generate.js';
import { writeFileSync } from 'node:fs';
it('replay', async () => {
  const config = await loadConfig(undefined, {});
  const specs = Object.entries(SCENARIO_INPUTS).map(([f, kind]) => ({ kind: kind as any, path: `test/fixtures/scenario/${f}` }));
  const r = await runReplay({ specs, config, readOpts: { year: 2026, date: '2026-06-10' }, io: { stderr: { write() { return true; } } as any, stdin: process.stdin, now: () => 0 } as any });
  writeFileSync('/tmp/scen/alerts.jsonl', r.alerts.map(a => JSON.stringify(a)).join('\n') + '\n');
  console.log(r.summary);
  for (const a of r.alerts) console.log(a.rule, JSON.stringify(a.key), a.ts, a.count, a.evidence.map(e => `${e.source.split('/').pop()}:${e.position}`).slice(0,3).join(','));
}, 60000);
