import { it } from 'vitest';
import { writeFileSync, mkdirSync } from 'node:fs';
import { buildScenario } from './fixtures/scenario/generate.js';
it('dump', () => {
  const s = buildScenario();
  mkdirSync('/tmp/scen/out', { recursive: true });
  for (const [n, c] of Object.entries(s.files)) writeFileSync(`/tmp/scen/out/${n}`, c);
  writeFileSync('/tmp/scen/out/marks.txt', s.marks.map(m => `${m.file}:${m.line}\t${m.mark.kind}\t${m.mark.rule}\t${(m.mark.parts??[]).join('|')}\t${m.mark.note}`).join('\n') + '\n');
});
