import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdsFacet, SecurityEvent } from '../../schemas/event.js';
import type { SnortAlert } from '../../schemas/sources/snort.js';
import { parseSnortBody, snortProgram } from '../../services/parsers/programs/snort.js';
import { parseSnortFast } from '../../services/parsers/snort.js';
import type { ParseContext, ParseResult } from '../../services/parsers/types.js';

const ctx = (over: Partial<ParseContext> = {}): ParseContext => ({
  kind: 'snort',
  sourceName: 'alert_fast.txt',
  position: 'line 1',
  year: 2025,
  carry: {},
  ...over,
});

/** Parses one line, asserts it produced a valid SecurityEvent, and returns it with its alert. */
function ok(line: string, c: ParseContext = ctx()) {
  const r = parseSnortFast(line, c);
  if (!r.ok) throw new Error(`expected an event, got ${r.error.code}: ${r.error.message}`);
  SecurityEvent.parse(r.event);
  if (r.event.raw.format !== 'snort') throw new Error('raw is not snort');
  return { event: r.event, alert: r.event.raw.alert as SnortAlert };
}

function errorCode(r: ParseResult): string | null {
  return r.ok ? null : r.error.code;
}

const S2 =
  '09/04-21:55:02.041364  [**] [1:1000005:0] UDP Connection [**] [Classification: A Network Trojan was Detected] [Priority: 1] {UDP} 1.0.0.1:53 -> 10.100.10.190:54757';
const S3 =
  '05/06-14:22:31.482911 [**] [1:2024218:3] "ET EXPLOIT Possible EternalBlue" [**] [Classification: Attempted Administrator Privilege Gain] [Priority: 1] {TCP} 198.51.100.9:49152 -> 10.0.0.5:445';

