import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { sshdProgram } from '../../services/parsers/programs/sshd.js';
import { parseSyslog } from '../../services/parsers/syslog.js';
import type { ParseContext } from '../../services/parsers/types.js';
import type { ProgramFacts } from '../../services/parsers/programs/types.js';
import { SecurityEvent } from '../../schemas/event.js';

const ctx = (over: Partial<ParseContext> = {}): ParseContext => ({
  kind: 'syslog', sourceName: 'auth.log', position: 'line 1', year: 2025, carry: {}, ...over,
});

/** The message through the full syslog path, checked against the schema. */
function viaSyslog(message: string, program = 'sshd', pid = 4242): SecurityEvent {
  const r = parseSyslog(`May  6 14:22:31 bastion ${program}[${pid}]: ${message}`, ctx());
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  const v = SecurityEvent.safeParse(r.event);
  if (!v.success) throw new Error(JSON.stringify(v.error.issues));
  return r.event;
}

const facts = (message: string, program = 'sshd', pid: number | null = 4242): ProgramFacts => sshdProgram({ program, pid, message });

interface Case {
  name: string;
  msg: string;
  program?: string;
  action: string;
  form: string;
  user?: string | null;
  ip?: string | null;
  port?: number | null;
  invalid?: boolean;
  method?: string | null;
  keyType?: string | null;
  fp?: string | null;
  failures?: number;
  local?: [string, number];
}

