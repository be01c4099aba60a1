// sudo program parser: `alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/systemctl reboot`
// → 'privilege.command', or 'host.shutdown' (rule R1's "planned shutdown") when the
// command is a reboot/poweroff/halt request. Format: sudo's plugins/sudoers/logging.c
// (https://www.sudo.ws/docs/man/sudoers.man/#LOG_FORMAT), fields joined with ` ; `.
//
// Invariants:
// - The invoking user (before ` : `) is set by sudo and trusted; PWD and COMMAND are
//   the user's own text and may hold ` ; COMMAND=…`. The command is everything after
//   the first `COMMAND=` field, and a command holding ` ; ` is never a shutdown, so
//   neither a crafted directory name nor crafted arguments can fake a planned reboot.
// - A line whose first field is a reason, not KEY=value, is a refusal (`3 incorrect password attempts`,
//   `user NOT in sudoers`, `command not allowed`): outcome failure, never a shutdown.
// - PAM lines (`pam_unix(sudo:auth): …`) and anything else stay generic (app 'sudo').
import type { SecurityEvent } from '../../../schemas/event.js';
import type { ProgramParser } from './types.js';

type Kind = NonNullable<SecurityEvent['shutdown']>['kind'];

const SYSTEMCTL: Record<string, Kind> = { reboot: 'reboot', kexec: 'reboot', poweroff: 'poweroff', halt: 'halt' };

/** The shutdown kind a command requests, or null. Only whole, recognized commands count. */
export function shutdownKind(command: string): Kind | null {
  if (command.includes(' ; ') || command.length > 512) return null;
  const argv = command.split(' ').filter((t) => t.length > 0);
  const exe = argv[0]?.slice(argv[0].lastIndexOf('/') + 1);
  const args = argv.slice(1);
  const flagsOnly = (rest: string[]) => rest.every((a) => a.startsWith('-'));
  switch (exe) {
    case 'systemctl': {
      const verbs = args.filter((a) => !a.startsWith('-'));
      return verbs.length === 1 && Object.hasOwn(SYSTEMCTL, verbs[0]!) ? SYSTEMCTL[verbs[0]!]! : null;
    }
    case 'reboot':
    case 'poweroff':
    case 'halt':
      // `reboot -w` only writes the wtmp record; --help does nothing.
      if (!flagsOnly(args) || args.some((a) => a === '-w' || a === '--wtmp-only' || a === '--help')) return null;
      return exe;
    case 'shutdown':
      // -c cancels, -k only warns; otherwise shutdown powers off unless -r/-H (systemd).
      if (args.some((a) => a === '-c' || a === '-k' || a === '--help')) return null;
      if (args.some((a) => a === '-r' || a === '--reboot' || /^-[a-zA-Z]*r/.test(a))) return 'reboot';
      if (args.some((a) => a === '-H' || a === '--halt')) return 'halt';
      return 'poweroff';
    case 'init':
    case 'telinit':
      return args.length === 1 ? (args[0] === '6' ? 'reboot' : args[0] === '0' ? 'poweroff' : null) : null;
    default:
      return null;
  }
}

export const sudoProgram: ProgramParser = (msg) => {
  const s = msg.message.trim();
  const sep = s.indexOf(' : ');
  if (sep <= 0 || sep > 256) return { app: 'sudo' };
  const user = s.slice(0, sep).trim();
  const fields = s.slice(sep + 3);
  const c = fields.startsWith('COMMAND=') ? 0 : fields.indexOf(' ; COMMAND=');
  if (c < 0 || user.includes(' ')) return { app: 'sudo' };
  const command = fields.slice(c === 0 ? 8 : c + 11);
  const actor = { name: user, kind: 'human' as const, id: null };
  // Refusal reasons (`3 incorrect password attempts`) hold no `=`; `TTY=…`/`HOST=…` do.
  const first = fields.indexOf(' ; ');
  const refused = !(first < 0 ? fields : fields.slice(0, first)).includes('=');
  if (refused) return { app: 'sudo', action: 'privilege.command', outcome: 'failure', actor };
  const kind = shutdownKind(command);
  if (kind === null) return { app: 'sudo', action: 'privilege.command', outcome: 'success', actor };
  return {
    app: 'sudo',
    action: 'host.shutdown',
    outcome: 'success',
    actor,
    shutdown: { kind, via: 'sudo', requestedBy: user, command },
  };
};