describe('parseSnortFast: alert_fast lines', () => {
  it('Snort 2: unquoted msg, two spaces after the timestamp', () => {
    const { event, alert } = ok(S2);
    expect(event).toMatchObject({
      ts: '2025-09-04T21:55:02.041364Z',
      tsSubNs: 364_000,
      app: 'snort',
      action: 'ids.alert',
      outcome: 'unknown',
      host: null,
      client: { addrs: ['1.0.0.1'], port: 53 },
      target: { address: '10.100.10.190', port: 54757 },
      source: { kind: 'snort', name: 'alert_fast.txt', position: 'line 1' },
    });
    expect(event.id).toMatch(/^snort:[0-9a-f]{20}$/);
    expect(event.ids).toEqual({
      gid: 1,
      sid: 1000005,
      rev: 0,
      priority: 1,
      classification: 'A Network Trojan was Detected',
      message: 'UDP Connection',
      proto: 'UDP',
      src: { ip: '1.0.0.1', port: 53 },
      dst: { ip: '10.100.10.190', port: 54757 },
    });
    expect(alert).toMatchObject({ form: 'fast', version: 2, timestamp: '09/04-21:55:02.041364', action: null });
  });

  it('Snort 3: quoted msg (quotes removed), version 3', () => {
    const { event, alert } = ok(S3);
    expect(event.ids).toMatchObject({ sid: 2024218, rev: 3, priority: 1, message: 'ET EXPLOIT Possible EternalBlue' });
    expect(alert).toMatchObject({ version: 3, appId: null, iface: null });
  });

  it('the same line always gets the same id; the host comes from the context', () => {
    expect(ok(S2).event.id).toBe(ok(S2, ctx({ position: 'line 99' })).event.id);
    expect(ok(S2, ctx({ defaultHost: 'ids01' })).event.host).toBe('ids01');
  });

  // [name, line, expected ids subset, expected alert subset]
  const cases: Array<[string, string, Record<string, unknown>, Record<string, unknown>]> = [
    [
      'Priority 0 means no priority',
      '05/30-19:09:10.917356  [**] [1:477:3] ICMP Packet [**] [Priority: 0] {ICMP} 172.25.212.245 -> 172.25.212.153',
      { priority: null, classification: null, src: { ip: '172.25.212.245', port: null } },
      { version: 2 },
    ],
    [
      'dropped packet: [action] after the timestamp',
      '05/06-14:22:31.482911 [drop] [**] [1:2024218:3] "ET EXPLOIT Possible EternalBlue" [**] [Classification: Attempted Administrator Privilege Gain] [Priority: 1] {TCP} 198.51.100.9:49152 -> 10.0.0.5:445',
      { sid: 2024218, priority: 1 },
      { action: 'drop', version: 3 },
    ],
    [
      'Snort 2 inline drop',
      '05/06-14:22:31.482911  [Drop] [**] [1:2014384:8] ET DOS Microsoft RDP [**] [Classification: Attempted Denial of Service] [Priority: 2] {TCP} 72.14.163.130:52372 -> 192.168.1.60:3389',
      { priority: 2, message: 'ET DOS Microsoft RDP' },
      { action: 'Drop', version: 2 },
    ],
    [
      'AppID after the priority',
      '05/06-14:22:31.482911 [**] [1:1000002:1] "http seen" [**] [Classification: Misc activity] [Priority: 3] [AppID: HTTP] {TCP} 10.0.20.5:51000 -> 93.184.216.34:80',
      { priority: 3, classification: 'Misc activity', dst: { ip: '93.184.216.34', port: 80 } },
      { appId: 'HTTP' },
    ],
    [
      'interface before a quoted msg (Snort 3 alert_interface)',
      '05/06-14:22:31.482911 [**] [1:1000003:1]  <eth1> "iface alert" [**] [Priority: 2] {UDP} 10.0.20.5:5353 -> 224.0.0.251:5353',
      { message: 'iface alert', priority: 2 },
      { iface: 'eth1' },
    ],
    [
      'IPv6 with ports splits on the last colon',
      '05/06-14:22:31.482911 [**] [1:1000004:1] "v6 tls" [**] [Priority: 2] {TCP} 2001:db8::5:443 -> 2001:db8::1:51234',
      { src: { ip: '2001:db8::5', port: 443 }, dst: { ip: '2001:db8::1', port: 51234 } },
      {},
    ],
    [
      'IPv6 ICMP keeps the whole address and has no ports',
      '05/06-14:22:31.482911 [**] [1:1000005:1] "v6 ping" [**] [Priority: 3] {ICMP} 2001:db8::5:443 -> fe80::1',
      { src: { ip: '2001:db8::5:443', port: null }, dst: { ip: 'fe80::1', port: null } },
      {},
    ],
    [
      'TCP fragment: bare addresses, no ports',
      '05/06-14:22:31.482911 [**] [1:1000006:1] "frag" [**] [Priority: 3] {TCP} 10.0.0.1 -> 10.0.0.2',
      { proto: 'TCP', src: { ip: '10.0.0.1', port: null } },
      {},
    ],
    [
      'no IP layer: {PROTO} ends the line',
      '05/06-14:22:31.482911 [**] [116:109:1] "(arp_spoof) unicast ARP request" [**] [Priority: 3] {ARP} ',
      { gid: 116, sid: 109, proto: 'ARP', src: { ip: '', port: null } },
      {},
    ],
    [
      'hostile msg: Slack control text, fake trailers and arrows stay in the msg',
      '05/06-14:22:31.482911 [**] [1:9:1] "<!channel> [Priority: 4] {UDP} 6.6.6.6:1 -> 7.7.7.7:2 [**] \\"pwn\\"" [**] [Classification: Misc activity] [Priority: 1] {TCP} 203.0.113.7:4444 -> 10.0.0.5:22',
      {
        message: '<!channel> [Priority: 4] {UDP} 6.6.6.6:1 -> 7.7.7.7:2 [**] \\"pwn\\"',
        priority: 1,
        src: { ip: '203.0.113.7', port: 4444 },
      },
      { version: 3 },
    ],
  ];
  it.each(cases)('%s', (_name, line, ids, alert) => {
    const r = ok(line);
    expect(r.event.ids).toMatchObject(ids);
    expect(r.alert).toMatchObject(alert);
    expect(r.event.client.addrs).toEqual(r.event.ids!.src.ip ? [r.event.ids!.src.ip] : []);
  });

  it('-y: the year is printed (YY/MM/DD)', () => {
    const line = S3.replace('05/06-', '24/05/06-');
    const c = ctx({ year: 2030 });
    expect(ok(line, c).event.ts).toBe('2024-05-06T14:22:31.482911Z');
    expect(c.carry.year).toBeUndefined(); // an explicit year does not touch the carry
  });

  it('New Year rollover: December then January advances the year', () => {
    const c = ctx({ year: 2025 });
    const dec = ok(S2.replace('09/04-21:55:02.041364', '12/31-23:59:59.900000'), c).event;
    const jan = ok(S2.replace('09/04-21:55:02.041364', '01/01-00:00:00.100000'), c).event;
    expect(dec.ts).toBe('2025-12-31T23:59:59.9Z');
    expect(jan.ts).toBe('2026-01-01T00:00:00.1Z');
    expect(c.carry.year).toEqual({ year: 2026, month: 0 });
  });

  it('without --year, the year comes from the file mtime (a later month is last year)', () => {
    const refMs = Date.UTC(2026, 1, 15); // file last written in February 2026
    expect(ok(S2, ctx({ year: undefined, refMs })).event.ts).toBe('2025-09-04T21:55:02.041364Z');
  });

  it.each([
    ['no [**] after the timestamp', '05/06-14:22:31.482911 [1:1:1] "x" {TCP} 1.2.3.4:1 -> 5.6.7.8:2', 'TRIP_PARSE_UNKNOWN_FORMAT'],
    ['not an alert at all', 'Commencing packet processing', 'TRIP_PARSE_UNKNOWN_FORMAT'],
    ['no {PROTO}', '05/06-14:22:31.482911 [**] [1:1:1] "x" [**] [Priority: 1] 1.2.3.4:1 -> 5.6.7.8:2', 'TRIP_PARSE_UNKNOWN_FORMAT'],
    ['addresses that are not IPs', '05/06-14:22:31.482911 [**] [1:1:1] "x" [**] [Priority: 1] {TCP} evil:1 -> 5.6.7.8:2', 'TRIP_PARSE_UNKNOWN_FORMAT'],
    ['month 13', S2.replace('09/04', '13/04'), 'TRIP_PARSE_TIMESTAMP'],
    ['February 30', S2.replace('09/04', '02/30'), 'TRIP_PARSE_TIMESTAMP'],
    ['hour 24', S2.replace('21:55', '24:55'), 'TRIP_PARSE_TIMESTAMP'],
    ['empty', '   ', 'TRIP_PARSE_EMPTY'],
  ])('error: %s', (_name, line, code) => {
    const r = parseSnortFast(line, ctx());
    expect(errorCode(r)).toBe(code);
    if (!r.ok) expect(r.error).toMatchObject({ kind: 'snort', sourceName: 'alert_fast.txt', position: 'line 1' });
  });

  it('a bad timestamp does not disturb the year carry', () => {
    const c = ctx();
    parseSnortFast(S2.replace('09/04', '13/04'), c);
    expect(c.carry.year).toBeUndefined();
  });
});

