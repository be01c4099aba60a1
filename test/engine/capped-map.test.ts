import { describe, expect, it } from 'vitest';
import { CappedMap } from '../../services/engine/capped-map.js';

const keys = (m: CappedMap<number>) => [...m.entries()].map(([k]) => k);

describe('CappedMap', () => {
  it('orders keys least recently updated first; get() is not an update', () => {
    const m = new CappedMap<number>(10);
    m.set('a', 1);
    m.set('b', 2);
    m.set('c', 3);
    m.set('a', 4);
    expect(m.get('b')).toBe(2);
    expect(keys(m)).toEqual(['b', 'c', 'a']);
    expect(m.get('a')).toBe(4);
    expect(m.delete('c')).toBe(true);
    expect(m.delete('c')).toBe(false);
    expect(keys(m)).toEqual(['b', 'a']);
  });

  it('evicts the least recently updated keys beyond the cap and counts them', () => {
    const m = new CappedMap<number>(2);
    m.set('a', 1);
    m.set('b', 2);
    m.set('a', 3);
    m.set('c', 4);
    expect(keys(m)).toEqual(['a', 'c']);
    expect(m.evicted).toBe(1);
    expect(m.has('b')).toBe(false);
    expect(m.size).toBe(2);
  });

  it('sweeps idle keys from the front and stops at the first live one', () => {
    const m = new CappedMap<number>(10);
    for (const [k, v] of [['a', 1], ['b', 9], ['c', 2]] as const) m.set(k, v);
    expect(m.sweep((v) => v < 5)).toBe(1);
    expect(keys(m)).toEqual(['b', 'c']);
  });

  it('stays fast when a few hot keys churn among many (no Map re-insertion)', () => {
    const m = new CappedMap<number>(100_000);
    for (let i = 0; i < 50_000; i++) m.set(`k${i}`, i);
    for (let i = 0; i < 100_000; i++) m.set(i % 2 ? 'hot1' : 'hot2', i);
    expect(keys(m).slice(-2)).toEqual(['hot2', 'hot1']);
    expect(m.size).toBe(50_002);
  });

  it('refuses a cap that is not a positive integer', () => {
    expect(() => new CappedMap(0)).toThrow(/positive integer/);
  });
});
