// sshd program parser: the message body of an sshd, sshd-session, sshd-auth or
// sshd(pam_unix) line → auth facts for rules S1 (accepted login), S2 (brute force) and
// S3 (break-glass port, learned from the same PID's "Connection from … on … port P").
// Forms: docs/formats.md §3; upstream github.com/openssh/openssh-portable auth.c
// (auth_log), auth2.c, packet.c, sshd-session.c; github.com/linux-pam/linux-pam
// modules/pam_unix/support.c and pam_unix_sess.c.
//
// Invariants:
// - Usernames (and hostbased auth-info) are attacker text and may hold spaces and a fake
//   ` from 1.2.3.4 port 22`. The address is found from the END of the line: the last
//   well-formed ` from <ip>[ port <n>][ ssh2]` that ends the text or is followed by `: `
//   (see lastFrom). The user is everything between `for ` and that ` from `.
// - Addresses must be IPv4/IPv6 literals (node:net isIP); IPv6 is never split on ':'.
//   `::ffff:a.b.c.d` is reported as `a.b.c.d` so one attacker has one key.
// - Linear time: only indexOf/lastIndexOf/startsWith and small anchored regexes.
// - Never throws; an unrecognized message is app 'sshd', action 'other', ssh.form 'other'.
//
// S2 classification ("Failed password/publickey, Invalid user, too many authentication
// failures" count): auth.failure = failed, invalid_user, max_auth_exceeded,
// too_many_failures, root_refused, user_not_allowed, pam_auth_failure, pam_more_failures,
// pam_error. Scanner noise (negotiation_failed, no_identification, bad_protocol,
// reverse_mapping, received_disconnect, closes) is auth.other: no password was tried.
import { isIP } from 'node:net';
import type { Action } from '../../../schemas/event.js';
import type { ProgramFacts, ProgramParser } from './types.js';

interface Addr {
  ip: string;
  port: number | null;
}

interface Found {
  user?: string | null;
  invalid?: boolean;
  method?: string | null;
  keyType?: string | null;
  fp?: string | null;
  addr?: Addr | null;
  local?: Addr | null;
  failures?: number;
}

function normIp(tok: string): string | null {
  if (tok.length === 0 || tok.length > 64) return null;
  const v = isIP(tok);
  if (v === 0) return null;
  if (v === 6 && /^::ffff:\d/i.test(tok) && isIP(tok.slice(7)) === 4) return tok.slice(7);
  return tok;
}

/** Digits at s[i] (1-5, value ≤ 65535, not followed by another digit). */
function readPort(s: string, i: number): { port: number; end: number } | null {
  const m = /^\d{1,5}(?!\d)/.exec(s.slice(i, i + 6));
  if (!m || +m[0] > 65535) return null;
  return { port: +m[0], end: i + m[0].length };
}

/** `<ip>[ port <n>]` starting at s[i]; the address token ends at a space or the end. */
function ipPortAt(s: string, i: number): Addr | null {
  let k = s.indexOf(' ', i);
  if (k < 0) k = s.length;
  if (k - i > 64) return null;
  const ip = normIp(s.slice(i, k));
  if (!ip) return null;
  const p = s.startsWith(' port ', k) ? readPort(s, k + 6) : null;
  return { ip, port: p?.port ?? null };
}

/** At s[i] === ' from ': `<ip>[ port <n>][ ssh2|ssh1]`, then the end or `:`. */
function fromAt(s: string, i: number): { addr: Addr; end: number } | null {
  const j = i + 6;
  let k = s.indexOf(' ', j);
  if (k < 0) k = s.length;
  if (k - j > 64) return null;
  const ip = normIp(s.slice(j, k));
  if (!ip) return null;
  let port: number | null = null;
  if (s.startsWith(' port ', k)) {
    const p = readPort(s, k + 6);
    if (!p) return null;
    port = p.port;
    k = p.end;
  }
  if (s.startsWith(' ssh2', k) || s.startsWith(' ssh1', k)) k += 5;
  if (k !== s.length && !(s[k] === ':' && (k + 1 === s.length || s[k + 1] === ' '))) return null;
  return { addr: { ip, port }, end: k };
}

/**
 * The real ` from <ip> port <n>`: the last well-formed one WITH a port, else the last
 * without one (pre-5.x sshd printed none). A fake inside the user name is followed by
 * more text, not by the end or `: `, so it is skipped. Password/keyboard-interactive
 * lines carry no auth-info in OpenSSH, so `…ssh2: from X port N ssh2` can only be a
 * user name ending in `ssh2:`: X is the peer (fail2ban's sample reads it the other way).
 */
