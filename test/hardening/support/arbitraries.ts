// Input generators for the hardening fuzzers (issue 9): structure-aware lines for every
// parser, built from a "hostile soup" of the tokens parsers split on and attackers use
// (` from `, ` port `, brackets, quotes, colons, digits, IPv4/IPv6, escapes, Slack
// mentions, ANSI, NUL, lone surrogates, `__proto__`). JSON is assembled as text so it can
// hold duplicate keys and own `__proto__` keys, which an object literal cannot express.
import fc from 'fast-check';
import type { InputKind } from '../../../schemas/event.js';

/** Tokens parsers look for, and text attackers put in usernames, paths and messages. */
export const HOSTILE_TOKENS = [
  ' from ', ' port ', ' ssh2', ' for ', 'invalid user ', ' on ', ' via ', ' by ', ' rhost=', ' user=', ': ',
  '[', ']', '[**]', '{', '}', '{TCP}', '<', '>', '"', "'", '\\', '\\"', ':', '::', '/', ' -> ', '->', ';', ' ; ', '=', ',',
  '0', '1', '9', '65535', '65536', '99999999999', '-1', '1e309', '0x1f', '.', ' ', '  ', '\t', '\r', '\n', '\u0000', '\u001b[31m', '\u001b]8;;http://x\u0007',
  '10.0.20.5', '203.0.113.9', '8.8.8.8', '::ffff:1.2.3.4', '2001:db8::5', '[2001:db8::5]:443', 'fe80::1%eth0', '256.1.1.1', '1.2.3.4:22',
  '<!channel>', '<!here>', '<!everyone>', '<@U123>', '<!subteam^S1>', '<http://evil.example|bank.com>', '@channel', '&', '&amp;', '`', '```', '*', '_', '~',
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '__defineGetter__',
  'root', 'admin', 'system:anonymous', 'system:serviceaccount:kube-system:x', 'system:node:n1', 'userpass-alice', 'approle-x',
  'Accepted', 'Failed', 'password', 'publickey', 'Invalid user', 'Connection from', 'Disconnected from', 'COMMAND=', 'TTY=pts/0', 'reboot', 'shutdown -r now',
  'Priority: 1', '[Priority: 0]', '[Classification: x]', '[1:2:3]', '[AppID: x]', 'message repeated 3 times: [ ', 'Linux version 6.1',
  '2026-06-10T00:00:01Z', '2026-06-10T00:00:01.123456789Z', '2026-13-45T99:99:99Z', 'Jun 10 00:00:01', 'Feb 30 00:00:00', '06/10-00:00:01.1', '[02:42:16]',
  '\ud800', '\udc00', '\u2028', '\u202e', '\ufeff', 'é', '日本', '😀', '\uffff',
];

/** One hostile fragment: a token, a short random string, or a long run of one token. */
export const fragment: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...HOSTILE_TOKENS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 8, unit: 'binary' }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...HOSTILE_TOKENS), fc.integer({ min: 2, max: 200 })).map(([t, n]) => t.repeat(n)) },
);

/** A run of hostile fragments: usernames, messages, paths. */
export const soup = (maxFragments = 12): fc.Arbitrary<string> => fc.array(fragment, { maxLength: maxFragments }).map((a) => a.join(''));

export const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));
export const address = fc.oneof(ipv4, fc.ipV6(), fc.constantFrom('::ffff:203.0.113.7', '10.0.20.5', 'not-an-ip', '', '1.2.3'));
export const port = fc.oneof(fc.integer({ min: 0, max: 70000 }).map(String), fc.constantFrom('', 'x', '-1', '007'));

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec', 'Foo'];
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

export const rfc3339 = fc.oneof(
  fc.date({ min: new Date(Date.UTC(1970, 0, 1)), max: new Date(Date.UTC(2100, 0, 1)), noInvalidDate: true }).map((d) => d.toISOString()),
  fc
    .tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 61 }), fc.integer({ min: 0, max: 61 }), fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 12 }), fc.constantFrom('Z', 'z', '+02:00', '-04:00', '+25:00', '', ' '))
    .map(([y, mo, d, h, mi, s, frac, z]) => `${pad(y, 4)}-${pad(mo)}-${pad(d)}T${pad(h)}:${pad(mi)}:${pad(s)}${frac ? `.${frac}` : ''}${z}`),
  soup(3),
);