describe('parseSnortFast: Snort 3 alert_json lines', () => {
  // A corpus record (splunk-snort3-ta alert_json.txt line 2), b64_data and iface shortened.
  const record = {
    seconds: 1574352110, action: 'allow', class: 'Attempted Administrator Privilege Gain',
    b64_data: 'AAAQPP9TTUIvAAAAABgFSAAAyIAtOUGjAkUAAAII', dir: 'C2S', dst_addr: '10.11.21.11',
    dst_ap: '10.11.21.11:445', dst_port: 445, gid: 1, iface: 'eth0',
    msg: 'OS-WINDOWS Microsoft Windows raw WriteAndX InData pointer adjustment attempt',
    pkt_gen: 'stream_tcp', pkt_len: 4160, pkt_num: 61571, priority: 1, proto: 'TCP', rev: 1,
    rule: '1:50626:1', sid: 50626, src_addr: '10.11.21.101', src_ap: '10.11.21.101:50084',
    src_port: 50084, timestamp: '11/21-18:01:50.061909',
  };
  // Snort writes `{ "k" : v, ... }` with spaces; JSON.stringify is equivalent for the parser.
  const line = (o: object) => JSON.stringify(o).replace(/^\{/, '{ ');

  it('a full record: time from `seconds` (UTC) plus the timestamp fraction', () => {
    const { event, alert } = ok(line(record));
    expect(event.ts).toBe('2019-11-21T16:01:50.061909Z');
    expect(event.ids).toEqual({
      gid: 1, sid: 50626, rev: 1, priority: 1, classification: 'Attempted Administrator Privilege Gain',
      message: record.msg, proto: 'TCP', src: { ip: '10.11.21.101', port: 50084 }, dst: { ip: '10.11.21.11', port: 445 },
    });
    expect(event.client).toEqual({ addrs: ['10.11.21.101'], port: 50084 });
    expect(alert).toMatchObject({ form: 'json', version: 3, action: null, iface: 'eth0', timestamp: '11/21-18:01:50.061909' });
    expect(JSON.stringify(alert)).not.toContain('b64_data');
  });

  it('the default field set: no msg/addr/port fields, addresses from src_ap/dst_ap, time from timestamp', () => {
    const { event, alert } = ok(
      line({
        timestamp: '11/21-18:01:50.061909',
        pkt_num: 7,
        proto: 'UDP',
        pkt_gen: 'raw',
        pkt_len: 90,
        dir: 'C2S',
        src_ap: '2001:db8::5:5353',
        dst_ap: '10.0.0.1:53',
        rule: '1:1000017:0',
        action: 'block',
      }),
      ctx({ year: 2019 }),
    );
    expect(event.ts).toBe('2019-11-21T18:01:50.061909Z');
    expect(event.ids).toMatchObject({ sid: 1000017, priority: null, message: '', src: { ip: '2001:db8::5', port: 5353 }, dst: { ip: '10.0.0.1', port: 53 } });
    expect(alert.action).toBe('block');
  });

  it('ICMP: the _ap port 0 is not a port; class "none" is no classification; priority 0 is none', () => {
    const { event } = ok(line({ ...record, proto: 'ICMP', src_port: undefined, dst_port: undefined, src_ap: '10.11.21.101:0', class: 'none', priority: 0 }));
    expect(event.ids).toMatchObject({ priority: null, classification: null, src: { ip: '10.11.21.101', port: null } });
  });

  it.each([
    ['a truncated record (upstream line 1)', 'zMzMzMw=", "dir" : "C2S", "gid" : 1, "rule" : "1:50626:1", "timestamp" : "11/21-18:01:50.061444" }', 'TRIP_PARSE_JSON'],
    ['a quoted number', line({ ...record, priority: '1' }), 'TRIP_PARSE_SHAPE'],
    ['a port out of range', line({ ...record, src_port: 70000 }), 'TRIP_PARSE_SHAPE'],
    ['no rule id', line({ seconds: 1, proto: 'TCP' }), 'TRIP_PARSE_SHAPE'],
    ['no time at all', line({ rule: '1:2:3', proto: 'TCP' }), 'TRIP_PARSE_TIMESTAMP'],
    ['a JSON array', '[1,2,3]', 'TRIP_PARSE_UNKNOWN_FORMAT'],
  ])('error: %s', (_name, l, code) => {
    expect(errorCode(parseSnortFast(l, ctx()))).toBe(code);
  });
});

describe('snortProgram: alert_syslog message bodies', () => {
  const cases: Array<[string, string, Record<string, unknown>]> = [
    [
      'Snort 2, as in the corpus',
      '[1:1000017:0] UDP Connection [Classification: Misc activity] [Priority: 3] {UDP} 10.150.10.44:55776 -> 10.25.10.22:32414',
      { sid: 1000017, priority: 3, message: 'UDP Connection', src: { ip: '10.150.10.44', port: 55776 } },
    ],
    [
      'Snort 3 quoted',
      '[1:1000001:1] "Sample alert" [Classification: Misc activity] [Priority: 3] {TCP} 192.168.0.1:14685 -> 173.37.145.84:25',
      { message: 'Sample alert', dst: { ip: '173.37.145.84', port: 25 } },
    ],
    [
      'Snort 2 colon after priority, interface',
      '[1:2014384:8] ET DOS Microsoft Remote Desktop (RDP) Syn then Reset 30 Second DoS Attempt [Classification: Attempted Denial of Service] [Priority: 2]: <eth1> {TCP} 72.14.163.130:52372 -> 192.168.1.60:3389',
      { priority: 2, classification: 'Attempted Denial of Service', message: 'ET DOS Microsoft Remote Desktop (RDP) Syn then Reset 30 Second DoS Attempt' },
    ],
    [
      'preprocessor alert: no space before [Priority',
      '[119:15:1] (http_inspect) OVERSIZE REQUEST-URI DIRECTORY found[Priority: 3]: {TCP} 10.0.20.9:41000 -> 10.0.20.10:80',
      { gid: 119, sid: 15, priority: 3, classification: null, message: '(http_inspect) OVERSIZE REQUEST-URI DIRECTORY found' },
    ],
    [
      'Snort 3 syslog leaves Priority out when it is 0; interface before {PROTO}',
      '[1:1000009:1] "no prio" <eth0> {UDP} 10.0.20.5:123 -> 10.0.20.1:123',
      { priority: null, classification: null, message: 'no prio' },
    ],
    [
      'ICMP without ports',
      '[1:1000015:0] Pinging... [Classification: Misc activity] [Priority: 3] {ICMP} 10.50.10.88 -> 175.16.199.1',
      { proto: 'ICMP', src: { ip: '10.50.10.88', port: null }, dst: { ip: '175.16.199.1', port: null } },
    ],
  ];
  it.each(cases)('%s', (_name, message, ids) => {
    const facts = snortProgram({ program: 'snort', pid: 1337, message });
    expect(facts).toMatchObject({ app: 'snort', action: 'ids.alert', outcome: 'unknown' });
    expect(IdsFacet.parse(facts.ids)).toMatchObject(ids);
    expect(facts.client?.addrs).toEqual([facts.ids!.src.ip]);
    expect(facts.target).toEqual({ address: facts.ids!.dst.ip, port: facts.ids!.dst.port });
  });

  it('the body parser keeps the interface seen before {PROTO}', () => {
    expect(parseSnortBody('[1:2:3] x [Priority: 2] <eth1> {TCP} 1.2.3.4:5 -> 6.7.8.9:10')).toMatchObject({ iface: 'eth1', priority: 2 });
  });

  it.each([
    'Snort started',
    'ALERT',
    '[1:2:3] no addresses',
    '[1:2:3] "x" [Priority: 1] {TCP} 1.2.3.4:5 -> ',
    '[x:y:z] "x" {TCP} 1.2.3.4:5 -> 6.7.8.9:10',
  ])('unparseable message %j is a generic snort event', (message) => {
    expect(snortProgram({ program: 'snort', pid: null, message })).toEqual({ app: 'snort' });
  });
});

describe('linear time on hostile lines', () => {
  const pre = '05/06-14:22:31.482911 [**] [1:1:1] ';
  const n = 100_000;
  const lines: Array<[string, string]> = [
    ['brackets', pre + '['.repeat(n)],
    ['fake priorities', pre + '"' + '[Priority: 1] '.repeat(n / 14) + '" [**] [Priority: 1] {TCP} 1.2.3.4:1 -> 5.6.7.8:2'],
    ['arrows', pre + ' -> '.repeat(n / 4)],
    ['braces', pre + '{'.repeat(n) + '} 1.2.3.4 -> 5.6.7.8'],
    ['one long endpoint', pre + '"x" [**] [Priority: 1] {TCP} ' + '1:'.repeat(n / 2) + ' -> 5.6.7.8:2'],
    ['colons', pre + ':'.repeat(n)],
    ['spaces', pre + ' '.repeat(n) + 'x'],
    ['angle brackets', pre + '<'.repeat(n) + '> {TCP} 1.2.3.4:1 -> 5.6.7.8:2'],
    ['classification opens', pre + '[Classification: '.repeat(n / 17) + ']'],
    ['json', '{' + '"a":'.repeat(n / 4) + '1}'],
  ];
  it.each(lines)('%s: 100 KB parses fast', (_name, line) => {
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) parseSnortFast(line, ctx());
    expect((performance.now() - t0) / 5).toBeLessThan(50);
  });

  it('the fake-priorities line still parses to its real trailer', () => {
    expect(ok(lines[1]![1]).event.ids?.priority).toBe(1);
  });
});

describe('property: never throws; every ok result is a valid SecurityEvent', () => {
  const piece = fc.constantFrom('[**]', ' ', '"', '[Priority: 1]', '[Classification: x]', ':', ' -> ', '{TCP}', '{ICMP}', '<eth0>', '2001:db8::5:443', '10.0.0.1:80', '[1:2:3]', ']', '[', '{', '}');
  it('on alert-shaped noise', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(piece, fc.string({ maxLength: 4 })), { maxLength: 30 }), (parts) => {
        const r = parseSnortFast(`05/06-14:22:31.482911 [**] ${parts.join('')}`, ctx());
        if (r.ok) SecurityEvent.parse(r.event);
      }),
    );
  });
});