const CASES: Case[] = [
  // Accepted (S1) in every method form
  { name: 'accepted password', msg: 'Accepted password for alice from 203.0.113.5 port 52144 ssh2', action: 'auth.success', form: 'accepted', user: 'alice', ip: '203.0.113.5', port: 52144, method: 'password', failures: 0 },
  { name: 'accepted publickey + fp', msg: 'Accepted publickey for alice from 203.0.113.5 port 52144 ssh2: ED25519 SHA256:Xk3mQ9w4e1cZ0y', action: 'auth.success', form: 'accepted', user: 'alice', ip: '203.0.113.5', method: 'publickey', keyType: 'ED25519', fp: 'SHA256:Xk3mQ9w4e1cZ0y' },
  { name: 'accepted cert', msg: 'Accepted publickey for alice from 203.0.113.5 port 52144 ssh2: ED25519-CERT SHA256:certfp ID alice@laptop (serial 7) CA ED25519 SHA256:cafp', action: 'auth.success', form: 'accepted', user: 'alice', keyType: 'ED25519-CERT', fp: 'SHA256:certfp' },
  { name: 'accepted keyboard-interactive/pam', msg: 'Accepted keyboard-interactive/pam for alice from 203.0.113.5 port 52144 ssh2', action: 'auth.success', form: 'accepted', method: 'keyboard-interactive/pam', keyType: null },
  { name: 'accepted gssapi', msg: 'Accepted gssapi-with-mic for alice from 203.0.113.5 port 52144 ssh2', action: 'auth.success', form: 'accepted', method: 'gssapi-with-mic' },
  { name: 'accepted IPv6', msg: 'Accepted publickey for alice from 2001:db8::10 port 52144 ssh2: RSA SHA256:abc', action: 'auth.success', form: 'accepted', ip: '2001:db8::10', port: 52144 },
  { name: 'sshd-session program', program: 'sshd-session', msg: 'Accepted password for bob from 198.51.100.7 port 40000 ssh2', action: 'auth.success', form: 'accepted', user: 'bob' },
  { name: 'sshd-auth program', program: 'sshd-auth', msg: 'Failed password for bob from 198.51.100.7 port 40000 ssh2', action: 'auth.failure', form: 'failed', user: 'bob' },
  // Failures (S2)
  { name: 'failed password', msg: 'Failed password for alice from 203.0.113.5 port 52144 ssh2', action: 'auth.failure', form: 'failed', user: 'alice', invalid: false, failures: 1 },
  { name: 'failed invalid user', msg: 'Failed password for invalid user admin from 203.0.113.5 port 52144 ssh2', action: 'auth.failure', form: 'failed', user: 'admin', invalid: true },
  { name: 'failed publickey + fp', msg: 'Failed publickey for alice from 203.0.113.5 port 52144 ssh2: RSA SHA256:Zz9', action: 'auth.failure', form: 'failed', keyType: 'RSA', fp: 'SHA256:Zz9' },
  { name: 'failed none', msg: 'Failed none for invalid user 0 from 5.188.10.180 port 49811 ssh2', action: 'auth.failure', form: 'failed', user: '0', method: 'none' },
  { name: 'failed hostbased (md5 fp, comma)', msg: 'Failed hostbased for dan from 127.0.0.1 port 45785 ssh2: RSA 8c:e3:aa:0f, client user "dan", client host "x"', action: 'auth.failure', form: 'failed', keyType: 'RSA', fp: '8c:e3:aa:0f' },
  { name: 'failed IPv6, bare', msg: 'Failed password for invalid user ROOT from aaaa:bbbb:cccc:1234::1:1 port 50273 ssh2', action: 'auth.failure', form: 'failed', ip: 'aaaa:bbbb:cccc:1234::1:1', port: 50273 },
  { name: 'failed, no port (old sshd)', msg: 'Failed password for invalid user ROOT from aaaa:bbbb:cccc:1234::1:1', action: 'auth.failure', form: 'failed', ip: 'aaaa:bbbb:cccc:1234::1:1', port: null },
  { name: 'Solaris <invalid username>', msg: 'Failed keyboard-interactive for <invalid username> from 205.186.180.55 port 42742 ssh2', action: 'auth.failure', form: 'failed', invalid: true },
  { name: 'invalid user', msg: 'Invalid user admin from 203.0.113.5 port 52144', action: 'auth.failure', form: 'invalid_user', user: 'admin', invalid: true, ip: '203.0.113.5', port: 52144, failures: 1 },
  { name: 'invalid user, no port', msg: 'Invalid user webmaster from 173.234.31.186', action: 'auth.failure', form: 'invalid_user', user: 'webmaster', port: null },
  { name: 'invalid user, empty name', msg: 'Invalid user  from 192.0.2.68 port 34916', action: 'auth.failure', form: 'invalid_user', user: '', ip: '192.0.2.68' },
  { name: 'max attempts', msg: 'error: maximum authentication attempts exceeded for root from 203.0.113.5 port 52144 ssh2 [preauth]', action: 'auth.failure', form: 'max_auth_exceeded', user: 'root', ip: '203.0.113.5', port: 52144 },
  { name: 'max attempts, invalid user', msg: 'error: maximum authentication attempts exceeded for invalid user xxx from 192.0.2.7 port 49941 ssh2 [preauth]', action: 'auth.failure', form: 'max_auth_exceeded', user: 'xxx', invalid: true },
  { name: 'too many (new)', msg: 'Disconnecting authenticating user root 203.0.113.5 port 52144: Too many authentication failures [preauth]', action: 'auth.failure', form: 'too_many_failures', user: 'root', ip: '203.0.113.5', port: 52144 },
  { name: 'too many (invalid)', msg: 'Disconnecting invalid user xxx 192.0.2.7 port 49941: Too many authentication failures [preauth]', action: 'auth.failure', form: 'too_many_failures', user: 'xxx', invalid: true },
  { name: 'too many (old, no address)', msg: 'Disconnecting: Too many authentication failures for root [preauth]', action: 'auth.failure', form: 'too_many_failures', user: 'root', ip: null },
  { name: 'root login refused', msg: 'ROOT LOGIN REFUSED FROM 1.2.3.4 port 12345 [preauth]', action: 'auth.failure', form: 'root_refused', user: 'root', ip: '1.2.3.4', port: 12345 },
  { name: 'root refused, mapped v6', msg: 'ROOT LOGIN REFUSED FROM ::ffff:1.2.3.4', action: 'auth.failure', form: 'root_refused', ip: '1.2.3.4' },
  { name: 'user not allowed', msg: 'User root from 46.45.128.3 not allowed because listed in DenyUsers', action: 'auth.failure', form: 'user_not_allowed', user: 'root', ip: '46.45.128.3' },
  // PAM
  { name: 'pam auth failure, two-space user=', msg: 'pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.5  user=root', action: 'auth.failure', form: 'pam_auth_failure', user: 'root', ip: '203.0.113.5', port: null, failures: 1 },
  { name: 'pam auth failure, rhost is a name', msg: 'pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=ec2-52-80-34-196.compute.amazonaws.com.cn ', action: 'auth.failure', form: 'pam_auth_failure', user: null, ip: null },
  { name: 'pam auth failure, empty rhost', msg: 'pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=  user=root', action: 'auth.failure', form: 'pam_auth_failure', user: 'root', ip: null },
  { name: 'pam auth failure, one-space user=', msg: 'pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=5.33.63.160 user=workshop', action: 'auth.failure', form: 'pam_auth_failure', user: 'workshop', ip: '5.33.63.160' },
  { name: 'PAM N more', msg: 'PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.5  user=root', action: 'auth.failure', form: 'pam_more_failures', user: 'root', ip: '203.0.113.5', failures: 5 },
  { name: 'PAM 1 more (singular)', msg: 'PAM 1 more authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=5.188.10.180 ', action: 'auth.failure', form: 'pam_more_failures', failures: 1 },
  { name: 'check pass', msg: 'pam_unix(sshd:auth): check pass; user unknown', action: 'auth.other', form: 'pam_user_unknown', failures: 0 },
  { name: 'session opened (uid form)', msg: 'pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)', action: 'auth.other', form: 'pam_session_opened', user: 'alice' },
  { name: 'session opened (old form)', msg: 'pam_unix(sshd:session): session opened for user alice by (uid=0)', action: 'auth.other', form: 'pam_session_opened', user: 'alice' },
  { name: 'session closed', msg: 'pam_unix(sshd:session): session closed for user alice', action: 'auth.other', form: 'pam_session_closed', user: 'alice' },
  { name: 'sshd(pam_unix) tag (loghub Linux)', program: 'sshd(pam_unix)', msg: 'authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 ', action: 'auth.failure', form: 'pam_auth_failure', ip: '218.188.2.4' },
  { name: 'sshd(pam_unix) session', program: 'sshd(pam_unix)', msg: 'session opened for user test by (uid=509)', action: 'auth.other', form: 'pam_session_opened', user: 'test' },
  { name: 'BSD PAM error', msg: 'error: PAM: authentication error for james from 205.186.180.88 via 192.168.1.201', action: 'auth.failure', form: 'pam_error', user: 'james', ip: '205.186.180.88' },
  // Connection chatter
  { name: 'connection from (S3)', msg: 'Connection from 203.0.113.5 port 52144 on 10.0.20.2 port 52222', action: 'connection.open', form: 'connection_from', ip: '203.0.113.5', port: 52144, local: ['10.0.20.2', 52222], failures: 0 },
  { name: 'connection from + rdomain', msg: 'Connection from 192.0.2.16 port 51280 on 192.0.2.16 port 22 rdomain ""', action: 'connection.open', form: 'connection_from', local: ['192.0.2.16', 22] },
  { name: 'connection from IPv6', msg: 'Connection from 2001:db8::10 port 52144 on 2001:db8::1 port 22', action: 'connection.open', form: 'connection_from', ip: '2001:db8::10', local: ['2001:db8::1', 22] },
  { name: 'closed by authenticating user', msg: 'Connection closed by authenticating user root 203.0.113.5 port 52144 [preauth]', action: 'auth.other', form: 'connection_closed', user: 'root', ip: '203.0.113.5', port: 52144 },
  { name: 'closed by invalid user', msg: 'Connection closed by invalid user admin 203.0.113.5 port 52144 [preauth]', action: 'auth.other', form: 'connection_closed', user: 'admin', invalid: true },
  { name: 'closed by ip', msg: 'Connection closed by 203.0.113.5 port 52144 [preauth]', action: 'auth.other', form: 'connection_closed', user: null, ip: '203.0.113.5' },
  { name: 'connection reset', msg: 'Connection reset by authenticating user root 80.94.92.63 port 49115 [preauth]', action: 'auth.other', form: 'connection_reset', user: 'root', ip: '80.94.92.63' },
  { name: 'disconnected from user', msg: 'Disconnected from user alice 203.0.113.5 port 52144', action: 'auth.other', form: 'disconnected', user: 'alice', ip: '203.0.113.5' },
  { name: 'disconnected authenticating', msg: 'Disconnected from authenticating user root 203.0.113.5 port 52144 [preauth]', action: 'auth.other', form: 'disconnected', user: 'root' },
  { name: 'received disconnect', msg: 'Received disconnect from 203.0.113.5 port 52144:11: Bye Bye [preauth]', action: 'auth.other', form: 'received_disconnect', ip: '203.0.113.5', port: 52144 },
  { name: 'received disconnect, old', msg: 'error: Received disconnect from 94.249.236.6: 3: com.jcraft.jsch.JSchException: Auth fail [preauth]', action: 'auth.other', form: 'received_disconnect', ip: '94.249.236.6', port: null },
  { name: 'received disconnect IPv6', msg: 'Received disconnect from 2001:db8::7 port 4000:11: bye', action: 'auth.other', form: 'received_disconnect', ip: '2001:db8::7', port: 4000 },
  { name: 'unable to negotiate', msg: 'Unable to negotiate with 123.57.135.134 port 45626: no matching key exchange method found. Their offer: diffie-hellman-group1-sha1 [preauth]', action: 'auth.other', form: 'negotiation_failed', ip: '123.57.135.134', port: 45626 },
  { name: 'no identification', msg: 'Did not receive identification string from 69.61.56.114', action: 'auth.other', form: 'no_identification', ip: '69.61.56.114' },
  { name: 'reverse mapping', msg: 'reverse mapping checking getaddrinfo for ns.example.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!', action: 'auth.other', form: 'reverse_mapping', ip: '173.234.31.186' },
  { name: 'address maps to', msg: 'Address 1.2.3.4 maps to x.example.com, but this does not map back to the address - POSSIBLE BREAK-IN ATTEMPT!', action: 'auth.other', form: 'reverse_mapping', ip: '1.2.3.4' },
  { name: 'input_userauth_request', msg: 'input_userauth_request: invalid user webmaster [preauth]', action: 'auth.other', form: 'invalid_user_request', user: 'webmaster', invalid: true },
  { name: 'unknown message', msg: 'Server listening on 0.0.0.0 port 22.', action: 'other', form: 'other', ip: null, failures: 0 },
];

