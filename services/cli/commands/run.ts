// `tripline run`: the live detector. Follows the configured sources (or the standard
// paths that exist on this machine), raises alerts within a second, keeps crash-safe
// state in --state-dir, and serves /metrics, /healthz and /readyz.
import { resolve } from 'node:path';
import type { Config } from '../../../schemas/config.js';
import type { SourceConfig } from '../../../schemas/run-config.js';
import { loadConfig } from '../../config/load.js';
import { UsageError, TriplineError } from '../../lib/errors.js';
import { createLog } from '../../lib/log.js';
import { parseCommandArgs } from '../args.js';
import type { Command, CommandIO } from '../command.js';
import { releaseEarlySignals, takeEarlySignals } from '../early-signals.js';
import { discoverDefaultSources, realDiscoveryEnv } from '../run/default-sources.js';
import { makeCollector } from '../run/make-collector.js';
import { buildSinks } from '../run/build-sinks.js';
import { LiveRuntime } from '../run/runtime.js';
import { runDemo } from '../run/demo.js';
import { readOptionsFrom } from './input-options.js';
// issue 7 (scale-out on Kafka): --role collect|detect|route.
import { parseRole, startRole } from '../../kafka/roles.js';

const USAGE = `Usage: tripline run [options]

The live detector: follows logs as they are written and raises alerts within a second.

  --config FILE       configuration (YAML); without it tripline tails the standard
                      paths that exist here and prints alerts to stdout
  --state-dir DIR     positions, engine state and the alert outbox (default ./.tripline)
  --http ADDR|off     address for /metrics, /healthz, /readyz (default 127.0.0.1:9108)
  --year YYYY         year for timestamps printed without one (default: file mtime)
  --demo              stream a bundled two-hour scenario through the live path in
                      accelerated time and print its alerts
  --speed N           --demo: event-time seconds per wall second (default 720)
  --role ROLE         all (default): the embedded single process. On Kafka (config
                      \`kafka:\` block): collect (sources → tripline.events), detect
                      (a detector replica; run N), route (tripline.alerts → sinks)
  -h, --help          show this help

Signals: SIGTERM/SIGINT save state and exit 0 within 5 s; SIGHUP reloads the config
(an invalid new config keeps the old one running and logs why).`;

export const runCommand: Command = {
  name: 'run',
  summary: 'the live detector: follow logs, raise alerts, keep crash-safe state',
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseCommandArgs(
      argv,
      {
        config: { type: 'string' },
        'state-dir': { type: 'string' },
        http: { type: 'string' },
        year: { type: 'string' },
        demo: { type: 'boolean' },
        speed: { type: 'string' },
        role: { type: 'string' },
      },
      USAGE,
    );
    // issue 9: signals are held from here on, before the (possibly long) start: SIGHUP's
    // default action terminates the process, so a reload (systemd ExecReload, logrotate)
    // arriving while tripline started killed it, and a SIGTERM then skipped the graceful
    // stop. waitForSignals takes over and acts on whatever arrived meanwhile.
    // --demo handles its own signals; a failed start must hand the signals back too.
    if (values.demo) releaseEarlySignals();
    const early = values.demo ? undefined : holdSignals();
    try {
      const role = parseRole(values.role);
      const { year } = readOptionsFrom({ year: values.year }, USAGE);
      const config = await loadConfig(values.config, io.env);
      // The demo is for reading alerts: keep its own chatter to warnings.
      const log = createLog({ destination: io.stderr, level: values.demo ? 'warn' : undefined });
      const httpListen = values.http === 'off' ? false : (values.http ?? config.http.listen);
      if (values.demo) {
        const speed = values.speed === undefined ? 720 : Number(values.speed);
        if (!Number.isFinite(speed) || speed <= 0) throw new UsageError(`--speed takes a positive number (got "${values.speed}")`);
        return runDemo({ config, io, log, speed });
      }
      if (role !== 'all') {
        // issue 7: one scale-out role; it stops on SIGTERM/SIGINT like the embedded runner.
        if (values.demo) throw new UsageError('--demo runs the embedded process only (--role all)');
        const started = await startRole(role, {
          config,
          io,
          log,
          httpListen,
          stateDir: resolve(values['state-dir'] ?? '.tripline'),
          ...(year !== undefined ? { year } : {}),
          pickSources: () => pickSources(config, io),
        });
        if (started.httpPort !== undefined) log.info({ port: started.httpPort, role }, 'serving /metrics, /healthz, /readyz');
        const fatal = started.fatal.then(async (e) => {
          // Only what waiting cannot fix reaches here (services/kafka/error-policy.ts): outages are retried.
          log.error({ code: 'TRIP_KAFKA_FATAL', err: e.message, role }, 'kafka refused this role (credentials, authorization or configuration); exiting');
          await started.stop().catch(() => undefined);
          return 1;
        });
        return Promise.race([waitForSignals(started, values.config, io, log, early), fatal]);
      }
      const sources = pickSources(config, io);
      const runtime = new LiveRuntime({
        config,
        sources,
        makeCollector,
        sinks: buildSinks(config, io),
        stateDir: resolve(values['state-dir'] ?? '.tripline'),
        httpListen,
        log,
        now: io.now,
        setTimer: (fn, ms) => {
          const t = setTimeout(fn, ms);
          return { cancel: () => clearTimeout(t) };
        },
        year,
      });
      await runtime.start();
      if (runtime.httpPort !== undefined) log.info({ port: runtime.httpPort }, 'serving /metrics, /healthz, /readyz');
      return waitForSignals(runtime, values.config, io, log, early);
    } catch (e) {
      early?.release();
      throw e;
    }
  },
};

