// Host lifecycle correlation (R1, R2): which events are evidence of a new boot, and the
// shutdowns that preceded a boot.
//
// Boot evidence (docs/rules.md, R1):
// - a kernel banner (action host.boot, boot.evidence 'banner') or a wtmp boot record
//   (boot.evidence 'wtmp'), or any host.boot event a parser emits;
// - a journal boot id that differs from every boot id seen before for the host. The
//   first boot id seen for a host with no saved state is NOT a boot (the detector just
//   started reading) unless a banner comes with it. Several recent ids are remembered,
//   so a late line from the previous boot does not look like another boot.
// Evidence of one boot (banner, boot id, wtmp record within BOOT_COLLAPSE_MS, or the
// same boot id) collapses to one bootKey, and only the FIRST piece of evidence is
// reported: boot() is non-null once per boot, so a stateless R1 alerts once per boot
// and R2 counts each boot once.
//
// Host: event.host, else the source name (wtmp records name no host; a `last -x` file
// belongs to one host).
//
// Shutdowns: the last MAX_SHUTDOWNS 'host.shutdown' events per host. lastShutdown()
// prefers a request that names who asked (sudo `systemctl reboot`) over the markers
// that follow it (logind "System is rebooting.", systemd "Reached target Reboot"), and
// never returns one from before the host's previous boot (that one was used up).
//
// Bounded: hosts capped by maxKeys (LRU), small fixed lists per host.
import type { SecurityEvent } from '../../schemas/event.js';
import type { BootInfo, ShutdownInfo } from '../../rules/define.js';
import { CappedMap } from './capped-map.js';

export const BOOT_COLLAPSE_MS = 5 * 60_000;
const MAX_IDS = 8;
const MAX_BOOTS = 8;
const MAX_SHUTDOWNS = 8;

export interface HostBootState {
  /** Journal boot ids seen for the host, most recent last. */
  ids: string[];
  /** Recent boots, ascending time. */
  boots: Array<{ key: string; ms: number; bootId: string | null }>;
}

export interface BootsJson {
  hosts: Array<[string, HostBootState]>;
  shutdowns: Array<[string, ShutdownInfo[]]>;
}

export function hostOf(e: SecurityEvent): string {
  return e.host ?? e.source.name;
}

/** Whether observe() may take `e` as boot evidence: it carries a boot id or is an explicit boot record. */
export function carriesBoot(e: SecurityEvent): boolean {
  return (e.bootId ?? e.boot?.bootId ?? null) !== null || (e.action === 'host.boot' && e.boot !== undefined);
}

export class BootTracker {
  readonly hosts: CappedMap<HostBootState>;
  readonly shutdowns: CappedMap<ShutdownInfo[]>;

  constructor(maxKeys: number) {
    this.hosts = new CappedMap<HostBootState>(maxKeys);
    this.shutdowns = new CappedMap<ShutdownInfo[]>(maxKeys);
  }

  /** Updates the indexes with `e`; returns the boot it is the first evidence of, else null. */
  observe(e: SecurityEvent): BootInfo | null {
    const host = hostOf(e);
    if (e.action === 'host.shutdown' && e.shutdown) this.recordShutdown(host, e);

    const bootId = e.bootId ?? e.boot?.bootId ?? null;
    const explicit = e.action === 'host.boot' && e.boot !== undefined;
    if (bootId === null && !explicit) return null;

    const st = this.hosts.get(host) ?? { ids: [], boots: [] };
    const changed = bootId !== null && st.ids.length > 0 && !st.ids.includes(bootId);
    if (bootId !== null && !st.ids.includes(bootId)) {
      st.ids.push(bootId);
      if (st.ids.length > MAX_IDS) st.ids.shift();
    }
    this.hosts.set(host, st); // touched on every line that carries a boot id: an active host is never the LRU victim
    if (!explicit && !changed) return null;

    const last = st.boots.at(-1);
    if (last) {
      if (bootId !== null && last.bootId === bootId) return null;
      if (Math.abs(e.tsMs - last.ms) <= BOOT_COLLAPSE_MS && (bootId === null || last.bootId === null)) {
        last.bootId ??= bootId;
        return null;
      }
    }
    const key = `${host}#${bootId ?? `t${e.tsMs}`}`;
    st.boots.push({ key, ms: e.tsMs, bootId });
    st.boots.sort((a, b) => a.ms - b.ms);
    if (st.boots.length > MAX_BOOTS) st.boots.shift();
    return { host, bootKey: key, kernel: e.boot?.kernel ?? null };
  }

  private recordShutdown(host: string, e: SecurityEvent): void {
    const s = e.shutdown!;
    const list = this.shutdowns.get(host) ?? [];
    list.push({ tsMs: e.tsMs, requestedBy: s.requestedBy, via: s.via, command: s.command });
    list.sort((a, b) => a.tsMs - b.tsMs);
    if (list.length > MAX_SHUTDOWNS) list.shift();
    this.shutdowns.set(host, list);
  }

  lastShutdown(host: string, beforeMs: number): ShutdownInfo | undefined {
    const list = this.shutdowns.get(host);
    if (!list) return undefined;
    let prevBoot = Number.NEGATIVE_INFINITY;
    for (const b of this.hosts.get(host)?.boots ?? []) if (b.ms < beforeMs) prevBoot = Math.max(prevBoot, b.ms);
    let latest: ShutdownInfo | undefined;
    let request: ShutdownInfo | undefined;
    for (const s of list) {
      if (s.tsMs >= beforeMs || s.tsMs <= prevBoot) continue;
      latest = s; // list is ascending
      if (s.requestedBy !== null) request = s;
    }
    const pick = request ?? latest;
    return pick ? { ...pick } : undefined;
  }

  toJSON(): BootsJson {
    return {
      hosts: [...this.hosts.entries()].map(([h, s]) => [h, structuredClone(s)]),
      shutdowns: [...this.shutdowns.entries()].map(([h, l]) => [h, l.map((x) => ({ ...x }))]),
    };
  }

  restore(j: BootsJson): void {
    for (const [h, s] of j.hosts) this.hosts.set(h, structuredClone(s));
    for (const [h, l] of j.shutdowns) this.shutdowns.set(h, l.map((x) => ({ ...x })));
  }
}
