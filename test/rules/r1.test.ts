import { describe, expect, it } from 'vitest';
import { R1, inMaintenance } from '../../rules/hosts/r1-unplanned-boot.js';
import type { BootInfo, Correlations, ShutdownInfo } from '../../rules/define.js';
import type { ConfigInput } from '../../schemas/config.js';
import type { SecurityEvent } from '../../schemas/event.js';
import { findingsOf, makeContext } from '../helpers/context.js';
import { parseOne, syslogLine } from '../helpers/rule-events.js';

const BOOT_TS = '2026-06-10T00:30:00.000000+00:00';
const BOOT_MS = Date.parse('2026-06-10T00:30:00Z');
const MIN = 60_000;

const banner = (host = 'swarm-gw', ts = BOOT_TS) =>
  parseOne('syslog', syslogLine(host, 'kernel', null, 'Linux version 6.6.30-gentoo (root@swarm-gw) (gcc 13.2.1) #1 SMP PREEMPT_DYNAMIC', ts));

/** Correlations for one boot of `host` and, optionally, the shutdown before it. */
function corr(shutdown?: ShutdownInfo): Partial<Correlations> {
  return {
    boot: (e: SecurityEvent): BootInfo | null => (e.action === 'host.boot' && e.host ? { host: e.host, bootKey: `${e.host}:b1`, kernel: e.boot?.kernel ?? null } : null),
    lastShutdown: (host: string, beforeMs: number) => (shutdown && host === 'swarm-gw' && shutdown.tsMs < beforeMs ? shutdown : undefined),
  };
}
const sudoReboot = (by: string | null, agoMin: number): ShutdownInfo => ({
  tsMs: BOOT_MS - agoMin * MIN,
  requestedBy: by,
  via: by === null ? 'logind' : 'sudo',
  command: by === null ? null : '/usr/bin/systemctl reboot',
});
const run = (cfg: ConfigInput, c: Partial<Correlations>, e = banner()) => findingsOf(R1.match(e, makeContext(cfg, c)));

