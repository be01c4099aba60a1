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
import { BootTracker, carriesBoot, type BootsJson } from './boots.js';
import { CappedMap } from './capped-map.js';

export const SSH_TTL_MS = 60 * 60_000;

export interface CorrelationsJson {
  ssh: Array<[string, SshConnection]>;
  boots: BootsJson;
}

function sshKey(host: string | null, pid: number): string {
  return `${host ?? ''}\u0000${pid}`;
}

/** An sshd `Connection from` line the ssh index keeps (see observe()). */
function isSshConnection(e: SecurityEvent): boolean {
  return e.action === 'connection.open' && e.app === 'sshd' && (e.ssh?.pid ?? null) !== null && e.client.addrs[0] !== undefined;
}

/**
 * issue 7: whether observe(e) can change an index (a shutdown, boot evidence, an sshd
 * connection). On the Kafka path such an event must reach the replica that owns its
 * host's indexes. Mirrors observe() and BootTracker.observe(): keep them in step.
 */
export function touchesCorrelations(e: SecurityEvent): boolean {
  return (e.action === 'host.shutdown' && !!e.shutdown) || carriesBoot(e) || isSshConnection(e);
}

/**
 * issue 7: Correlations without state, for Engine.stateRoutes(): each lookup answers
 * "nothing" and, when a real index could have answered otherwise, sets `consulted`, so
 * the caller knows the rule's verdict on this event depends on the host's indexes.
 */
export class ProbeCorrelations implements Correlations {
  consulted = false;

  sshConnection(_host: string | null, pid: number | null): SshConnection | undefined {
    if (pid !== null) this.consulted = true;
    return undefined;
  }

  boot(e: SecurityEvent): BootInfo | null {
    if (carriesBoot(e)) this.consulted = true;
    return null;
  }

  lastShutdown(): ShutdownInfo | undefined {
    this.consulted = true;
    return undefined;
  }
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
    if (isSshConnection(e)) {
      this.ssh.set(sshKey(e.host, e.ssh!.pid!), {
        clientIp: e.client.addrs[0]!,
        clientPort: e.client.port,
        localAddr: e.ssh?.localAddr ?? null,
        localPort: e.ssh?.localPort ?? null,
        tsMs: e.tsMs,
      });
    }
  }

  /**
   * issue 8: what observe() does for an event the prefilter proved touches no index (a
   * k8s-audit line: not sshd, no boot id, no boot or shutdown record): only the sweep.
   */
  observeQuiet(maxMs: number): void {
    this.current = null;
    this.currentBoot = null;
    if (this.ssh.size > 0) this.ssh.sweep((c) => c.tsMs < maxMs - SSH_TTL_MS);
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
