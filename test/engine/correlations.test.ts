import { describe, expect, it } from 'vitest';
import { defineRule, type BootInfo, type MatchRule, type ShutdownInfo, type SshConnection } from '../../rules/define.js';
import { App, type SecurityEvent } from '../../schemas/event.js';
import { EngineCorrelations, SSH_TTL_MS } from '../../services/engine/correlations.js';
import { at, boot, makeEvent, shutdown, ssh } from '../helpers/events.js';
import { feed, makeEngine } from '../helpers/engine.js';

/** Feeds events through EngineCorrelations as the engine does and returns each event's boot verdict. */
function boots(events: SecurityEvent[], corr = new EngineCorrelations(100)): Array<BootInfo | null> {
  let max = Number.NEGATIVE_INFINITY;
  return events.map((e) => {
    max = Math.max(max, e.tsMs);
    corr.observe(e, max);
    return corr.boot(e);
  });
}

const journal = (sec: number, bootId: string, host = 'pve', over: Parameters<typeof makeEvent>[0] = {}) =>
  makeEvent({ tsMs: at(sec), host, bootId, source: { name: 'journal', kind: 'journal' }, ...over });
const banner = (sec: number, host = 'pve', bootId?: string) =>
  makeEvent({ tsMs: at(sec), host, app: 'kernel', action: 'host.boot', boot: boot({ bootId: bootId ?? null }), ...(bootId ? { bootId } : {}) });
const wtmp = (sec: number) =>
  makeEvent({ tsMs: at(sec), host: null, app: 'host', action: 'host.boot', boot: boot({ evidence: 'wtmp' }), source: { name: 'pve-wtmp', kind: 'syslog' } });

describe('boot detection', () => {
  it('does not take the first boot id of a host for a boot; a changed one is', () => {
    const v = boots([journal(0, 'A'), journal(10, 'A'), journal(600, 'B'), journal(610, 'B')]);
    expect(v.map((b) => b?.bootKey ?? null)).toEqual([null, null, 'pve#B', null]);
    expect(v[2]).toEqual({ host: 'pve', bootKey: 'pve#B', kernel: null });
  });

  it('does not take a late line of an earlier boot for another boot', () => {
    const v = boots([journal(0, 'A'), journal(600, 'B'), journal(590, 'A'), journal(620, 'B')]);
    expect(v.map((b) => b?.bootKey ?? null)).toEqual([null, 'pve#B', null, null]);
  });

  it('takes a banner that comes with the first boot id for a boot', () => {
    const v = boots([banner(0, 'pve', 'A'), journal(1, 'A'), journal(2, 'A')]);
    expect(v.map((b) => b?.bootKey ?? null)).toEqual(['pve#A', null, null]);
    expect(v[0]!.kernel).toBe('6.1.0-25-amd64');
  });

  it('collapses a banner and a boot-id change of one boot into one boot', () => {
    // syslog banner (no boot id) at 600 s, the journal's new boot id 30 s later.
    const v = boots([journal(0, 'A'), banner(600), journal(630, 'B'), journal(640, 'B')]);
    expect(v.map((b) => b?.bootKey ?? null)).toEqual([null, `pve#t${at(600)}`, null, null]);
  });

  it('collapses a wtmp record near a banner; a later one is a new boot', () => {
    const host = (e: SecurityEvent) => ({ ...e, host: 'pve-wtmp' });
    const v = boots([host(banner(0)), wtmp(60), wtmp(3600)]);
    expect(v.map((b) => b?.bootKey ?? null)).toEqual([`pve-wtmp#t${at(0)}`, null, `pve-wtmp#t${at(3600)}`]);
    expect(v[2]!.host).toBe('pve-wtmp'); // wtmp names no host: the source name stands in
  });

  it('keeps hosts apart', () => {
    const v = boots([journal(0, 'A', 'a'), journal(0, 'X', 'b'), journal(60, 'B', 'a'), journal(60, 'X', 'b')]);
    expect(v.map((b) => b?.bootKey ?? null)).toEqual([null, null, 'a#B', null]);
  });

  it('answers boot() only for the event being evaluated', () => {
    const corr = new EngineCorrelations(100);
    const e1 = journal(0, 'A');
    const e2 = journal(60, 'B');
    boots([e1, e2], corr);
    expect(corr.boot(e2)?.bootKey).toBe('pve#B');
    expect(corr.boot(e1)).toBeNull();
  });
});

