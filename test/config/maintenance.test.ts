import { describe, expect, it } from 'vitest';
import { MaintenanceWindow } from '../../schemas/config.js';
import { compileWindow, parseWindowTime, windowProblems } from '../../services/config/maintenance.js';

const at = (iso: string) => Date.parse(iso);

describe('maintenance windows', () => {
  it('parses HH:MM as daily minutes and RFC 3339 as an instant', () => {
    expect(parseWindowTime('02:30', 'UTC')).toEqual({ kind: 'daily', minute: 150 });
    expect(parseWindowTime('2025-05-06T02:00:00Z', 'UTC')).toEqual({ kind: 'instant', ms: at('2025-05-06T02:00:00Z') });
    expect(parseWindowTime('2025-05-06T02:00:00+02:00', 'UTC')).toEqual({ kind: 'instant', ms: at('2025-05-06T00:00:00Z') });
    // No offset: read in the window's zone (BST is UTC+1 in May).
    expect(parseWindowTime('2025-05-06T02:00', 'Europe/London')).toEqual({ kind: 'instant', ms: at('2025-05-06T01:00:00Z') });
    expect(parseWindowTime('2025-W19-2', 'UTC').kind).toBe('invalid');
    expect(parseWindowTime('2:30', 'UTC').kind).toBe('invalid');
    expect(parseWindowTime('2025-02-30T00:00:00Z', 'UTC').kind).toBe('invalid');
  });

  it('a daily window wraps midnight and follows the zone', () => {
    const w = compileWindow(MaintenanceWindow.parse({ from: '23:00', to: '01:00', timezone: 'Europe/London' }));
    expect(w.covers('pve', at('2025-05-06T22:30:00Z'))).toBe(true); // 23:30 BST
    expect(w.covers('pve', at('2025-05-06T23:59:00Z'))).toBe(true); // 00:59 BST
    expect(w.covers('pve', at('2025-05-07T00:00:00Z'))).toBe(false); // 01:00 BST: half-open
    expect(w.covers('pve', at('2025-05-06T21:59:00Z'))).toBe(false); // 22:59 BST
  });

  it('a one-off window is half-open and limited to its hosts', () => {
    const w = compileWindow(MaintenanceWindow.parse({ hosts: ['k8s-node*'], from: '2025-05-06T02:00:00Z', to: '2025-05-06T03:00:00Z' }));
    expect(w.covers('k8s-node1', at('2025-05-06T02:00:00Z'))).toBe(true);
    expect(w.covers('k8s-node1', at('2025-05-06T03:00:00Z'))).toBe(false);
    expect(w.covers('pve', at('2025-05-06T02:30:00Z'))).toBe(false);
    expect(w.covers(null, at('2025-05-06T02:30:00Z'))).toBe(false);
  });

  it('lists what is wrong with a window, field by field', () => {
    expect(windowProblems({ from: '03:00', to: '03:00' })).toEqual([{ field: 'to', message: 'must differ from from (an empty daily window)' }]);
    expect(windowProblems({ from: '03:00', to: '04:00', timezone: 'Nowhere/City' })).toEqual([
      { field: 'timezone', message: 'is not a known IANA time zone (e.g. Europe/London, UTC)' },
    ]);
    expect(() => compileWindow(MaintenanceWindow.parse({ from: '03:00', to: '2025-05-06T03:00:00Z' }))).toThrow('invalid maintenance window: from and to must both be RFC 3339 date-times or both HH:MM');
  });
});
