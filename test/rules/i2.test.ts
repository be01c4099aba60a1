import { describe, expect, it } from 'vitest';
import { I2 } from '../../rules/snort/i2-ids-alert.js';
import { findingsOf, makeContext } from '../helpers/context.js';
import { snortEvent } from '../helpers/rule-events.js';

const ctx = makeContext();

describe('I2 Snort alert for the digest', () => {
  it.each([2, 3, 4])('fires for priority %i, keyed by signature', (p) => {
    const [f, ...rest] = findingsOf(I2.match(snortEvent(p, 1000001, '10.0.20.7:5353', '224.0.0.251:5353', 'Sample alert'), ctx));
    expect(rest).toEqual([]);
    expect(f!.key).toBe('1:1000001');
    expect(f!.summary).toBe(`Snort saw "Sample alert" (1:1000001, priority ${p}) from 10.0.20.7:5353 to 224.0.0.251:5353 over TCP`);
    expect(f!.fields!.details).toMatchObject({ priority: p, signature: '1:1000001:3' });
  });

  it('does not fire for priority 1 (I1), no priority, or priorities above 4', () => {
    expect(I2.match(snortEvent(1), ctx)).toBeNull();
    expect(I2.match(snortEvent(0), ctx)).toBeNull();
    expect(I2.match(snortEvent(5), ctx)).toBeNull();
  });

  it('is info severity: never posted on its own', () => {
    expect(I2).toMatchObject({ id: 'I2', severity: 'info', runbook: 'i2', apps: ['snort'] });
  });
});