function lastFrom(s: string): { start: number; addr: Addr; end: number } | null {
  let portless: { start: number; addr: Addr; end: number } | null = null;
  for (let i = s.lastIndexOf(' from '); i >= 0; i = i === 0 ? -1 : s.lastIndexOf(' from ', i - 1)) {
    const r = fromAt(s, i);
    if (!r) continue;
    if (r.addr.port !== null) return { start: i, ...r };
    portless ??= { start: i, ...r };
  }
  return portless;
}

/** `[<who> ]<ip>[ port <n>]` read from the end, so `who` (attacker text) can hold anything. */
function tailAddr(s: string): { who: string; addr: Addr } | null {
  let end = s.length;
  let port: number | null = null;
  const p = s.lastIndexOf(' port ');
  if (p >= 0 && /^\d{1,5}$/.test(s.slice(p + 6)) && +s.slice(p + 6) <= 65535) {
    port = +s.slice(p + 6);
    end = p;
  }
  const sp = end === 0 ? -1 : s.lastIndexOf(' ', end - 1);
  const ip = normIp(s.slice(sp + 1, end));
  if (!ip) return null;
  return { who: sp < 0 ? '' : s.slice(0, sp), addr: { ip, port } };
}

/** `authenticating user X` / `invalid user X` / `user X` (X may be empty or hold spaces). */
function whoUser(who: string): { user: string | null; invalid: boolean } {
  if (who.startsWith('authenticating user ')) return { user: who.slice(20), invalid: false };
  if (who.startsWith('invalid user ')) return { user: who.slice(13), invalid: true };
  if (who.startsWith('user ')) return { user: who.slice(5), invalid: false };
  return { user: null, invalid: false };
}

function mk(form: string, action: Action, pid: number | null, f: Found = {}): ProgramFacts {
  const user = f.user ?? null;
  const invalid = f.invalid ?? false;
  const out: ProgramFacts = {
    app: 'sshd',
    action,
    outcome: action === 'auth.success' ? 'success' : action === 'auth.failure' ? 'failure' : 'unknown',
    ssh: {
      form,
      pid,
      user,
      invalidUser: invalid,
      method: f.method ?? null,
      keyType: f.keyType ?? null,
      keyFingerprint: f.fp ?? null,
      localAddr: f.local?.ip ?? null,
      localPort: f.local?.port ?? null,
      failures: f.failures ?? (action === 'auth.failure' ? 1 : 0),
    },
  };
  // An invalid user names no account, so it is not a known human.
  if (user !== null) out.actor = { name: user, kind: invalid ? 'unknown' : 'human', id: null };
  if (f.addr) out.client = { addrs: [f.addr.ip], port: f.addr.port };
  return out;
}

const AUTH_VERB = /^(Accepted|Failed|Postponed|Partial) (\S{1,64}) for /;
const VERB_ACTION: Record<string, Action> = { Accepted: 'auth.success', Failed: 'auth.failure' };

/** auth_log: `<Verb> <method> for [invalid user ]<user> from <ip> port <n> ssh2[: <info>]`. */
function authLog(s: string, pid: number | null): ProgramFacts | null {
  const m = AUTH_VERB.exec(s);
  if (!m) return null;
  const verb = m[1]!;
  let rest = s.slice(m[0].length);
  let invalid = rest.startsWith('invalid user ');
  if (invalid) rest = rest.slice(13);
  const f = lastFrom(rest);
  const user = f ? rest.slice(0, f.start) : null;
  if (user === '<invalid username>') invalid = true; // Solaris/macOS wording
  let keyType: string | null = null;
  let fp: string | null = null;
  if (f && f.end < rest.length) {
    // `KEYTYPE SHA256:fp[ ID … CA …]` or hostbased `RSA fp, client user "…"`.
    const info = /^: ([A-Z][A-Z0-9-]{1,30}) (\S{1,200})/.exec(rest.slice(f.end, f.end + 240));
    if (info) [keyType, fp] = [info[1]!, info[2]!.replace(/,$/, '')];
  }
  const form = verb.toLowerCase();
  return mk(form, VERB_ACTION[verb] ?? 'auth.other', pid, { user, invalid, method: m[2]!, keyType, fp, addr: f?.addr ?? null });
}

/** pam_unix fields: the FIRST ` rhost=` (the user, printed after it, is attacker text). */
function pamKv(s: string): { addr: Addr | null; user: string | null } {
  const r = s.indexOf(' rhost=');
  if (r < 0) return { addr: null, user: null };
  let e = s.indexOf(' ', r + 7);
  if (e < 0) e = s.length;
  const ip = normIp(s.slice(r + 7, e)); // a DNS name or empty rhost gives no address
  let user: string | null = null;
  if (s.startsWith('  user=', e)) user = s.slice(e + 7);
  else if (s.startsWith(' user=', e)) user = s.slice(e + 6);
  return { addr: ip ? { ip, port: null } : null, user };
}

