// `tripline digest` (issue 5): the daily digest on demand, printed or posted, over the
// state of a live run or over replayed state (`tripline replay --state-dir DIR` fills one).
// It opens state.db read-only and takes no lock, so it works while `tripline run` is
// running on the same state directory.
import { existsSync } from 'node:fs';
import type { DatabaseSync } from 'node:sqlite';
import { join, resolve } from 'node:path';
import { durationMs } from '../../../schemas/durations.js';
import { loadConfig } from '../../config/load.js';
import { TriplineError, UsageError } from '../../lib/errors.js';
import { parseRfc3339 } from '../../lib/time.js';
import { loadSqlite } from '../../state/recover.js';
import { DB_FILE } from '../../state/store.js';
import { loadSilences } from '../../router/silence-file.js';
import { composeDigest } from '../../router/digest/compose.js';
import { formatDigestText } from '../../router/digest/text.js';
import { formatSlackDigest } from '../../sinks/slack-digest.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { buildSlack } from '../run/build-sinks.js';

const USAGE = `Usage: tripline digest [--since 24h] [--until TIME|latest] [--post] [options]

Prints (or posts to Slack) the digest the daily message carries: counts by rule and
severity, repeats carried, silences, top actors and addresses, Snort by priority and
signature, new drones, reboots and each source's health.

  --since DURATION    window length before --until (default 24h)
  --until TIME        window end: RFC 3339, or "latest" = the newest alert in the state
                      (use it over replayed state); default now
  --post              post to the Slack webhook of the config instead of printing
  --format text|slack print as text (default) or as the Block Kit JSON that --post sends
  --state-dir DIR     state of tripline run, or of tripline replay --state-dir (default ./.tripline)
  --config FILE       configuration (route, sinks.slack, sources); default: embedded defaults
  -h, --help          show this help

Exit status: 0 printed or posted, 1 state unreadable or post failed, 2 usage or config errors.`;

export const digestCommand: Command = {
  name: 'digest',
  summary: 'print or post the daily digest now (also over replayed state)',
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseCommandArgs(
      argv,
      { since: { type: 'string' }, until: { type: 'string' }, post: { type: 'boolean' }, format: { type: 'string' }, 'state-dir': { type: 'string' }, config: { type: 'string' } },
      USAGE,
    );
    let sinceMs: number;
    try {
      sinceMs = durationMs(values.since ?? '24h');
    } catch {
      throw new UsageError(`--since takes a duration such as 24h or 7d (got ${JSON.stringify(values.since)})`);
    }
    const format = values.format ?? 'text';
    if (format !== 'text' && format !== 'slack') throw new UsageError(`--format must be text or slack (got ${JSON.stringify(format)})`);
    const config = await loadConfig(values.config, io.env);
    const slack = values.post ? buildSlack(config, io) : undefined;
    const stateDir = resolve(values['state-dir'] ?? '.tripline');
    const dbPath = join(stateDir, DB_FILE);
    if (!existsSync(dbPath)) {
      throw new TriplineError('TRIP_DIGEST_NO_STATE', `no tripline state at ${stateDir} (missing ${DB_FILE}): pass the --state-dir of tripline run, or fill one with tripline replay --state-dir`);
    }
    let db: DatabaseSync;
    try {
      db = new (loadSqlite().DatabaseSync)(dbPath, { readOnly: true, timeout: 5000 });
    } catch (e) {
      throw new TriplineError('TRIP_DIGEST_NO_STATE', `cannot open ${dbPath} read-only: ${(e as Error).message}`);
    }
    let layout;
    try {
      const toMs = untilMs(values.until, io.now(), db);
      ({ layout } = composeDigest(db, {
        fromMs: toMs - sinceMs,
        toMs,
        config,
        silences: loadSilences(stateDir),
        configuredSources: (config.sources ?? []).map((s) => ({ name: s.name, kind: s.kind })),
      }));
    } catch (e) {
      if (e instanceof TriplineError) throw e;
      throw new TriplineError('TRIP_DIGEST_NO_STATE', `cannot read the state in ${dbPath}: ${(e as Error).message}`);
    } finally {
      db.close();
    }
    if (!slack) {
      io.stdout.write(format === 'slack' ? `${JSON.stringify(formatSlackDigest(layout), null, 2)}\n` : formatDigestText(layout));
      return 0;
    }
    const r = await slack.post(formatSlackDigest(layout));
    if (r.ok) {
      io.stderr.write(`digest posted to Slack (${layout.subtitle})\n`);
      return 0;
    }
    const wait = r.failure.retryAfterMs !== undefined ? `; Slack asks to wait ${Math.ceil(r.failure.retryAfterMs / 1000)} s` : '';
    io.stderr.write(`tripline digest: ${r.failure.code}: ${r.failure.message}${wait}\n`);
    return 1;
  },
};

function untilMs(value: string | undefined, nowMs: number, db: DatabaseSync): number {
  if (value === undefined) return nowMs;
  if (value === 'latest') {
    // ts is UTC RFC 3339 with variable fractions: take the newest by parsed time, +1 ms (the window end is exclusive).
    const rows = db.prepare(`SELECT ts FROM outbox WHERE substr(ts, 1, 19) = (SELECT max(substr(ts, 1, 19)) FROM outbox)`).all() as Array<{ ts: string }>;
    const newest = Math.max(...rows.map((r) => parseRfc3339(r.ts)?.ms ?? Number.NEGATIVE_INFINITY));
    if (!Number.isFinite(newest)) throw new UsageError('--until latest: the state holds no alerts');
    return newest + 1;
  }
  const t = parseRfc3339(value);
  if (!t) throw new UsageError(`--until takes an RFC 3339 time such as 2026-06-11T09:00:00Z, or latest (got ${JSON.stringify(value)})`);
  return t.ms;
}
