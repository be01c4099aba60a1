// The engine's Correlations (rules/define.ts): lookups across lines that stateless rules
// read through ctx.corr. The engine calls observe() once per event BEFORE the rules run,
// so a rule asking about the current event sees the state as of the lines before it.
//
// - sshConnection: sshd `Connection from <ip> port <n> on <local> port <lp>` lines
//   (action connection.open) indexed by host + sshd PID, for S3's break-glass port.
//   An entry older than SSH_TTL_MS (event time) than the asking event is stale (PIDs
//   are reused); a newer line for the same host+PID replaces it.
// - boot / lastShutdown: see boots.ts.
//
// Invariants: no clock (all times are event times); every index capped by maxKeys with
// LRU eviction (counted); state is JSON for the engine snapshot.
import type { SecurityEvent } from '../../schemas/event.js';
import type { BootInfo, Correlations, ShutdownInfo, SshConnection } from '../../rules/define.js';
import { BootTracker, type BootsJson } from './boots.js';
import { CappedMap } from './capped-map.js';

export const SSH_TTL_MS = 60 * 60_000;

export interface CorrelationsJson {
  ssh: Array<[string, SshConnection]>;
  boots: BootsJson;
}

function sshKey(host: string | null, pid: number): string {
  return `${host ?? ''}\u0000${pid}`;
}

export class EngineCorrelations implements Correlations {
  readonly ssh: CappedMap<SshConnection>;
  readonly boots: BootTracker;
  private current: SecurityEvent | null = null;
  private currentBoot: BootInfo | null = null;

  constructor(maxKeys: number) {
    this.ssh = new CappedMap<SshConnection>(maxKeys);
    this.boots = new BootTracker(maxKeys);
  }

  /** Indexes `e` and remembers its boot verdict; `maxMs` is the newest event time so far. */
  observe(e: SecurityEvent, maxMs: number): void {
    this.current = e;
    this.currentBoot = this.boots.observe(e);
    this.ssh.sweep((c) => c.tsMs < maxMs - SSH_TTL_MS);
    const pid = e.ssh?.pid ?? null;
    const ip = e.client.addrs[0];
    if (e.action === 'connection.open' && e.app === 'sshd' && pid !== null && ip !== undefined) {
      this.ssh.set(sshKey(e.host, pid), {
        clientIp: ip,
        clientPort: e.client.port,
        localAddr: e.ssh?.localAddr ?? null,
        localPort: e.ssh?.localPort ?? null,
        tsMs: e.tsMs,
      });
    }
  }

  sshConnection(host: string | null, pid: number | null): SshConnection | undefined {
    if (pid === null) return undefined;
    const c = this.ssh.get(sshKey(host, pid));
    if (!c) return undefined;
    const now = this.current?.tsMs ?? c.tsMs;
    if (c.tsMs < now - SSH_TTL_MS || c.tsMs > now) return undefined;
    return { ...c };
  }

  boot(e: SecurityEvent): BootInfo | null {
    // Only the event being evaluated has a verdict; asking about any other is a rule bug.
    if (e !== this.current && e.id !== this.current?.id) return null;
    return this.currentBoot ? { ...this.currentBoot } : null;
  }

  lastShutdown(host: string, beforeMs: number): ShutdownInfo | undefined {
    return this.boots.lastShutdown(host, beforeMs);
  }

  toJSON(): CorrelationsJson {
    return { ssh: [...this.ssh.entries()].map(([k, c]) => [k, { ...c }]), boots: this.boots.toJSON() };
  }

  restore(j: CorrelationsJson): void {
    for (const [k, c] of j.ssh) this.ssh.set(k, { ...c });
    this.boots.restore(j.boots);
  }
}