function pickSources(config: Config, io: CommandIO): SourceConfig[] {
  if (config.sources) return config.sources;
  const d = discoverDefaultSources(realDiscoveryEnv(io.env));
  const lines = ['tripline run: no sources in the config; using the standard paths that exist here:'];
  for (const f of d.found) lines.push(`  found   ${f.source.name.padEnd(13)} ${f.why}`);
  for (const s of d.skipped) lines.push(`  skipped ${s.name.padEnd(13)} ${s.why}`);
  if (d.found.length === 0) lines.push('  nothing to read here: set `sources:` in a config file (see README), or try `tripline run --demo`');
  io.stderr.write(`${lines.join('\n')}\n`);
  return d.found.map((f) => f.source);
}

/** issue 9: signals received before waitForSignals is ready, in arrival order. */
interface HeldSignals {
  received: NodeJS.Signals[];
  release(): void;
}

/**
 * issue 9: catches SIGTERM/SIGINT/SIGHUP until waitForSignals takes over (see run()),
 * starting with those the bin entry held while modules loaded (early-signals.ts).
 */
function holdSignals(): HeldSignals {
  const received: NodeJS.Signals[] = [];
  const on = (s: NodeJS.Signals) => received.push(s);
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];
  for (const s of signals) process.on(s, on);
  received.push(...takeEarlySignals()); // after listening: no moment without a listener
  return { received, release: () => signals.forEach((s) => process.off(s, on)) };
}

/** Runs until SIGTERM/SIGINT; SIGHUP reloads. Resolves to the exit code. */
function waitForSignals(runtime: Pick<LiveRuntime, 'stop'> & Partial<Pick<LiveRuntime, 'reload'>>, configPath: string | undefined, io: CommandIO, log: ReturnType<typeof createLog>, early?: HeldSignals): Promise<number> {
  return new Promise<number>((resolveExit) => {
    const onStop = (signal: string) => {
      log.info({ signal }, 'stopping: saving state');
      // The 5-second promise: if a sink or collector hangs, exit anyway; state was
      // committed batch by batch, so nothing committed is lost.
      const hard = setTimeout(() => {
        log.error({ code: 'TRIP_STOP_TIMEOUT' }, 'stop took longer than 4.5 s; exiting');
        resolveExit(1);
      }, 4500);
      hard.unref();
      runtime.stop().then(
        () => {
          clearTimeout(hard);
          resolveExit(0);
        },
        (e: Error) => {
          log.error({ code: 'TRIP_STOP_FAILED', err: e.message }, 'stop failed');
          resolveExit(1);
        },
      );
    };
    const onHup = () => {
      loadConfig(configPath, io.env).then(
        // issue 7: the Kafka roles do not reload in place; restart them (replicas take over).
        (c) => (runtime.reload ? runtime.reload(c) : log.warn({ code: 'TRIP_RELOAD_UNSUPPORTED' }, 'this role does not reload its config; restart it')),
        (e: Error) => log.error({ code: e instanceof TriplineError ? e.code : 'TRIP_CONFIG', err: e.message }, 'reload refused: the new config is invalid; the old one keeps running'),
      );
    };
    process.once('SIGTERM', () => onStop('SIGTERM'));
    process.once('SIGINT', () => onStop('SIGINT'));
    process.on('SIGHUP', onHup);
    // issue 9: now act on what arrived during start: a stop wins over any reload.
    if (early) {
      early.release();
      const stop = early.received.find((s) => s !== 'SIGHUP');
      if (stop) onStop(stop);
      else if (early.received.includes('SIGHUP')) onHup();
    }
  });
}
