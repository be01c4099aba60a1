// stdout sink: one Alert JSON per line (jsonl), for pipes and for `tripline run`
// without a Slack webhook. Format is pure (formatStdout); the sender only writes.
import type { Writable } from 'node:stream';
import type { Alert } from '../../schemas/alert.js';
import { alertTableRow } from '../cli/alert-table.js';
import type { SendResult, Sink } from './types.js';

export function formatStdout(alert: Alert): string {
  return `${JSON.stringify(alert)}\n`;
}

export class StdoutSink implements Sink {
  readonly name = 'stdout';
  constructor(
    private readonly out: Writable,
    private readonly format: 'jsonl' | 'table' = 'jsonl',
    /** Alerts below this severity are accepted but not printed. */
    private readonly minSeverity: 'info' | 'warning' | 'critical' = 'info',
  ) {}

  async send(alerts: Alert[]): Promise<SendResult> {
    const rank = { info: 0, warning: 1, critical: 2 } as const;
    const text = alerts.filter((a) => rank[a.severity] >= rank[this.minSeverity]).map((a) => (this.format === 'jsonl' ? formatStdout(a) : `${alertTableRow(a)}\n`)).join('');
    await new Promise<void>((resolve) => {
      if (this.out.write(text)) resolve();
      else this.out.once('drain', resolve);
    });
    return { ok: true };
  }
}
