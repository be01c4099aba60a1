// issue 8: the compact forms behind "≤ 300 bytes a live window key" and the faster line
// reader must be invisible: the slot-based CappedMap behaves like a plain LRU list, a
// packed one-entry window unpacks to exactly the window it was, and the LineSplitter's
// whole-chunk fast path yields exactly the lines of the byte-by-byte path.
import { describe, expect, it } from 'vitest';
import { CappedMap } from '../../services/engine/capped-map.js';
import { KeyWindow } from '../../services/engine/key-window.js';
import { LineSplitter, type RawLine } from '../../services/collectors/line-splitter.js';
import { mulberry32 } from '../../bench/gen.js';

describe('CappedMap (slots, not nodes)', () => {
  it('matches a reference LRU list under random set/delete/sweep with slot reuse and eviction', () => {
    const r = mulberry32(3);
    for (const cap of [1, 3, 17, 200]) {
      const m = new CappedMap<number>(cap);
      let ref: Array<[string, number]> = [];
      let evicted = 0;
      for (let i = 0; i < 5000; i++) {
        const key = `k${Math.floor(r() * cap * 2)}`;
        const x = r();
        if (x < 0.6) {
          ref = ref.filter(([k]) => k !== key);
          ref.push([key, i]);
          while (ref.length > cap) {
            ref.shift();
            evicted++;
          }
          m.set(key, i);
        } else if (x < 0.8) {
          const had = ref.some(([k]) => k === key);
          ref = ref.filter(([k]) => k !== key);
          expect(m.delete(key)).toBe(had);
        } else if (x < 0.9) {
          const limit = i - cap * 3;
          let n = 0;
          while (ref.length > 0 && ref[0]![1] < limit) {
            ref.shift();
            n++;
          }
          expect(m.sweep((v) => v < limit)).toBe(n);
        } else {
          expect(m.get(key)).toBe(ref.find(([k]) => k === key)?.[1]);
        }
        expect(m.size).toBe(ref.length);
      }
      expect([...m.entries()]).toEqual(ref);
      const seen: Array<[string, number]> = [];
      m.forEach((v, k) => seen.push([k, v]));
      expect(seen).toEqual(ref);
      expect(m.evicted).toBe(evicted);
    }
  });
});

describe('KeyWindow.pack', () => {
  const one = (p: Partial<{ ms: number; ns: number; dedupe: string; item: string | null; weight: number; source: string; kind: 'syslog' | 'k8s-audit'; position: string; ts: string; line: string; detail: Record<string, unknown> | null; win: string | null }>) => {
    const w = new KeyWindow();
    const ms = p.ms ?? Date.UTC(2026, 5, 10, 1, 2, 3, 456);
    const ns = p.ns ?? 0;
    w.insert(0, ms, ns, p.dedupe ?? 'syslog:0123456789abcdef0123', p.item === undefined ? 'root' : p.item, p.weight ?? 1, {
      source: p.source ?? 'auth.log',
      kind: p.kind ?? 'syslog',
      position: p.position ?? 'line 12',
      ts: p.ts ?? new Date(ms).toISOString(),
      line: p.line ?? 'Jun 10 01:02:03 pve sshd[1]: Failed password for root from 203.0.113.9 port 1 ssh2',
      truncated: false,
      detail: (p.detail ?? null) as never,
    });
    w.source = p.win === undefined ? 'auth.log' : p.win;
    return w;
  };

  it('unpacks to exactly the window it packed, whatever the entry holds', () => {
    const cases = [
      one({}),
      one({ position: 'line 0' }),
      one({ position: 'line 007' }),
      one({ position: 'offset 4096' }),
      one({ position: 'cursor s=1:2|3' }),
      one({ ts: '2026-06-10T01:02:03.4560Z' }), // not the canonical form: kept as is
      one({ ns: 123456, ts: '2026-06-10T01:02:03.456123456Z' }),
      one({ item: null }),
      one({ item: '' }),
      one({ item: '12:ab|cd,ef' }),
      one({ dedupe: 'k8s-audit:7:x|y,z', kind: 'k8s-audit', source: 'a,b|c:1' }),
      one({ detail: { addrs: ['10.0.0.1', '2001:db8::1'], userAgent: null, actorKind: 'human', n: 3, ok: true } }),
      one({ line: 'x'.repeat(5000) }), // capped like alert evidence
      one({ line: '' }),
      one({ line: 'caf\u00e9 \ud83d\ude00 | : , 12:' }),
      one({ win: null }),
      one({ weight: 7 }),
      one({ ms: 0 }),
    ];
    for (const w of cases) {
      const packed = w.pack();
      expect(packed, JSON.stringify(w.toJSON()).slice(0, 200)).not.toBeNull();
      expect(KeyWindow.unpack(packed!).toJSON()).toEqual(w.toJSON());
    }
  });

  it('does not pack a window with more than one entry or a cooldown', () => {
    const w = one({});
    w.lastFireMs = 5;
    expect(w.pack()).toBeNull();
    const two = one({});
    two.insert(1, Date.UTC(2026, 5, 10, 2), 0, 'syslog:other', null, 1, { source: 's', kind: 'syslog', position: 'line 2', ts: '2026-06-10T02:00:00.000Z', line: 'l', truncated: false, detail: null });
    expect(two.pack()).toBeNull();
  });
});

describe('LineSplitter whole-chunk fast path', () => {
  /** The same lines, fed one byte at a time (the general path, except for empty lines). */
  const reference = (bytes: Buffer, max: number): RawLine[] => {
    const s = new LineSplitter(0, 0, max);
    const out: RawLine[] = [];
    for (let i = 0; i < bytes.length; i++) out.push(...s.push(bytes.subarray(i, i + 1)));
    return [...out, ...s.end()];
  };

  it('gives the lines, offsets and flags of the byte-by-byte path on random input and chunking', () => {
    const r = mulberry32(8);
    const pieces = ['abc', 'line', '\n', '\r\n', '\n\n', '\uFEFF', 'caf\u00e9', '\ud83d\ude00', 'x'.repeat(40)].map((s) => Buffer.from(s));
    const bad = [Buffer.from([0xff]), Buffer.from([0xe2, 0x82]), Buffer.from([0xc3])];
    for (let round = 0; round < 300; round++) {
      const parts: Buffer[] = [];
      const n = 1 + Math.floor(r() * 30);
      for (let i = 0; i < n; i++) parts.push(r() < 0.08 ? bad[Math.floor(r() * bad.length)]! : pieces[Math.floor(r() * pieces.length)]!);
      const bytes = Buffer.concat(parts);
      const max = r() < 0.3 ? 8 + Math.floor(r() * 40) : 1024;
      const s = new LineSplitter(0, 0, max);
      const got: RawLine[] = [];
      for (let at = 0; at < bytes.length; ) {
        const len = 1 + Math.floor(r() * 64);
        got.push(...s.push(bytes.subarray(at, at + len)));
        at += len;
      }
      got.push(...s.end());
      expect(got).toEqual(reference(bytes, max));
    }
  });
});