/** PAM lines after the `pam_unix(sshd:auth): ` prefix (or with the module in the tag). */
function pamFacts(s: string, pid: number | null): ProgramFacts {
  if (s.startsWith('authentication failure;')) return mk('pam_auth_failure', 'auth.failure', pid, pamKv(s));
  if (s.startsWith('check pass; user unknown')) return mk('pam_user_unknown', 'auth.other', pid);
  const sess = /^session (opened|closed) for user /.exec(s);
  if (sess) {
    let u = s.slice(sess[0].length);
    const by = u.lastIndexOf(' by ');
    if (by >= 0) u = u.slice(0, by);
    const uid = u.indexOf('(uid=');
    if (uid >= 0) u = u.slice(0, uid);
    return mk(`pam_session_${sess[1]}`, 'auth.other', pid, { user: u });
  }
  return mk('pam_other', 'auth.other', pid);
}

/** `PAM: Authentication failure for [illegal user ]X from <host>[ via <local>]` (BSD/macOS). */
function pamColon(s: string, pid: number | null): ProgramFacts {
  const f = s.indexOf(' for ');
  if (f < 0) return mk('pam_error', 'auth.failure', pid);
  let rest = s.slice(f + 5);
  const via = rest.lastIndexOf(' via ');
  if (via >= 0 && !rest.includes(' ', via + 5)) rest = rest.slice(0, via);
  let invalid = false;
  for (const p of ['illegal user ', 'invalid user ']) if (rest.startsWith(p)) [rest, invalid] = [rest.slice(p.length), true];
  const fr = rest.lastIndexOf(' from ');
  if (fr < 0) return mk('pam_error', 'auth.failure', pid, { user: rest, invalid });
  const ip = normIp(rest.slice(fr + 6));
  return mk('pam_error', 'auth.failure', pid, { user: rest.slice(0, fr), invalid, addr: ip ? { ip, port: null } : null });
}

const PAM_PREFIX = /^pam_[a-z0-9_]{1,32}\(sshd:[a-z]{1,16}\): /;
const PAM_MORE = /^PAM (\d{1,6}) more authentication failures?;/;
const TOO_MANY = ': Too many authentication failures';