const bsdTime = fc
  .tuple(fc.constantFrom(...MONTHS), fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 61 }), fc.integer({ min: 0, max: 61 }))
  .map(([m, d, h, mi, s]) => `${m} ${String(d).padStart(2, ' ')} ${pad(h)}:${pad(mi)}:${pad(s)}`);

const program = fc.constantFrom('sshd', 'sshd-session', 'sshd-auth', 'sshd(pam_unix)', 'sudo', 'systemd-logind', 'systemd', 'kernel', 'snort', 'cron', '__proto__', 'constructor', 'toString');

/** An sshd / PAM / sudo / logind / systemd / kernel / snort message with hostile holes. */
export const programMessage: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.constantFrom('Accepted', 'Failed', 'Postponed', 'Partial'), fc.constantFrom('password', 'publickey', 'none', 'keyboard-interactive/pam'), fc.boolean(), soup(), address, port, soup(4))
    .map(([v, m, inv, user, ip, p, tail]) => `${v} ${m} for ${inv ? 'invalid user ' : ''}${user} from ${ip} port ${p} ssh2${tail}`),
  fc.tuple(fc.constantFrom('Invalid user ', 'Illegal user ', 'maximum authentication attempts exceeded for ', 'Connection closed by ', 'Disconnected from ', 'Connection reset by ', 'Disconnecting ', 'Received disconnect from ', 'ROOT LOGIN REFUSED FROM ', 'User ', 'Unable to negotiate with ', 'Did not receive identification string from ', 'Bad protocol version identification ', 'reverse mapping checking ', 'Address ', 'input_userauth_request: invalid user ', 'Timeout before authentication for ', 'refused connect from ', 'Connection from ', 'PAM: Authentication failure for ', 'PAM 2 more authentication failures;', 'pam_unix(sshd:auth): authentication failure;', 'pam_unix(sshd:session): session opened for user ', 'error: ', 'fatal: '), soup(), address, port, soup(4))
    .map(([pre, user, ip, p, tail]) => `${pre}${user} from ${ip} port ${p}${tail}`),
  fc.tuple(soup(4), soup(6)).map(([user, cmd]) => `${user} : TTY=pts/0 ; PWD=/root ; USER=root ; COMMAND=${cmd}`),
  fc.constantFrom('Power key pressed short.', 'System is rebooting.', 'Reached target reboot.target - System Reboot.', 'Shutting down.', 'New session 3 of user alice.'),
  fc.tuple(soup(6)).map(([m]) => `[1:2:3] "${m}" [Classification: ${m}] [Priority: 1] {TCP} 10.0.0.1:1 -> 10.0.0.2:2`),
  fc.tuple(soup(3)).map(([v]) => `Linux version ${v} (gcc) #1 SMP`),
  soup(16),
);

export const syslogLine: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.option(fc.integer({ min: 0, max: 999 })), bsdTime, fc.option(soup(2)), program, fc.option(fc.integer({ min: -1, max: 99999999999 })), programMessage)
    .map(([pri, t, host, prog, pid, msg]) => `${pri === null ? '' : `<${pri}>`}${t} ${host === null ? '' : `${host} `}${prog}${pid === null ? '' : `[${pid}]`}: ${msg}`),
  fc.tuple(fc.integer({ min: 0, max: 200 }), rfc3339, soup(2), program, fc.constantFrom('-', '123', 'x'), fc.constantFrom('-', '[id k="v"]', '[a b="]"][c]', '[unterminated', '[x \\] y]'), programMessage)
    .map(([pri, t, host, prog, pid, sd, msg]) => `<${pri}>1 ${t} ${host || '-'} ${prog} ${pid} - ${sd} ${msg}`),
  fc.tuple(rfc3339, soup(2), program, programMessage).map(([t, host, prog, msg]) => `${t} ${host} ${prog}: ${msg}`),
  fc.tuple(fc.constantFrom('reboot', 'shutdown'), soup(2), bsdTime).map(([w, k, t]) => `${w}   system ${w === 'reboot' ? 'boot' : 'down'}  ${k} ${t.slice(0, 12)} - 09:12  (00:01)`),
);

