// `tripline run --role collect|detect|route` (issue 7): builds and starts one scale-out
// role from the config; `--role all` (the default) stays the embedded LiveRuntime.
import type { Config } from '../../schemas/config.js';
import type { SourceConfig } from '../../schemas/run-config.js';
import { UsageError } from '../lib/errors.js';
import type { Log } from '../lib/log.js';
import type { CommandIO } from '../cli/command.js';
import { makeCollector } from '../cli/run/make-collector.js';
import { buildSinks } from '../cli/run/build-sinks.js';
import { CollectRole } from './collect-role.js';
import { DetectRole } from './detect-role.js';
import { RouteRole } from './route-role.js';
import { realTimers } from './timers.js';

export const ROLES = ['all', 'collect', 'detect', 'route'] as const;
export type Role = (typeof ROLES)[number];

export function parseRole(text: string | undefined): Role {
  const r = text ?? 'all';
  if (!(ROLES as readonly string[]).includes(r)) throw new UsageError(`--role takes one of ${ROLES.join(', ')} (got "${r}")`);
  return r as Role;
}

export interface StartedRole {
  httpPort: number | undefined;
  stop(): Promise<void>;
  /**
   * Rejects never; resolves with the error when the role hit an unrecoverable Kafka error
   * (error-policy.ts: a configuration error, not an outage: outages are ridden out).
   */
  fatal: Promise<Error>;
}

export interface RoleOptions {
  config: Config;
  io: CommandIO;
  log: Log;
  httpListen: string | false;
  stateDir: string;
  year?: number;
  /** collect: the sources to read (config or discovered). */
  pickSources: () => SourceConfig[];
}

export async function startRole(role: Exclude<Role, 'all'>, o: RoleOptions): Promise<StartedRole> {
  const kafka = o.config.kafka;
  if (!kafka) throw new UsageError(`--role ${role} needs a kafka block in the config (brokers, topics, ...): see README "Scale-out on Kafka"`);
  let onFatal!: (e: Error) => void;
  const fatal = new Promise<Error>((r) => (onFatal = r));
  const common = { config: o.config, kafka, log: o.log, now: o.io.now, httpListen: o.httpListen, onFatal };
  let started: CollectRole | DetectRole | RouteRole;
  if (role === 'collect') {
    started = new CollectRole({ ...common, sources: o.pickSources(), makeCollector, stateDir: o.stateDir, ...(o.year !== undefined ? { year: o.year } : {}) });
  } else if (role === 'detect') {
    const sources = o.config.sources?.map((s) => ({ name: s.name, kind: s.kind }));
    started = new DetectRole({ ...common, ...(sources ? { sources } : {}), timers: realTimers });
  } else {
    started = new RouteRole({ ...common, sinks: buildSinks(o.config, o.io), stateDir: o.stateDir, setTimer: realTimers.setTimer });
  }
  try {
    await started.start();
  } catch (e) {
    await started.stop().catch(() => undefined);
    throw e;
  }
  return { httpPort: started.httpPort, stop: () => started.stop(), fatal };
}
