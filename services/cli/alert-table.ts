// One readable terminal line per alert. Log-derived text is made terminal-safe.
import type { Alert } from '../../schemas/alert.js';
import { terminalSafe } from './output.js';

const MARK = { critical: 'CRIT', warning: 'WARN', info: 'INFO' } as const;

export function alertTableRow(a: Alert): string {
  return `${a.ts.padEnd(27)} ${MARK[a.severity]} ${a.rule.padEnd(3)} ${terminalSafe(a.summary, 300)}${a.count > 1 ? ` (x${a.count})` : ''}`;
}
