// Builds dist/ once before the hardening suite: the chaos and secrets tests run the real
// CLI as child processes (test/helpers/cli-process.ts), so they must run what is checked
// out now, not a stale build.
import { spawnSync } from 'node:child_process';
import { ROOT } from '../../helpers/cli-process.js';

export default function setup(): void {
  const tsc = spawnSync(process.execPath, [`${ROOT}/node_modules/typescript/bin/tsc`, '-p', 'tsconfig.json'], { cwd: ROOT, encoding: 'utf8' });
  if (tsc.status !== 0) throw new Error(`build failed:\n${tsc.stdout}${tsc.stderr}`);
}
