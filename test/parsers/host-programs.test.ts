import { describe, it, expect } from 'vitest';
import { sudoProgram, shutdownKind } from '../../services/parsers/programs/sudo.js';
import { logindProgram } from '../../services/parsers/programs/logind.js';
import { systemdProgram } from '../../services/parsers/programs/systemd.js';
import { kernelProgram } from '../../services/parsers/programs/kernel.js';
import { parseProgramMessage, programParsers } from '../../services/parsers/programs/index.js';
import { parseSyslog } from '../../services/parsers/syslog.js';
import type { ParseContext, ParseResult } from '../../services/parsers/types.js';
import { SecurityEvent } from '../../schemas/event.js';
import { ParseErrorCode } from '../../services/lib/errors.js';

const ctx = (over: Partial<ParseContext> = {}): ParseContext => ({
  kind: 'syslog', sourceName: 'host.log', position: 'line 1', year: 2025, carry: {}, ...over,
});

function ok(line: string, c: ParseContext = ctx()): SecurityEvent {
  const r = parseSyslog(line, c);
  if (!r.ok) throw new Error(`expected an event, got ${r.error.code}: ${r.error.message}`);
  const v = SecurityEvent.safeParse(r.event);
  if (!v.success) throw new Error(JSON.stringify(v.error.issues));
  return r.event;
}

function err(line: string, c: ParseContext = ctx()): Extract<ParseResult, { ok: false }>['error'] {
  const r = parseSyslog(line, c);
  if (r.ok) throw new Error(`expected an error, got event ${r.event.id}`);
  return r.error;
}

const sudo = (message: string) => sudoProgram({ program: 'sudo', pid: 9, message });
const line = (cmd: string, user = 'alice') => `${user} : TTY=pts/0 ; PWD=/home/${user} ; USER=root ; COMMAND=${cmd}`;

describe('sudo', () => {
  it('a command run as root is privilege.command by the invoking user', () => {
    expect(sudo(line('/usr/bin/apt update'))).toEqual({ app: 'sudo', action: 'privilege.command', outcome: 'success', actor: { name: 'alice', kind: 'human', id: null } });
  });

  it.each([
    ['/usr/bin/systemctl reboot', 'reboot'],
    ['/bin/systemctl --no-wall reboot', 'reboot'],
    ['/usr/bin/systemctl poweroff', 'poweroff'],
    ['/usr/bin/systemctl halt', 'halt'],
    ['/usr/bin/systemctl kexec', 'reboot'],
    ['/sbin/shutdown -r now', 'reboot'],
    ['/sbin/shutdown -r +5 kernel upgrade', 'reboot'],
    ['/sbin/shutdown -h now', 'poweroff'],
    ['/sbin/shutdown now', 'poweroff'],
    ['/sbin/shutdown -H now', 'halt'],
    ['/sbin/reboot', 'reboot'],
    ['/usr/sbin/reboot -f', 'reboot'],
    ['/sbin/poweroff', 'poweroff'],
    ['/sbin/halt', 'halt'],
    ['/sbin/init 6', 'reboot'],
  ])('%s → host.shutdown %s', (cmd, kind) => {
    const f = sudo(line(cmd));
    expect(f.action).toBe('host.shutdown');
    expect(f.shutdown).toEqual({ kind, via: 'sudo', requestedBy: 'alice', command: cmd });
    expect(f.actor?.name).toBe('alice');
  });

  it.each([
    '/usr/bin/systemctl restart nginx',
    '/usr/bin/systemctl status reboot.target reboot',
    '/sbin/shutdown -c',
    '/sbin/shutdown -k now',
    '/sbin/reboot -w',
    '/usr/bin/echo reboot',
    '/bin/sh -c reboot',
    '/usr/bin/echo ; COMMAND=/sbin/reboot',
  ])('%s is not a shutdown', (cmd) => {
    expect(sudo(line(cmd)).action).toBe('privilege.command');
  });

  it('a crafted PWD cannot fake a reboot command', () => {
    const msg = 'alice : TTY=pts/0 ; PWD=/tmp/x ; USER=root ; COMMAND=/sbin/reboot ; USER=root ; COMMAND=/usr/bin/id';
    expect(sudo(msg).action).toBe('privilege.command');
  });

  it('a refused sudo is a failure and never a shutdown', () => {
    const f = sudo('mallory : 3 incorrect password attempts ; TTY=pts/1 ; PWD=/home/mallory ; USER=root ; COMMAND=/sbin/reboot');
    expect(f).toMatchObject({ action: 'privilege.command', outcome: 'failure', actor: { name: 'mallory' } });
    expect(f.shutdown).toBeUndefined();
    expect(sudo('bob : user NOT in sudoers ; TTY=pts/1 ; PWD=/ ; USER=root ; COMMAND=/bin/ls').outcome).toBe('failure');
  });

  it('PAM and other sudo lines are generic', () => {
    expect(sudo('pam_unix(sudo:auth): authentication failure; logname=alice uid=1000 euid=0 tty=/dev/pts/0 ruser=alice rhost=  user=alice')).toEqual({ app: 'sudo' });
    expect(sudo('pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1000)')).toEqual({ app: 'sudo' });
  });

  it('through syslog, validates against the schema', () => {
    const ev = ok(`May  6 14:22:31 pve sudo[4711]:    ${line('/usr/bin/systemctl reboot')}`);
    expect(ev).toMatchObject({ app: 'sudo', action: 'host.shutdown', host: 'pve', shutdown: { via: 'sudo', requestedBy: 'alice' } });
  });

  it('shutdownKind ignores an overlong command', () => {
    expect(shutdownKind(`/sbin/reboot ${'-f '.repeat(300)}`)).toBeNull();
  });
});

