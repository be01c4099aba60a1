// Sinks from config (a sink is on when its block is present); none configured means
// stdout, so a first run shows its alerts.
import type { Config } from '../../../schemas/config.js';
import { FileSink } from '../../sinks/file.js';
import { StdoutSink } from '../../sinks/stdout.js';
import type { Sink } from '../../sinks/types.js';
import type { CommandIO } from '../command.js';

export function buildSinks(config: Config, io: Pick<CommandIO, 'stdout'>): Sink[] {
  const s = config.sinks;
  const sinks: Sink[] = [];
  if (s?.stdout) sinks.push(new StdoutSink(io.stdout));
  if (s?.file) sinks.push(new FileSink(s.file.path));
  if (sinks.length === 0) sinks.push(new StdoutSink(io.stdout));
  return sinks;
}