describe('R1 unplanned boot', () => {
  it('fires for a boot with no shutdown before it (the NAT gateway rebooted by the orchestrator)', () => {
    const [f, ...rest] = run({}, corr());
    expect(rest).toEqual([]);
    expect(f!.key).toBe('swarm-gw');
    expect(f!.summary).toBe('Host swarm-gw booted (kernel 6.6.30-gentoo) without a planned shutdown: no shutdown was logged before it');
    expect(f!.fields).toMatchObject({ host: 'swarm-gw', target: 'swarm-gw', actor: null });
    expect(f!.fields!.details).toMatchObject({ bootKey: 'swarm-gw:b1', kernel: '6.6.30-gentoo', evidence: 'banner', lastShutdownAt: null });
  });

  it('fires only when the engine says the event is boot evidence', () => {
    expect(run({}, {}, banner())).toEqual([]); // corr.boot → null (e.g. the same boot's second piece of evidence)
  });

  it('is planned after a reboot by an allowed user within hosts.plannedWindow', () => {
    expect(run({}, corr(sudoReboot('root', 5)))).toEqual([]);
    expect(run({}, corr(sudoReboot('me@viktorbarzin.me', 15)))).toEqual([]);
  });

  it('fires when the shutdown was too long before the boot', () => {
    const out = run({}, corr(sudoReboot('root', 20)));
    expect(out.map((f) => f.summary)).toEqual([
      'Host swarm-gw booted (kernel 6.6.30-gentoo) without a planned shutdown: the last shutdown request was 20 min earlier (more than 15 min)',
    ]);
    expect(out[0]!.fields!.details).toMatchObject({ lastShutdownAt: '2026-06-10T00:10:00.000Z', lastShutdownBy: 'root', lastShutdownVia: 'sudo' });
    expect(run({ hosts: { plannedWindow: '30m' } }, corr(sudoReboot('root', 20)))).toEqual([]);
  });

  it('fires when the shutdown was requested by someone not allowed, or by nobody known', () => {
    expect(run({}, corr(sudoReboot('alice', 2))).map((f) => f.summary)).toEqual([
      'Host swarm-gw booted (kernel 6.6.30-gentoo) without a planned shutdown: the shutdown before it was requested by alice, who is not in hosts.rebootAllowed',
    ]);
    expect(run({}, corr(sudoReboot(null, 1))).map((f) => f.summary)).toEqual([
      'Host swarm-gw booted (kernel 6.6.30-gentoo) without a planned shutdown: the shutdown before it (logind) names no user',
    ]);
    expect(run({ hosts: { rebootAllowed: ['ali*'] } }, corr(sudoReboot('alice', 2)))).toEqual([]);
  });

  describe('maintenance windows', () => {
    it('absolute RFC 3339 window: inside is planned, outside fires', () => {
      const w = { from: '2026-06-10T00:00:00Z', to: '2026-06-10T01:00:00Z' };
      expect(run({ hosts: { maintenance: [w] } }, corr())).toEqual([]);
      expect(run({ hosts: { maintenance: [{ from: '2026-06-10T02:00:00+03:00', to: '2026-06-10T03:00:00+03:00' }] } }, corr())).toHaveLength(1);
      expect(run({ hosts: { maintenance: [{ from: '2026-06-09T00:00:00Z', to: '2026-06-10T00:29:59Z' }] } }, corr())).toHaveLength(1);
    });

    it('applies only to the hosts it names', () => {
      const w = { hosts: ['pve*'], from: '2026-06-10T00:00:00Z', to: '2026-06-10T01:00:00Z' };
      expect(run({ hosts: { maintenance: [w] } }, corr())).toHaveLength(1);
      expect(run({ hosts: { maintenance: [{ ...w, hosts: ['swarm-*'] }] } }, corr())).toEqual([]);
    });

    it('daily HH:MM window read in its timezone', () => {
      // 00:30Z on 10 June is 03:30 in Sofia (EEST, UTC+3).
      const sofia = { from: '03:00', to: '04:00', timezone: 'Europe/Sofia' };
      expect(run({ hosts: { maintenance: [sofia] } }, corr())).toEqual([]);
      expect(run({ hosts: { maintenance: [{ from: '03:00', to: '04:00' }] } }, corr())).toHaveLength(1); // UTC: 00:30 is outside
      // In January Sofia is UTC+2: 01:30Z is 03:30 local.
      const jan = banner('swarm-gw', '2026-01-10T01:30:00.000000+00:00');
      expect(run({ hosts: { maintenance: [sofia] } }, corr(), jan)).toEqual([]);
    });

    it('daily window crossing midnight', () => {
      expect(run({ hosts: { maintenance: [{ from: '23:00', to: '01:00' }] } }, corr())).toEqual([]);
      expect(run({ hosts: { maintenance: [{ from: '23:00', to: '00:30' }] } }, corr())).toHaveLength(1); // end is exclusive
    });
  });

  it('judges maintenance windows directly', () => {
    const t = Date.parse('2026-06-10T12:00:00Z');
    const w = (from: string, to: string, timezone = 'UTC') => ({ hosts: [], from, to, timezone });
    expect(inMaintenance(w('11:59', '12:01'), t)).toBe(true);
    expect(inMaintenance(w('12:00', '12:00'), t)).toBe(false); // empty window
    expect(inMaintenance(w('12:00', '13:00', 'Not/AZone'), t)).toBe(false);
    expect(inMaintenance(w('12:00', '2026-06-10T13:00:00Z'), t)).toBe(false); // mixed forms
    expect(inMaintenance(w('2026-06-10T11:00:00Z', '2026-06-10T12:00:00Z'), t)).toBe(false);
    expect(inMaintenance(w('2026-06-10T14:00:00', '2026-06-10T15:00:00', 'Europe/Sofia'), t)).toBe(false); // 11:00-12:00Z, end exclusive
    expect(inMaintenance(w('2026-06-10T14:30:00', '2026-06-10T15:30:00', 'Europe/Sofia'), t)).toBe(true);
  });

  it('declares its metadata', () => {
    expect(R1).toMatchObject({ id: 'R1', severity: 'warning', runbook: 'r1', sources: ['journal', 'syslog', 'swarm'] });
    expect(R1.apps).toContain('kernel');
    expect(R1.params!(makeContext().config)).toEqual({ rebootAllowed: ['root', 'me@viktorbarzin.me'], plannedWindowMs: 900_000, maintenance: [] });
  });
});
