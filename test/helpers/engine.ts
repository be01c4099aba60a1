// Running events through a real Engine in tests: config from a ConfigInput, alerts of
// every push (and the final flush) collected in order.
import type { Alert } from '../../schemas/alert.js';
import { Config, type ConfigInput } from '../../schemas/config.js';
import type { SecurityEvent } from '../../schemas/event.js';
import type { Rule } from '../../rules/define.js';
import { Engine, type EngineSnapshot, type SourceInfo } from '../../services/engine/engine.js';
import { input } from './events.js';

export interface RunOptions {
  config?: ConfigInput;
  sources?: SourceInfo[];
  state?: EngineSnapshot;
  /** Call flush() at the end (replay semantics). Default true. */
  flush?: boolean;
}

export function makeEngine(rules: readonly Rule[], opts: RunOptions = {}): Engine {
  return new Engine({
    rules,
    config: Config.parse(opts.config ?? {}),
    ...(opts.sources ? { sources: opts.sources } : {}),
    ...(opts.state ? { state: opts.state } : {}),
  });
}

/** Pushes every event into `engine` and returns all alerts (plus flush's unless flush: false). */
export function feed(engine: Engine, events: readonly SecurityEvent[], flush = true): Alert[] {
  const out: Alert[] = [];
  for (const e of events) out.push(...engine.push(input(e)));
  if (flush) out.push(...engine.flush());
  return out;
}

/** A fresh engine over `events`. */
export function run(rules: readonly Rule[], events: readonly SecurityEvent[], opts: RunOptions = {}): Alert[] {
  return feed(makeEngine(rules, opts), events, opts.flush ?? true);
}

/** The snapshot as it would be stored and read back: through JSON text. */
export function roundTrip(s: EngineSnapshot): EngineSnapshot {
  return JSON.parse(JSON.stringify(s)) as EngineSnapshot;
}
