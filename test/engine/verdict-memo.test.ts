// issue 8: the prefilter's verdict memo (services/engine/verdict-memo.ts). A verdict is
// shared only by lines that agree byte for byte on the fields the interests read; a hash
// collision never lends a verdict to another line.
import { describe, expect, it } from 'vitest';
import { hashOf, K8sVerdictMemo } from '../../services/engine/verdict-memo.js';
import { newScanSlots, scanK8sAuditBytes, SlotView, type K8sScanSlots } from '../../services/parsers/k8s-audit-scan.js';
import { newK8sChunkScanner } from '../../services/parsers/k8s-audit-chunk-scanner.js';

const line = (verb: string, resource: string, name: string, addr: string): string =>
  `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a-1","stage":"ResponseComplete","verb":"${verb}","user":{"username":"system:serviceaccount:ns:sa"},"sourceIPs":["${addr}"],"objectRef":{"resource":"${resource}","namespace":"ns","name":"${name}"},"responseStatus":{"metadata":{},"code":200},"stageTimestamp":"2026-06-10T00:00:00.000001Z"}`;

function scanned(text: string): { b: Buffer; slots: K8sScanSlots } {
  const b = Buffer.from(text);
  const slots = newScanSlots();
  expect(scanK8sAuditBytes(b, 0, b.length, slots)).toBe(true);
  return { b, slots };
}

/** The interest under test: reads the verb, and the name only for deletes. */
function judge(b: Buffer, slots: K8sScanSlots): { quiet: boolean; read: number } {
  const v = new SlotView(slots, (f, t) => b.toString('utf8', f, t));
  const quiet = !(v.verb === 'delete' && v.name === 'precious');
  return { quiet, read: v.read };
}

describe('K8sVerdictMemo', () => {
  it('shares a verdict across lines that differ only in fields the interests did not read', () => {
    const memo = new K8sVerdictMemo();
    const a = scanned(line('get', 'pods', 'one', '10.0.0.1'));
    const j = judge(a.b, a.slots);
    expect(j).toEqual({ quiet: true, read: 1 }); // the verb only
    memo.remember(j.read, a.b, a.slots, (m) => hashOf(m, a.b, a.slots), j.quiet);
    const other = scanned(line('get', 'secrets', 'two', '192.0.2.9'));
    expect(memo.lookup(other.b, other.slots, (m) => hashOf(m, other.b, other.slots))).toBe(true);
    const del = scanned(line('delete', 'pods', 'one', '10.0.0.1'));
    expect(memo.lookup(del.b, del.slots, (m) => hashOf(m, del.b, del.slots))).toBeUndefined();
  });

  it('keeps verdicts apart by the bytes of every field read (the name, once a delete made the interest read it)', () => {
    const memo = new K8sVerdictMemo();
    const remember = (text: string): boolean => {
      const s = scanned(text);
      const h = (m: number): number => hashOf(m, s.b, s.slots);
      const known = memo.lookup(s.b, s.slots, h);
      if (known !== undefined) return known;
      const j = judge(s.b, s.slots);
      memo.remember(j.read, s.b, s.slots, h, j.quiet);
      return j.quiet;
    };
    expect(remember(line('delete', 'pods', 'harmless', '10.0.0.1'))).toBe(true);
    expect(remember(line('delete', 'pods', 'precious', '10.0.0.1'))).toBe(false);
    expect(remember(line('delete', 'pods', 'harmless', '10.0.0.2'))).toBe(true);
    expect(remember(line('delete', 'pods', 'precious', '10.9.9.9'))).toBe(false);
    expect(memo.hits).toBe(2);
  });

  it('a hash collision is caught by comparing the bytes: the colliding line gets no borrowed verdict', () => {
    const memo = new K8sVerdictMemo();
    const same = (): number => 42; // every key collides
    const benign = scanned(line('delete', 'pods', 'harmless', '10.0.0.1'));
    memo.remember(1 | (1 << 5), benign.b, benign.slots, same, true);
    const evil = scanned(line('delete', 'pods', 'precious', '10.0.0.1'));
    expect(memo.lookup(evil.b, evil.slots, same)).toBeUndefined();
    expect(memo.lookup(benign.b, benign.slots, same)).toBe(true);
  });

  it('an absent field and an empty one are different keys', () => {
    const memo = new K8sVerdictMemo();
    const withEmpty = scanned(line('get', '', 'x', '10.0.0.1'));
    const withoutRef = scanned(line('get', 'pods', 'x', '10.0.0.1').replace(/,"objectRef":\{[^}]*\}/, ''));
    const resourceBit = 1 << 3;
    memo.remember(resourceBit, withEmpty.b, withEmpty.slots, (m) => hashOf(m, withEmpty.b, withEmpty.slots), false);
    expect(memo.lookup(withoutRef.b, withoutRef.slots, (m) => hashOf(m, withoutRef.b, withoutRef.slots))).toBeUndefined();
  });

  it('the WebAssembly scanner hashes exactly as hashOf does', () => {
    const text = line('delete', 'pods', 'precious', '10.0.0.1');
    const chunk = Buffer.from(`${text}\n`);
    const wasm = newK8sChunkScanner('wasm');
    wasm.load(chunk);
    expect(wasm.scan(0, chunk.length - 1)).toBe(true);
    for (let mask = 0; mask < 1 << 10; mask += 7) expect(wasm.hash(mask)).toBe(hashOf(mask, chunk, wasm.slots));
  });
});
