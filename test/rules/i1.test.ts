import { describe, expect, it } from 'vitest';
import { I1 } from '../../rules/snort/i1-priority-1.js';
import { findingsOf, makeContext } from '../helpers/context.js';
import { parseOne, snortEvent, syslogLine } from '../helpers/rule-events.js';

const ctx = makeContext();

describe('I1 Snort priority 1', () => {
  it('fires for a priority 1 alert', () => {
    const [f, ...rest] = findingsOf(I1.match(snortEvent(1), ctx));
    expect(rest).toEqual([]);
    expect(f!.key).toBe('1:2024218 198.51.100.9 10.0.20.5');
    expect(f!.summary).toBe('Snort saw "ET EXPLOIT Possible EternalBlue" (1:2024218, priority 1) from 198.51.100.9:49152 to 10.0.20.5:445 over TCP');
    expect(f!.fields).toMatchObject({ actor: '198.51.100.9', addresses: ['198.51.100.9', '10.0.20.5'], target: '10.0.20.5:445' });
    expect(f!.fields!.details).toMatchObject({ signature: '1:2024218:3', priority: 1, classification: 'Attempted Administrator Privilege Gain', proto: 'TCP' });
  });

  it('fires for the Snort 2 syslog form too', () => {
    const e = parseOne(
      'syslog',
      syslogLine('ids01', 'snort', 2401, '[1:2014384:8] ET DOS Possible RDP DoS [Classification: Attempted Denial of Service] [Priority: 1]: {TCP} 72.14.163.130:52372 -> 192.168.1.60:3389'),
    );
    expect(findingsOf(I1.match(e, ctx)).map((f) => f.key)).toEqual(['1:2014384 72.14.163.130 192.168.1.60']);
  });

  it('does not fire for priorities 2-4 or no priority', () => {
    for (const p of [2, 3, 4]) expect(I1.match(snortEvent(p), ctx)).toBeNull();
    expect(I1.match(snortEvent(0), ctx)).toBeNull(); // Snort 3 fast: 0 means "not set"
  });

  it('declares its metadata', () => {
    expect(I1).toMatchObject({ id: 'I1', severity: 'critical', runbook: 'i1', apps: ['snort'] });
  });
});