describe('sshd message forms', () => {
  it.each(CASES)('$name', (c) => {
    const f = facts(c.msg, c.program);
    expect(f.app).toBe('sshd');
    expect(f.action).toBe(c.action);
    expect(f.ssh?.form).toBe(c.form);
    expect(f.ssh?.pid).toBe(4242);
    if (c.user !== undefined) expect(f.ssh?.user).toBe(c.user);
    if (c.user) expect(f.actor?.name).toBe(c.user);
    if (c.invalid !== undefined) expect(f.ssh?.invalidUser).toBe(c.invalid);
    if (c.method !== undefined) expect(f.ssh?.method).toBe(c.method);
    if (c.keyType !== undefined) expect(f.ssh?.keyType).toBe(c.keyType);
    if (c.fp !== undefined) expect(f.ssh?.keyFingerprint).toBe(c.fp);
    if (c.failures !== undefined) expect(f.ssh?.failures).toBe(c.failures);
    if (c.ip === null) expect(f.client?.addrs ?? []).toEqual([]);
    else if (c.ip !== undefined) expect(f.client?.addrs).toEqual([c.ip]);
    if (c.port !== undefined && c.ip !== null) expect(f.client?.port).toBe(c.port);
    if (c.local) expect([f.ssh?.localAddr, f.ssh?.localPort]).toEqual(c.local);
    expect(f.outcome).toBe(c.action === 'auth.success' ? 'success' : c.action === 'auth.failure' ? 'failure' : 'unknown');
    // The same line through the syslog envelope is a valid SecurityEvent.
    const ev = viaSyslog(c.msg, c.program);
    expect(ev.app).toBe('sshd');
    expect(ev.action).toBe(c.action);
    expect(ev.host).toBe('bastion');
  });

  it('accepted login makes a human actor; an invalid user is not one', () => {
    expect(facts('Accepted password for alice from 203.0.113.5 port 1 ssh2').actor).toEqual({ name: 'alice', kind: 'human', id: null });
    expect(facts('Invalid user bob from 203.0.113.5 port 1').actor?.kind).toBe('unknown');
  });
});