function classify(s: string, pid: number | null, program: string): ProgramFacts {
  const auth = authLog(s, pid);
  if (auth) return auth;
  const pam = PAM_PREFIX.exec(s);
  if (pam) return pamFacts(s.slice(pam[0].length), pid);
  if (program === 'sshd(pam_unix)') return pamFacts(s, pid); // old RedHat: module in the tag
  const inv = /^(?:Invalid|Illegal) user /.exec(s);
  const max = s.startsWith('maximum authentication attempts exceeded for ');
  if (inv || max) {
    let rest = s.slice(inv ? inv[0].length : 45);
    let invalid = !!inv;
    if (max && rest.startsWith('invalid user ')) [rest, invalid] = [rest.slice(13), true];
    const f = lastFrom(rest);
    const found = { user: f ? rest.slice(0, f.start) : rest, invalid, addr: f?.addr ?? null };
    return mk(max ? 'max_auth_exceeded' : 'invalid_user', 'auth.failure', pid, found);
  }
  const more = PAM_MORE.exec(s);
  if (more) return mk('pam_more_failures', 'auth.failure', pid, { ...pamKv(s), failures: +more[1]! });
  if (s.startsWith('PAM: ')) return pamColon(s, pid);
  if (s.startsWith('PAM service(')) return mk('pam_max_retries', 'auth.other', pid);
  if (s.startsWith('Connection from ')) {
    // `Connection from <ip> port <n> on <local> port <lp>[ rdomain "…"]` (S3 keys on pid).
    const addr = ipPortAt(s, 16);
    const on = s.indexOf(' on ', 16);
    const local = addr && on >= 0 ? ipPortAt(s, on + 4) : null;
    return mk('connection_from', 'connection.open', pid, { addr, local });
  }
  for (const [pre, form] of [
    ['Connection closed by ', 'connection_closed'],
    ['Connection reset by ', 'connection_reset'],
    ['Disconnected from ', 'disconnected'],
  ] as const) {
    if (!s.startsWith(pre)) continue;
    const t = tailAddr(s.slice(pre.length));
    return mk(form, 'auth.other', pid, t ? { ...whoUser(t.who), addr: t.addr } : {});
  }
  if (s.startsWith('Disconnecting: Too many authentication failures')) {
    const u = s.slice(47);
    return mk('too_many_failures', 'auth.failure', pid, { user: u.startsWith(' for ') ? u.slice(5) : null });
  }
  if (s.startsWith('Disconnecting ') && s.endsWith(TOO_MANY)) {
    const t = tailAddr(s.slice(14, s.length - TOO_MANY.length));
    return mk('too_many_failures', 'auth.failure', pid, t ? { ...whoUser(t.who), addr: t.addr } : {});
  }
  if (s.startsWith('Disconnecting ')) {
    // Other reasons may quote user names after `: `; the address ends the part before.
    const c = s.indexOf(': ', 14);
    const t = c >= 0 ? tailAddr(s.slice(14, c)) : null;
    return mk('disconnecting', 'auth.other', pid, t ? { ...whoUser(t.who), addr: t.addr } : {});
  }
  if (s.startsWith('Received disconnect from ')) {
    // `… from <ip> port <n>:<code>: <text>` or older `… from <ip>: <code>: <text>`.
    const rest = s.slice(25);
    const c = rest.indexOf(': ');
    const sp = rest.indexOf(' ');
    let addr = sp >= 0 && rest.startsWith(' port ', sp) ? ipPortAt(rest, 0) : null;
    if (!addr && c >= 0) {
      const ip = normIp(rest.slice(0, c));
      addr = ip ? { ip, port: null } : null;
    }
    return mk('received_disconnect', 'auth.other', pid, { addr });
  }
  if (s.startsWith('ROOT LOGIN REFUSED FROM ')) return mk('root_refused', 'auth.failure', pid, { user: 'root', addr: ipPortAt(s, 24) });
  if (s.startsWith('User ') && s.includes(' not allowed because ')) {
    // `User <u>[ from <host>] not allowed because …`: <u> names an existing account.
    const head = s.slice(5, s.indexOf(' not allowed because '));
    const fr = head.lastIndexOf(' from ');
    const ip = fr >= 0 ? normIp(head.slice(fr + 6)) : null;
    return mk('user_not_allowed', 'auth.failure', pid, { user: fr >= 0 ? head.slice(0, fr) : head, addr: ip ? { ip, port: null } : null });
  }
  if (s.startsWith('Unable to negotiate with ')) return mk('negotiation_failed', 'auth.other', pid, { addr: ipPortAt(s, 25) });
  if (s.startsWith('Did not receive identification string from ')) {
    return mk('no_identification', 'auth.other', pid, { addr: ipPortAt(s, 43) });
  }
  if (s.startsWith('Bad protocol version identification ')) {
    return mk('bad_protocol', 'auth.other', pid, { addr: lastFrom(s)?.addr ?? null });
  }
  if (s.startsWith('reverse mapping checking ')) {
    const b = s.lastIndexOf(' [');
    const e = b >= 0 ? s.indexOf(']', b) : -1;
    const ip = e > b ? normIp(s.slice(b + 2, e)) : null;
    return mk('reverse_mapping', 'auth.other', pid, { addr: ip ? { ip, port: null } : null });
  }
  if (s.startsWith('Address ') && s.includes(' maps to ')) {
    return mk('reverse_mapping', 'auth.other', pid, { addr: ipPortAt(s.slice(0, s.indexOf(' maps to ')), 8) });
  }
  if (s.startsWith('input_userauth_request: invalid user ')) {
    return mk('invalid_user_request', 'auth.other', pid, { user: s.slice(37), invalid: true });
  }
  if (s.startsWith('Timeout before authentication for ')) {
    const rest = s.slice(34);
    const at = rest.startsWith('connection from ') ? 16 : 0;
    return mk('timeout', 'auth.other', pid, { addr: ipPortAt(rest, at) });
  }
  if (s.startsWith('refused connect from ') && s.endsWith(')')) {
    const ip = normIp(s.slice(s.lastIndexOf('(') + 1, -1));
    return mk('refused_connect', 'auth.other', pid, { addr: ip ? { ip, port: null } : null });
  }
  // `ssh_dispatch_run_fatal: Connection from <ip> port <n>: …`, `banner exchange: …`.
  const cf = s.indexOf(': Connection from ');
  if (cf >= 0 && cf < 64) return mk('protocol_error', 'auth.other', pid, { addr: ipPortAt(s, cf + 18) });
  return mk('other', 'other', pid);
}

export const sshdProgram: ProgramParser = (msg) => {
  let s = msg.message.trimEnd();
  if (s.startsWith('error: ') || s.startsWith('fatal: ')) s = s.slice(7);
  if (s.endsWith(' [preauth]')) s = s.slice(0, -10).trimEnd();
  return classify(s, msg.pid, msg.program);
};