describe('systemd-logind', () => {
  it.each([
    ['Power key pressed short.', 'unknown'],
    ['Power key pressed.', 'unknown'],
    ['The system will reboot now!', 'reboot'],
    ['System is rebooting.', 'reboot'],
    ['System is powering down.', 'poweroff'],
    ['The system will power off now!', 'poweroff'],
  ])('%s → host.shutdown %s', (message, kind) => {
    expect(logindProgram({ program: 'systemd-logind', pid: 700, message })).toEqual({
      app: 'logind', action: 'host.shutdown', shutdown: { kind, via: 'logind', requestedBy: null, command: null },
    });
  });

  it('New session is auth.other for the user', () => {
    expect(logindProgram({ program: 'systemd-logind', pid: 700, message: 'New session 12 of user alice.' })).toEqual({
      app: 'logind', action: 'auth.other', actor: { name: 'alice', kind: 'human', id: null },
    });
  });

  it('anything else is generic, including near misses', () => {
    expect(logindProgram({ program: 'systemd-logind', pid: 700, message: 'Watching system buttons on /dev/input/event0' })).toEqual({ app: 'logind' });
    expect(logindProgram({ program: 'systemd-logind', pid: 700, message: 'System is rebooting. Not really' })).toEqual({ app: 'logind' });
  });
});

describe('systemd (PID 1)', () => {
  it.each([
    ['Reached target reboot.target - System Reboot.', 'reboot'],
    ['Reached target Reboot.', 'reboot'],
    ['Reached target shutdown.target - System Shutdown.', 'unknown'],
    ['Reached target Shutdown.', 'unknown'],
    ['Reached target poweroff.target - System Power Off.', 'poweroff'],
    ['Reached target Power-Off.', 'poweroff'],
    ['Reached target halt.target - System Halt.', 'halt'],
    ['Reached target kexec.target - System Reboot via kexec.', 'reboot'],
    ['Shutting down.', 'unknown'],
  ])('%s → host.shutdown %s', (message, kind) => {
    expect(systemdProgram({ program: 'systemd', pid: 1, message })).toEqual({
      app: 'systemd', action: 'host.shutdown', shutdown: { kind, via: 'systemd', requestedBy: null, command: null },
    });
  });

  it('a user manager (PID ≠ 1) reaching shutdown.target at logout is not a host shutdown', () => {
    expect(systemdProgram({ program: 'systemd', pid: 1234, message: 'Reached target Shutdown.' })).toEqual({ app: 'systemd' });
  });

  it('other targets are generic', () => {
    expect(systemdProgram({ program: 'systemd', pid: 1, message: 'Reached target multi-user.target - Multi-User System.' })).toEqual({ app: 'systemd' });
  });

  it('through syslog', () => {
    expect(ok('May  6 09:11:02 pve systemd[1]: Reached target reboot.target - System Reboot.').action).toBe('host.shutdown');
  });
});