/** A JSON value whose strings come from the soup (plus numbers, arrays and objects). */
export const hostileJsonValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    soup(6),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(soup(2), fc.constantFrom('__proto__', 'constructor')), tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** `{"k":v,...}` as text, keys in the given order, duplicates allowed. */
export function objectText(entries: ReadonlyArray<readonly [string, string]>): string {
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
}

/** An object text from a field menu: each known key gets a value of the right kind or a hostile one; keys shuffled, sometimes repeated. */
export function jsonRecord(fields: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<string> {
  const keys = Object.keys(fields);
  const member = fc.constantFrom(...keys, '__proto__', 'constructor').chain((k) =>
    fc.tuple(fc.constant(k), fc.oneof({ weight: 4, arbitrary: Object.hasOwn(fields, k) ? fields[k]! : anyJson }, { weight: 1, arbitrary: anyJson })),
  );
  return fc.array(member, { minLength: 0, maxLength: keys.length + 3 }).map((m) => objectText(m));
}

export const anyJson: fc.Arbitrary<string> = hostileJsonValue.map((v) => JSON.stringify(v) ?? 'null');
export const str = (a: fc.Arbitrary<string> = soup(6)): fc.Arbitrary<string> => a.map((s) => JSON.stringify(s));
const strList = fc.array(soup(3), { maxLength: 4 }).map((a) => JSON.stringify(a));
const num = fc.oneof(fc.integer({ min: -1, max: 70000 }), fc.double()).map((n) => JSON.stringify(n) ?? '0');

export const k8sLine: fc.Arbitrary<string> = jsonRecord({
  kind: str(fc.constantFrom('Event', 'EventList', 'Pod', '')),
  apiVersion: str(fc.constantFrom('audit.k8s.io/v1', 'audit.k8s.io/v1beta1')),
  level: str(fc.constantFrom('Metadata', 'Request', 'RequestResponse')),
  auditID: str(),
  stage: str(fc.constantFrom('RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic', '')),
  requestURI: str(),
  verb: str(fc.constantFrom('get', 'list', 'create', 'delete', 'patch', 'update', '', 'x')),
  user: jsonRecord({ username: str(), uid: str(), groups: strList, extra: anyJson }),
  impersonatedUser: jsonRecord({ username: str(), groups: strList }),
  sourceIPs: fc.array(address, { maxLength: 4 }).map((a) => JSON.stringify(a)),
  userAgent: str(),
  objectRef: jsonRecord({ resource: str(), namespace: str(), name: str(), apiGroup: str(), subresource: str() }),
  responseStatus: jsonRecord({ code: num, message: str() }),
  requestObject: anyJson,
  stageTimestamp: str(rfc3339),
  requestReceivedTimestamp: str(rfc3339),
  timestamp: str(rfc3339),
  annotations: anyJson,
  properties: jsonRecord({ log: anyJson }),
});

export const vaultLine: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof({ weight: 4, arbitrary: fc.constant('') }, { weight: 1, arbitrary: soup(2) }),
    jsonRecord({
      time: str(rfc3339),
      type: str(fc.constantFrom('request', 'response', '')),
      auth: jsonRecord({ display_name: str(), policies: strList, token_policies: strList, entity_id: str(), accessor: str(), client_token: str(), metadata: anyJson, token_type: str() }),
      request: jsonRecord({ id: str(), operation: str(fc.constantFrom('create', 'read', 'update', 'delete', 'list')), path: str(fc.oneof(fc.constantFrom('auth/token/create', 'sys/audit/file', 'sys/seal', 'sys/policies/acl/x', 'auth/userpass/login/bob', 'auth/oidc/oidc/callback'), soup(4))), mount_point: str(), remote_address: str(address), remote_port: num, data: anyJson }),
      response: jsonRecord({ auth: jsonRecord({ policies: strList, token_policies: strList, accessor: str() }), data: anyJson, mount_type: str() }),
      error: str(),
    }),
  )
  .map(([prefix, body]) => prefix + body);

