// The command registry: the only list of `tripline` commands.
import type { Command } from '../command.js';
import { parseCommand } from './parse.js';
import { replayCommand } from './replay.js';
import { checkCommand } from './check.js';
import { rulesCommand } from './rules.js';
// issue 5 (router)
import { silenceCommand } from './silence.js';
import { digestCommand } from './digest.js';
import { runCommand } from './run.js';

export const commands: Record<string, Command> = {
  run: runCommand,
  parse: parseCommand,
  replay: replayCommand,
  check: checkCommand,
  rules: rulesCommand,
  silence: silenceCommand,
  digest: digestCommand,
};
