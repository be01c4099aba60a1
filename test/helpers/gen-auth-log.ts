// A seeded sshd auth.log (RFC 3164) of benign logins with attacks mixed in: each
// attack is an Accepted login from a distinct public address (one S1 alert each).
// Used by the crash-safety test and the latency benchmark.

// One seeded PRNG for generated inputs, shared with the benchmark generator.
import { mulberry32 } from '../../bench/gen.js';
export { mulberry32 };

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function syslogTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

export interface AuthLog {
  lines: string[];
  attacks: number;
}

/** `total` lines starting at `startMs`, one every ~`stepMs`, of which `attacks` are public logins. */
export function generateAuthLog(total: number, attacks: number, seed = 7, startMs = Date.UTC(2026, 5, 10), stepMs = 50): AuthLog {
  const rand = mulberry32(seed);
  const attackAt = new Set<number>();
  while (attackAt.size < attacks) attackAt.add(1 + Math.floor(rand() * (total - 2)));
  const lines: string[] = [];
  let n = 0;
  for (let i = 0; i < total; i++) {
    const t = syslogTime(startMs + i * stepMs);
    const pid = 10_000 + (i % 50_000);
    if (attackAt.has(i)) {
      n++;
      lines.push(`${t} pve sshd[${pid}]: Accepted password for intruder${n} from 203.0.${Math.floor(n / 250)}.${n % 250} port ${40_000 + n} ssh2`);
    } else if (i % 3 === 0) {
      lines.push(`${t} pve sshd[${pid}]: Accepted publickey for viktor from 192.168.1.${5 + (i % 20)} port ${30_000 + (i % 30_000)} ssh2: ED25519 SHA256:abcdef${i % 97}`);
    } else if (i % 3 === 1) {
      lines.push(`${t} pve sshd[${pid}]: pam_unix(sshd:session): session opened for user viktor(uid=1000) by (uid=0)`);
    } else {
      lines.push(`${t} pve sshd[${pid}]: Disconnected from user viktor 192.168.1.${5 + (i % 20)} port ${30_000 + (i % 30_000)}`);
    }
  }
  return { lines, attacks: n };
}