export const journalLine: fc.Arbitrary<string> = jsonRecord({
  __CURSOR: str(),
  __REALTIME_TIMESTAMP: fc.oneof(str(fc.bigInt({ min: -1n, max: 10n ** 20n }).map(String)), num, str()),
  _SOURCE_REALTIME_TIMESTAMP: str(fc.bigInt({ min: 0n, max: 10n ** 17n }).map(String)),
  _HOSTNAME: str(),
  _BOOT_ID: str(),
  _TRANSPORT: str(fc.constantFrom('kernel', 'syslog', 'journal')),
  SYSLOG_IDENTIFIER: fc.oneof(str(program), fc.array(program).map((a) => JSON.stringify(a))),
  _COMM: str(program),
  _PID: str(fc.oneof(fc.nat().map(String), soup(1))),
  SYSLOG_PID: str(),
  MESSAGE: fc.oneof(str(programMessage), programMessage.map((m) => JSON.stringify([...Buffer.from(m, 'utf8')])), fc.array(programMessage, { maxLength: 3 }).map((a) => JSON.stringify(a))),
  PRIORITY: str(fc.constantFrom('0', '6', '7')),
});

const snortTs = fc
  .tuple(fc.option(fc.integer({ min: 0, max: 99 })), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 61 }), fc.integer({ min: 0, max: 61 }), fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength: 10 }))
  .map(([y, mo, d, h, mi, s, f]) => `${y === null ? '' : `${pad(y)}/`}${pad(mo)}/${pad(d)}-${pad(h)}:${pad(mi)}:${pad(s)}${f ? `.${f}` : ''}`);

export const snortLine: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(snortTs, fc.option(fc.constantFrom('drop', 'block', 'x y', soup(1))), fc.integer({ min: 0, max: 200 }), fc.nat(), soup(8), fc.boolean(), fc.option(soup(3)), fc.option(fc.integer({ min: 0, max: 9 })), fc.constantFrom('TCP', 'UDP', 'ICMP', 'PDU', '', 'T C P'), address, port, address, port)
    .map(([t, act, gid, sid, msg, q, cls, prio, proto, a, ap, b, bp]) =>
      `${t} ${act === null ? '' : `[${act}] `}[**] [${gid}:${sid}:1] ${q ? `"${msg}"` : msg} [**]${cls === null ? '' : ` [Classification: ${cls}]`}${prio === null ? '' : ` [Priority: ${prio}]`} {${proto}} ${a}:${ap} -> ${b}:${bp}`),
  jsonRecord({
    seconds: num,
    timestamp: str(snortTs),
    rule: str(fc.constantFrom('1:2:3', '1:2', 'x:y:z', '99999999999:1:1')),
    gid: num,
    sid: num,
    rev: num,
    msg: str(),
    class: str(),
    priority: num,
    proto: str(fc.constantFrom('TCP', 'UDP', 'ICMP')),
    src_addr: str(address),
    src_port: num,
    src_ap: str(),
    dst_addr: str(address),
    dst_ap: str(),
    action: str(fc.constantFrom('allow', 'drop', 'would_drop')),
    iface: str(),
  }),
);

export const swarmLine: fc.Arbitrary<string> = fc.oneof(
  jsonRecord({
    ts: str(rfc3339),
    component: str(fc.constantFrom('gateway', 'orchestrator')),
    event: str(fc.constantFrom('drone.register', 'drone.approve', 'drone.remove', 'action.remote', 'service.start', 'x')),
    drone: str(),
    source_ip: str(address),
    advertised_ip: str(address),
    cores: fc.oneof(num, str()),
    status: str(),
    by: str(),
    action: str(),
    target_ip: str(address),
    reason: str(),
    host: str(),
  }),
  fc.tuple(fc.option(fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10))), fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 61 }), fc.integer({ min: 0, max: 61 }), fc.oneof(soup(8), fc.tuple(soup(2), fc.nat()).map(([d, n]) => `Drone ${d} unresponsive for ${n}s`), fc.tuple(soup(1), address).map(([a, ip]) => `Initiating SSH ${a} to ${ip}`)))
    .map(([d, h, mi, s, msg]) => `[${d === null ? '' : `${d} `}${pad(h)}:${pad(mi)}:${pad(s)}] ${msg}`),
);

/** The structure-aware generator of each input kind. */
export const STRUCTURED: Record<InputKind, fc.Arbitrary<string>> = {
  'k8s-audit': k8sLine,
  'vault-audit': vaultLine,
  syslog: syslogLine,
  journal: journalLine,
  snort: snortLine,
  swarm: swarmLine,
};

