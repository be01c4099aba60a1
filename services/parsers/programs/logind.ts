// systemd-logind program parser: shutdown markers (rule R1: a shutdown preceded the boot)
// and session starts. Messages: systemd src/login/logind-button.c ("Power key pressed
// short."; older systemd "Power key pressed.") and logind-dbus.c ("The system will
// reboot now!", "System is rebooting.", "System is powering down.", …);
// https://github.com/systemd/systemd/tree/main/src/login
//
// Invariants: exact sentences only (a prefix match would let any text through); the
// power key's effect is configurable (HandlePowerKey=), so its kind is 'unknown'.
import type { SecurityEvent } from '../../../schemas/event.js';
import type { ProgramParser } from './types.js';

type Kind = NonNullable<SecurityEvent['shutdown']>['kind'];

const MARKERS = new Map<string, Kind>([
  ['Power key pressed short.', 'unknown'],
  ['Power key pressed.', 'unknown'],
  ['Power key pressed long.', 'unknown'],
  ['Reboot key pressed.', 'reboot'],
  ['Reboot key pressed short.', 'reboot'],
  ['The system will reboot now!', 'reboot'],
  ['System is rebooting.', 'reboot'],
  ['The system will power off now!', 'poweroff'],
  ['System is powering down.', 'poweroff'],
  ['The system will halt now!', 'halt'],
  ['System is halting.', 'halt'],
]);

// `New session 3 of user alice.` (ids may be c1, 12, …). Anchored, no overlap.
const NEW_SESSION = /^New session (\S{1,64}) of user (\S{1,256})\.$/;

export const logindProgram: ProgramParser = (msg) => {
  const s = msg.message.trim();
  const kind = MARKERS.get(s);
  if (kind !== undefined) {
    return { app: 'logind', action: 'host.shutdown', shutdown: { kind, via: 'logind', requestedBy: null, command: null } };
  }
  const m = NEW_SESSION.exec(s);
  if (m) return { app: 'logind', action: 'auth.other', actor: { name: m[2]!, kind: 'human', id: null } };
  return { app: 'logind' };
};
