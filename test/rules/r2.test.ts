import { describe, expect, it } from 'vitest';
import { R2 } from '../../rules/hosts/r2-reboot-loop.js';
import type { Alert } from '../../schemas/alert.js';
import { makeEngine } from '../helpers/engine.js';
import { parseLine } from '../helpers/events.js';
import type { InputKind } from '../../schemas/event.js';

const T = Date.UTC(2026, 5, 10, 2, 0, 0);
const usec = (min: number) => String((T + min * 60_000) * 1000);
let cursor = 0;

/** A `journalctl -o json` line from host pve in boot `boot`. */
function journal(min: number, boot: string, message = 'Started session.', extra: Record<string, string> = {}): [InputKind, string] {
  return [
    'journal',
    JSON.stringify({
      __CURSOR: `s=1;i=${++cursor};b=${boot}`, __REALTIME_TIMESTAMP: usec(min), _BOOT_ID: boot, _HOSTNAME: 'pve',
      _TRANSPORT: 'syslog', SYSLOG_IDENTIFIER: 'systemd-logind', _PID: '612', MESSAGE: message, ...extra,
    }),
  ];
}

/** The kernel banner, as the first journal line of a boot. */
const banner = (min: number, boot: string): [InputKind, string] =>
  journal(min, boot, 'Linux version 6.8.12-4-pve (build@proxmox) (gcc (Debian 12.2.0-14) 12.2.0) #1 SMP PREEMPT_DYNAMIC', { _TRANSPORT: 'kernel' });

/** The same banner in a syslog file (no boot id). */
const syslogBanner = (min: number): [InputKind, string] => [
  'syslog',
  `${new Date(T + min * 60_000).toISOString()} pve kernel: Linux version 6.8.12-4-pve (build@proxmox) (gcc) #1 SMP`,
];

function replay(lines: Array<[InputKind, string]>, config = {}): Alert[] {
  const engine = makeEngine([R2], { config });
  const out = lines.flatMap(([kind, l]) => engine.push({ event: parseLine(kind, l), line: l }));
  return [...out, ...engine.flush()];
}

describe('R2 reboot loop', () => {
  it('fires on the third boot of a host within an hour', () => {
    const lines = [journal(0, 'b0'), banner(10, 'b1'), journal(11, 'b1'), banner(25, 'b2'), journal(26, 'b2'), banner(40, 'b3'), journal(41, 'b3'), banner(50, 'b4')];
    const alerts = replay(lines);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      rule: 'R2', key: 'pve', count: 3, severity: 'critical', ts: '2026-06-10T02:40:00Z', firstSeen: '2026-06-10T02:10:00Z',
      summary: 'Host pve booted 3 times in 30 min (kernel 6.8.12-4-pve)',
    });
    expect(alerts[0]!.fields.details?.bootTimes).toEqual(['2026-06-10T02:10:00Z', '2026-06-10T02:25:00Z', '2026-06-10T02:40:00Z']);
  });

  it('counts a boot id change without a banner (a filtered journal) as a boot, but not the first boot id seen', () => {
    expect(replay([journal(0, 'b0'), journal(10, 'b1'), journal(20, 'b2')])).toEqual([]);
    expect(replay([journal(0, 'b0'), journal(10, 'b1'), journal(20, 'b2'), journal(30, 'b3')]).map((a) => a.count)).toEqual([3]);
  });

  it('counts one boot once when a syslog banner and the journal both show it', () => {
    const lines = [journal(0, 'b0'), syslogBanner(10), journal(10.5, 'b1'), syslogBanner(25), journal(25.5, 'b2')];
    expect(replay(lines)).toEqual([]);
    expect(replay([...lines, syslogBanner(40), journal(40.2, 'b3')]).map((a) => a.count)).toEqual([3]);
  });

  it('does not fire for boots spread over more than the window', () => {
    expect(replay([journal(0, 'b0'), journal(10, 'b1'), journal(45, 'b2'), journal(80, 'b3'), journal(115, 'b4')])).toEqual([]);
    expect(replay([journal(0, 'b0'), journal(10, 'b1'), journal(45, 'b2'), journal(80, 'b3')], { hosts: { rebootLoop: { window: '2h' } } }).map((a) => a.count)).toEqual([3]);
  });

  it('follows hosts.rebootLoop.threshold as a number of boots', () => {
    expect(replay([journal(0, 'b0'), journal(10, 'b1'), journal(20, 'b2')], { hosts: { rebootLoop: { threshold: 2 } } }).map((a) => a.count)).toEqual([2]);
  });
});
