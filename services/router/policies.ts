// Each sink's routing policy from config (issue 5). Notification sinks page a person, so
// they get minSeverity, silences and (Slack) dedup, grouping and the 1-per-second webhook
// rate. Record sinks (stdout, file, and any other) keep the full record: every alert, in
// batches, unsilenced.
import type { Config } from '../../schemas/config.js';
import type { SinkPolicy } from './policy.js';
import { DEFAULT_MAX_PENDING } from '../state/outbox.js';

/** Slack's documented rate for incoming webhooks: about one message per second. */
export const SLACK_MIN_INTERVAL_MS = 1000;
const RECORD_BATCH = 50;

export function policyFor(sinkName: string, config: Config): SinkPolicy {
  const route = config.route;
  if (sinkName === 'slack') {
    return {
      minSeverity: config.sinks?.slack?.minSeverity ?? 'warning',
      silences: true,
      dedup: true,
      repeatIntervalMs: route.repeatInterval,
      groupWaitMs: route.groupWait,
      maxGroupSize: route.maxGroupSize,
      minIntervalMs: SLACK_MIN_INTERVAL_MS,
      groupBy: 'rule',
      // issue 9: at 1 message a second a flood would queue for hours; see outbox.ts OVERFLOW_CODE.
      maxPending: DEFAULT_MAX_PENDING,
    };
  }
  if (sinkName === 'alertmanager') {
    // Alertmanager groups, dedups and repeats on its own; it gets every occurrence.
    return {
      minSeverity: config.sinks?.alertmanager?.minSeverity ?? 'warning',
      silences: true,
      dedup: false,
      repeatIntervalMs: 0,
      groupWaitMs: 0,
      maxGroupSize: RECORD_BATCH,
      minIntervalMs: 0,
      groupBy: 'batch',
    };
  }
  return { minSeverity: 'info', silences: false, dedup: false, repeatIntervalMs: 0, groupWaitMs: 0, maxGroupSize: RECORD_BATCH, minIntervalMs: 0, groupBy: 'batch' };
}
