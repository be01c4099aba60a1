// The command registry: the only list of `tripline` commands.
import type { Command } from '../command.js';
import { parseCommand } from './parse.js';

export const commands: Record<string, Command> = {
  parse: parseCommand,
};
