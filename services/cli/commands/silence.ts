// `tripline silence add|list|expire` (issue 5): silences kept in <state-dir>/silences.json
// (services/router/silence-file.ts), picked up by a running `tripline run` within its next
// routing round. Silenced alerts are not posted; the digest counts them.
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { durationMs } from '../../../schemas/durations.js';
import { rules } from '../../../rules/index.js';
import { UsageError } from '../../lib/errors.js';
import { parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { addSilence, expireSilence, loadSilences } from '../../router/silence-file.js';
import { describeSilence, isActive, parseMatcher } from '../../router/silences.js';
import { stripControls } from '../../sinks/mrkdwn.js';

const USAGE = `Usage: tripline silence add --rule ID --match FIELD=VALUE [--match ...] --for DURATION --reason TEXT
       tripline silence list [--all]
       tripline silence expire ID

Silences stop matching alerts from being posted (Slack, Alertmanager); they are still
recorded (stdout, file) and counted in the daily digest.

  --rule ID          rule id (e.g. K4), or * for every rule
  --match F=V        FIELD is actor, address, target, host, source or key; VALUE is exact
                     or a glob with * (repeatable; all must match)
  --for DURATION     how long, e.g. 2h, 7d
  --reason TEXT      why (shown in list and in the digest)
  --all              list: include expired silences
  --state-dir DIR    where silences.json lives (default ./.tripline, as tripline run)
  -h, --help         show this help

Example: tripline silence add --rule K4 --match actor=kubernetes-admin --for 7d --reason "cluster upgrade"`;

export const silenceCommand: Command = {
  name: 'silence',
  summary: 'add, list or expire silences (alerts not posted, counted in the digest)',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        rule: { type: 'string' },
        match: { type: 'string', multiple: true },
        for: { type: 'string' },
        reason: { type: 'string' },
        all: { type: 'boolean' },
        'state-dir': { type: 'string' },
      },
      USAGE,
      true,
    );
    const stateDir = resolve(values['state-dir'] ?? '.tripline');
    const [verb, ...rest] = positionals;
    const now = io.now();
    if (verb === 'add') {
      if (rest.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}\n\n${USAGE}`);
      const rule = values.rule;
      const ids = rules.map((r) => r.id);
      if (!rule || (rule !== '*' && !ids.includes(rule))) throw new UsageError(`--rule takes a rule id (${ids.join(', ')}) or *; got ${JSON.stringify(rule ?? '')}`);
      const matchers = (values.match ?? []).map(parseMatcher);
      if (rule === '*' && matchers.length === 0) throw new UsageError('a silence of every rule (*) needs at least one --match');
      let ms: number;
      try {
        ms = durationMs(values.for ?? '');
      } catch {
        throw new UsageError(`--for takes a duration such as 2h or 7d; got ${JSON.stringify(values.for ?? '')}`);
      }
      if (ms <= 0) throw new UsageError('--for must be longer than 0');
      const reason = values.reason?.trim();
      if (!reason) throw new UsageError('--reason is required: say why, the digest shows it');
      const s = addSilence(stateDir, { rule, matchers, durationMs: ms, reason, createdBy: safeUser() }, now);
      io.stdout.write(`${s.id}  ${describeSilence(s)}  until ${s.endsAt}  (${s.reason})\n`);
      return 0;
    }
    if (verb === 'list') {
      const list = loadSilences(stateDir).filter((s) => values.all || isActive(s, now));
      if (list.length === 0) io.stdout.write(values.all ? 'no silences\n' : 'no active silences (--all lists expired ones too)\n');
      for (const s of list) {
        const state = isActive(s, now) ? 'active ' : s.expiredAt !== null ? 'expired' : Date.parse(s.endsAt) <= now ? 'ended  ' : 'pending';
        io.stdout.write(`${s.id}  ${state}  ${stripControls(describeSilence(s), false)}  until ${s.expiredAt ?? s.endsAt}  by ${s.createdBy || '?'}: ${stripControls(s.reason, false)}\n`);
      }
      return 0;
    }
    if (verb === 'expire') {
      const id = rest[0];
      if (!id || rest.length > 1) throw new UsageError(`silence expire takes one silence id\n\n${USAGE}`);
      const s = expireSilence(stateDir, id, now);
      if (!s) throw new UsageError(`no silence with id ${JSON.stringify(id)} in ${stateDir} (see tripline silence list --all)`, 'TRIP_SILENCE_UNKNOWN');
      io.stdout.write(`${s.id} expired at ${s.expiredAt}\n`);
      return 0;
    }
    throw new UsageError(`silence takes add, list or expire${verb ? ` (got ${JSON.stringify(verb)})` : ''}\n\n${USAGE}`);
  },
};

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return '';
  }
}