/** A sample with a few characters replaced, inserted or deleted (hostile fragments included). */
export function mutated(samples: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...samples), fc.array(fc.tuple(fc.nat(), fc.constantFrom('replace', 'insert', 'delete'), fragment), { maxLength: 8 }))
    .map(([s, edits]) => {
      let out = s;
      for (const [pos, op, text] of edits) {
        const i = pos % (out.length + 1);
        out = op === 'replace' ? out.slice(0, i) + text + out.slice(i + text.length) : op === 'insert' ? out.slice(0, i) + text + out.slice(i) : out.slice(0, i) + out.slice(i + 1);
      }
      return out;
    });
}

/** Real-looking lines per kind (mutated by `mutated`). */
export const SAMPLES: Record<InputKind, string[]> = {
  'k8s-audit': [
    '{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a1","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/vault/secrets","verb":"list","user":{"username":"system:serviceaccount:ci:x","groups":["system:serviceaccounts"]},"sourceIPs":["10.0.20.15","198.51.100.23"],"objectRef":{"resource":"secrets","namespace":"vault"},"responseStatus":{"metadata":{},"code":200},"requestObject":{"kind":"ClusterRole","rules":[{"verbs":["*"],"resources":["*"]}]},"stageTimestamp":"2026-06-10T00:00:01.123456Z"}',
  ],
  'vault-audit': [
    '{"time":"2026-06-10T00:00:01.1Z","type":"response","auth":{"display_name":"root","policies":["root"],"metadata":{"username":"bob"}},"request":{"id":"r1","operation":"update","path":"auth/token/create","remote_address":"10.0.20.7"},"response":{"auth":{"accessor":"hmac-sha256:ab","policies":["default","root"]}}}',
    'vault-audit: {"time":"2026-06-10T00:00:02Z","type":"response","request":{"id":"r2","operation":"update","path":"auth/userpass/login/bob","remote_address":"203.0.113.9"},"response":{"data":{"error":"hmac-sha256:aa"}}}',
  ],
  syslog: [
    'Jun 10 00:00:01 pve sshd[123]: Accepted publickey for alice from 2001:db8::10 port 52144 ssh2: ED25519 SHA256:abc',
    'Jun 10 00:00:02 pve sshd[124]: Failed password for invalid user admin from 203.0.113.5 port 52144 ssh2',
    '<38>1 2026-06-10T00:00:01.5Z ids01 snort 1337 - - [1:1000001:1] "x" [Classification: Misc activity] [Priority: 1] {TCP} 192.168.0.1:14685 -> 10.0.0.5:25',
    '2026-06-10T00:00:01.482911+02:00 pve sudo: root : TTY=pts/0 ; PWD=/root ; USER=root ; COMMAND=/usr/bin/systemctl reboot',
    'reboot   system boot  6.1.0-18-amd64   Mon Jun  8 09:12   still running',
  ],
  journal: [
    '{"__CURSOR":"s=1","__REALTIME_TIMESTAMP":"1781049601000000","_HOSTNAME":"pve","_BOOT_ID":"b1","SYSLOG_IDENTIFIER":"sshd-session","_PID":"42","MESSAGE":"Failed password for invalid user admin from 203.0.113.5 port 52144 ssh2","PRIORITY":"6"}',
    '{"__REALTIME_TIMESTAMP":"1781049601000000","_TRANSPORT":"kernel","MESSAGE":[76,105,110,117,120,32,118,101,114,115,105,111,110,32,54]}',
  ],
  snort: [
    '06/10-00:00:01.482911 [**] [1:2024218:3] "ET EXPLOIT" [**] [Classification: Attempted Administrator Privilege Gain] [Priority: 1] {TCP} 198.51.100.9:49152 -> 10.0.0.5:445',
    '{ "seconds" : 1781049601, "timestamp" : "06/10-00:00:01.061909", "rule" : "1:50626:1", "msg" : "x", "priority" : 1, "proto" : "TCP", "src_ap" : "1.2.3.4:5", "dst_ap" : "10.0.0.5:445" }',
  ],
  swarm: [
    '{"ts":"2026-06-10T01:02:03.456Z","component":"gateway","event":"drone.register","drone":"drone-lxc","source_ip":"10.42.0.184","cores":4,"status":"pending"}',
    '[2026-06-10 02:42:16] Initiating SSH reboot to 10.42.0.199',
    '[02:42:17] Drone d1 unresponsive for 30s',
  ],
};