describe('attacker-controlled user names', () => {
  const INJECT: Array<[string, string, string, number | null]> = [
    // [message, expected user, expected ip, expected port]
    ['Failed password for invalid user evil from 1.2.3.4 port 22 from 203.0.113.9 port 50000 ssh2', 'evil from 1.2.3.4 port 22', '203.0.113.9', 50000],
    ['Failed password for invalid user test from 10.10.1.2 port 55555 ssh2 from 127.0.0.1 port 58946 ssh2', 'test from 10.10.1.2 port 55555 ssh2', '127.0.0.1', 58946],
    ['Failed password for invalid user from 10.10.1.1 from 127.0.0.1 port 58946 ssh2', 'from 10.10.1.1', '127.0.0.1', 58946],
    ['Invalid user a from 1.2.3.4 port 22 from 198.51.100.1 port 40000', 'a from 1.2.3.4 port 22', '198.51.100.1', 40000],
    ['Failed password for x from 1.2.3.4 port 22 ssh2 from 2001:db8::66 port 1234 ssh2', 'x from 1.2.3.4 port 22 ssh2', '2001:db8::66', 1234],
    // Password lines carry no auth-info, so the address that ends the line is the peer.
    ['Failed password for invalid user test from 127.0.0.1 port 58946 ssh2: from 10.10.1.2 port 55555 ssh2', 'test from 127.0.0.1 port 58946 ssh2:', '10.10.1.2', 55555],
    // ssh1 `ruser` text after the real address, with no port of its own.
    ['Failed password for user from 127.0.0.1 port 20000 ssh1: ruser from 1.2.3.4', 'user', '127.0.0.1', 20000],
    ['Connection closed by authenticating user test 127.0.0.1 port 12345 192.0.2.11 port 46039 [preauth]', 'test 127.0.0.1 port 12345', '192.0.2.11', 46039],
    ['pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.5  user=x rhost=10.0.0.1', 'x rhost=10.0.0.1', '203.0.113.5', null],
  ];
  it.each(INJECT)('%s', (msg, user, ip, port) => {
    const f = facts(msg);
    expect(f.ssh?.user).toBe(user);
    expect(f.client).toEqual({ addrs: [ip], port });
    viaSyslog(msg);
  });

  it('a fake address alone is not an address', () => {
    expect(facts('Failed password for evil from 999.1.1.1 port 22').client).toBeUndefined();
  });

  it('never throws and stays linear on hostile input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        const f = facts(`Failed password for ${s} from 203.0.113.5 port 22 ssh2`);
        expect(f.client?.addrs).toEqual(['203.0.113.5']);
        facts(s);
      }),
      { numRuns: 500 },
    );
    const t0 = performance.now();
    facts(`Failed password for ${' from 1.2.3.4 port 1'.repeat(20_000)}x from 203.0.113.5 port 22 ssh2`);
    facts(`Connection closed by ${' port 1'.repeat(50_000)}`);
    facts(`pam_unix(sshd:auth): authentication failure; ${' rhost='.repeat(50_000)}`);
    expect(performance.now() - t0).toBeLessThan(500);
  });
});
