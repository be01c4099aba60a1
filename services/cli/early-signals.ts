// Signals that arrive while tripline is still loading its modules (issue 9). Loading takes
// a few hundred milliseconds, and until something listens, SIGTERM, SIGINT and SIGHUP
// meet Node's default action: the process dies, so a reload (systemd ExecReload,
// logrotate) or a stop sent right after start killed `tripline run` without its graceful
// stop. The bin entry (bin.ts) holds them from its first line; `run` takes them over
// (commands/run.ts holdSignals), every other command gets them re-raised once it is
// loaded, with their default action, as before.
//
// This module imports nothing, so it is loaded and listening almost at once.

const SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];
const received: NodeJS.Signals[] = [];
let holding = false;
const hold = (s: NodeJS.Signals): void => {
  received.push(s);
};

/** Starts holding SIGTERM, SIGINT and SIGHUP (bin.ts, before anything else loads). */
export function holdEarlySignals(): void {
  if (holding) return;
  holding = true;
  for (const s of SIGNALS) process.on(s, hold);
}

/** Stops holding and hands over what arrived, oldest first (call after installing your own listeners). */
export function takeEarlySignals(): NodeJS.Signals[] {
  if (holding) {
    for (const s of SIGNALS) process.off(s, hold);
    holding = false;
  }
  return received.splice(0);
}

/** For commands that do not handle signals: stops holding and re-raises the first held signal. */
export function releaseEarlySignals(): void {
  const first = takeEarlySignals()[0];
  if (first !== undefined) process.kill(process.pid, first);
}