describe('kernel', () => {
  it('the Linux version banner is a boot', () => {
    const f = kernelProgram({ program: 'kernel', pid: null, message: 'Linux version 6.1.0-25-amd64 (debian-kernel@lists.debian.org) (gcc-12) #1 SMP PREEMPT_DYNAMIC Debian 6.1.106-3 (2024-08-26)' });
    expect(f).toEqual({ app: 'kernel', action: 'host.boot', boot: { bootId: null, kernel: '6.1.0-25-amd64', evidence: 'banner' } });
  });

  it('skips a printk time prefix', () => {
    expect(kernelProgram({ program: 'kernel', pid: null, message: '[    0.000000] Linux version 6.8.0-31-generic (buildd@lcy02) #31' }).boot?.kernel).toBe('6.8.0-31-generic');
  });

  it('other kernel lines are generic', () => {
    expect(kernelProgram({ program: 'kernel', pid: null, message: 'Linux agpgart interface v0.100 (c) Dave Jones' })).toEqual({ app: 'kernel' });
  });

  it('loghub RedHat boot line through syslog', () => {
    const ev = ok('Jul 27 14:41:57 combo kernel: Linux version 2.6.5-1.358 (bhcompile@bugs.build.redhat.com) (gcc version 3.3.3 20040412 (Red Hat Linux 3.3.3-7)) #1 Sat May 8 09:04:50 EDT 2004');
    expect(ev).toMatchObject({ app: 'kernel', action: 'host.boot', host: 'combo', ts: '2025-07-27T14:41:57Z', boot: { kernel: '2.6.5-1.358', evidence: 'banner' } });
  });
});

describe('wtmp (`last -x reboot shutdown`)', () => {
  it('reads boot and shutdown records with ctx.defaultHost', () => {
    const c = ctx({ year: 2025, defaultHost: 'pve' });
    const boot = ok('reboot   system boot  6.1.0-18-amd64   Mon May  6 09:12   still running', c);
    expect(boot).toMatchObject({ app: 'host', action: 'host.boot', host: 'pve', ts: '2025-05-06T09:12:00Z' });
    expect(boot.boot).toEqual({ bootId: null, kernel: '6.1.0-18-amd64', evidence: 'wtmp' });
    const down = ok('shutdown system down  6.1.0-18-amd64   Mon May  6 09:11 - 09:12  (00:01)', c);
    expect(down).toMatchObject({ app: 'host', action: 'host.shutdown', ts: '2025-05-06T09:11:00Z' });
    expect(down.shutdown).toEqual({ kind: 'unknown', via: 'wtmp', requestedBy: null, command: null });
    expect(down.raw).toMatchObject({ format: 'syslog', record: { program: 'wtmp', timestamp: 'Mon May  6 09:11', host: null } });
  });

  it('has no host without ctx.defaultHost', () => {
    expect(ok('reboot   system boot  6.1.0-18-amd64   Sun May  5 22:01 - 09:11  (11:10)').host).toBeNull();
  });

  it('newest-first listing steps back a year across New Year', () => {
    const c = ctx({ year: 2025 });
    expect(ok('reboot   system boot  6.1.0-18-amd64   Thu Jan  2 08:00   still running', c).ts).toBe('2025-01-02T08:00:00Z');
    expect(ok('reboot   system boot  6.1.0-18-amd64   Mon Dec 30 08:00 - 07:59 (3+00:00)', c).ts).toBe('2024-12-30T08:00:00Z');
  });

  it('reads -F full times with seconds and year', () => {
    expect(ok('reboot   system boot  6.1.0-18-amd64   Mon May  6 09:12:33 2024   still running', ctx({ year: 2030 })).ts).toBe('2024-05-06T09:12:33Z');
  });

  it('the `wtmp begins` footer is not a record; other last lines are unknown', () => {
    expect(err('wtmp begins Sun May  5 22:01:00 2024').code).toBe(ParseErrorCode.COMMENT);
    expect(err('alice    pts/0        203.0.113.5      Mon May  6 09:20   still logged in').code).toBe(ParseErrorCode.UNKNOWN_FORMAT);
  });
});

describe('program registry', () => {
  it('registers the host and sshd programs', () => {
    for (const p of ['sshd', 'sshd-session', 'sshd-auth', 'sshd(pam_unix)', 'sudo', 'systemd-logind', 'systemd', 'kernel', 'snort']) {
      expect(Object.hasOwn(programParsers, p)).toBe(true);
    }
  });

  it.each(['__proto__', 'constructor', 'toString', 'valueOf', 'Sshd', 'sshd ', 'cron'])('%j is generic', (program) => {
    expect(parseProgramMessage({ program, pid: 1, message: 'Accepted password for a from 1.2.3.4 port 1 ssh2' })).toEqual({});
  });
});
