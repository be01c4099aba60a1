// systemd (PID 1) program parser: the shutdown targets it reaches (rule R1). Messages:
// "Reached target reboot.target - System Reboot." (systemd ≥ 253 prints unit and
// description), older "Reached target Reboot.", likewise shutdown/poweroff/halt/kexec,
// and "Shutting down." from src/core/main.c; https://github.com/systemd/systemd
//
// Invariants: user managers (`systemd --user`, same program name, PID ≠ 1) reach their
// own shutdown.target at every logout, so a line with a known PID other than 1 is
// never a host shutdown. Exact sentences only.
import type { SecurityEvent } from '../../../schemas/event.js';
import type { ProgramParser } from './types.js';

type Kind = NonNullable<SecurityEvent['shutdown']>['kind'];

const TARGETS = new Map<string, Kind>([
  ['reboot.target - System Reboot', 'reboot'],
  ['Reboot', 'reboot'],
  ['kexec.target - System Reboot via kexec', 'reboot'],
  ['Reboot via kexec', 'reboot'],
  ['poweroff.target - System Power Off', 'poweroff'],
  ['Power-Off', 'poweroff'],
  ['halt.target - System Halt', 'halt'],
  ['Halt', 'halt'],
  ['shutdown.target - System Shutdown', 'unknown'],
  ['Shutdown', 'unknown'],
]);

export const systemdProgram: ProgramParser = (msg) => {
  if (msg.pid !== null && msg.pid !== 1) return { app: 'systemd' };
  const s = msg.message.trim();
  let kind: Kind | undefined;
  if (s === 'Shutting down.') kind = 'unknown';
  else if (s.startsWith('Reached target ') && s.endsWith('.')) kind = TARGETS.get(s.slice(15, -1));
  if (kind === undefined) return { app: 'systemd' };
  return { app: 'systemd', action: 'host.shutdown', shutdown: { kind, via: 'systemd', requestedBy: null, command: null } };
};