describe('shutdown index', () => {
  const sd = (sec: number, p: Parameters<typeof shutdown>[0] = {}) =>
    makeEvent({ tsMs: at(sec), host: 'pve', action: 'host.shutdown', shutdown: shutdown(p) });

  it('prefers the request that names who asked over the markers after it', () => {
    const corr = new EngineCorrelations(100);
    boots([sd(100), sd(110, { via: 'logind', requestedBy: null, command: null }), sd(120, { via: 'systemd', requestedBy: null, command: null })], corr);
    const got: ShutdownInfo | undefined = corr.lastShutdown('pve', at(200));
    expect(got).toEqual({ tsMs: at(100), requestedBy: 'root', via: 'sudo', command: '/usr/bin/systemctl reboot' });
    expect(corr.lastShutdown('pve', at(100))).toBeUndefined();
    expect(corr.lastShutdown('other', at(200))).toBeUndefined();
  });

  it('falls back to the latest marker when nobody is named', () => {
    const corr = new EngineCorrelations(100);
    boots([sd(100, { via: 'logind', requestedBy: null, command: null })], corr);
    expect(corr.lastShutdown('pve', at(200))?.via).toBe('logind');
  });

  it('never returns a shutdown from before the previous boot', () => {
    const corr = new EngineCorrelations(100);
    // Planned reboot at 100 s, boot at 160 s, crash and boot again at 700 s.
    const v = boots([journal(0, 'A'), sd(100), journal(160, 'B'), journal(700, 'C')], corr);
    expect(v.map((b) => b?.bootKey ?? null)).toEqual([null, null, 'pve#B', 'pve#C']);
    expect(corr.lastShutdown('pve', at(160))?.tsMs).toBe(at(100));
    expect(corr.lastShutdown('pve', at(700))).toBeUndefined();
  });
});

describe('sshd connection index', () => {
  const conn = (sec: number, pid: number, host = 'bastion', localPort = 52222) =>
    makeEvent({
      tsMs: at(sec), host, app: 'sshd', action: 'connection.open',
      client: { addrs: ['203.0.113.9'], port: 40000 },
      ssh: ssh({ form: 'connection_from', pid, user: null, method: null, failures: 0, localAddr: '10.0.20.2', localPort }),
    });
  const accepted = (sec: number, pid: number, host = 'bastion') =>
    makeEvent({ tsMs: at(sec), host, app: 'sshd', action: 'auth.success', client: { addrs: ['203.0.113.9'], port: 40000 }, ssh: ssh({ form: 'accepted', pid }) });

  /** A match rule that records what ctx.corr.sshConnection says for each Accepted line. */
  function probe(): { rule: MatchRule; seen: Array<SshConnection | undefined> } {
    const seen: Array<SshConnection | undefined> = [];
    const rule = defineRule({
      kind: 'match', id: 'PROBE', title: 'probe', severity: 'info', sources: ['syslog'], apps: App.options, runbook: 'probe', tags: [], description: 'probe',
      match: (e, ctx) => {
        if (e.action === 'auth.success') seen.push(ctx.corr.sshConnection(e.host, e.ssh?.pid ?? null));
        return null;
      },
    }) satisfies MatchRule;
    return { rule, seen };
  }

  it('finds the Connection line of the same host and sshd PID', () => {
    const { rule, seen } = probe();
    feed(makeEngine([rule]), [conn(0, 77), accepted(2, 77), accepted(3, 78), accepted(4, 77, 'other')]);
    expect(seen).toEqual([
      { clientIp: '203.0.113.9', clientPort: 40000, localAddr: '10.0.20.2', localPort: 52222, tsMs: at(0) },
      undefined,
      undefined,
    ]);
  });

  it('forgets a connection after the TTL (PIDs are reused) and takes the newest for a PID', () => {
    const { rule, seen } = probe();
    const late = SSH_TTL_MS / 1000 + 1;
    feed(makeEngine([rule]), [conn(0, 77), accepted(late, 77), conn(late + 1, 77, 'bastion', 22), accepted(late + 2, 77)]);
    expect(seen.map((c) => c?.localPort)).toEqual([undefined, 22]);
  });

  it('is bounded by engine.maxKeys', () => {
    const engine = makeEngine([probe().rule], { config: { engine: { maxKeys: 3 } } });
    feed(engine, [conn(0, 1), conn(1, 2), conn(2, 3), conn(3, 4), conn(4, 5)], false);
    expect(engine.stats().keys['corr.ssh']).toBe(3);
    expect(engine.stats().evictions['corr.ssh']).toBe(2);
  });
});
