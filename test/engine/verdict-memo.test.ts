// issue 8: the prefilter's verdict memo (services/engine/verdict-memo.ts) and the verdict
// tables of both scanner builds. A verdict is shared only by lines that agree byte for
// byte on the fields the interests read; a hash collision never lends a verdict.
import { describe, expect, it } from 'vitest';
import { JsVerdictTable, K8sVerdictMemo, type VerdictTable } from '../../services/engine/verdict-memo.js';
import { SlotView } from '../../services/parsers/k8s-audit-scan.js';
import { newK8sChunkScanner, type K8sChunkScanner } from '../../services/parsers/k8s-audit-chunk-scanner.js';

const line = (verb: string, resource: string, name: string, addr: string): string =>
  `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a-1","stage":"ResponseComplete","verb":"${verb}","user":{"username":"system:serviceaccount:ns:sa"},"sourceIPs":["${addr}"],"objectRef":{"resource":"${resource}","namespace":"ns","name":"${name}"},"responseStatus":{"metadata":{},"code":200},"stageTimestamp":"2026-06-10T00:00:00.000001Z"}`;

/** A scanner holding `text` as its line (accepted). */
function scanner(build: 'wasm' | 'js', text: string): K8sChunkScanner {
  const s = newK8sChunkScanner(build);
  scanInto(s, text);
  return s;
}

function scanInto(s: K8sChunkScanner, text: string): Buffer {
  const chunk = Buffer.from(`${text}\n`);
  s.load(chunk);
  expect(s.scan(0, chunk.length - 1)).toBe(true);
  return chunk;
}

/** The interest under test: reads the verb, and the name only for deletes. */
function judge(s: K8sChunkScanner, chunk: Buffer): { quiet: boolean; read: number } {
  const v = new SlotView(s.slots, (f, t) => chunk.toString('utf8', f, t));
  const quiet = !(v.verb === 'delete' && v.name === 'precious');
  return { quiet, read: v.read };
}

describe.each(['wasm', 'js'] as const)('K8sVerdictMemo over the %s scanner', (build) => {
  it('shares a verdict across lines that differ only in fields the interests did not read', () => {
    const s = newK8sChunkScanner(build);
    const memo = new K8sVerdictMemo(s.verdicts);
    const a = scanInto(s, line('get', 'pods', 'one', '10.0.0.1'));
    const j = judge(s, a);
    expect(j).toEqual({ quiet: true, read: 1 }); // the verb only
    expect(memo.lookup()).toBeUndefined();
    memo.remember(j.read, j.quiet);
    scanInto(s, line('get', 'secrets', 'two', '192.0.2.9'));
    expect(memo.lookup()).toBe(true);
    scanInto(s, line('delete', 'pods', 'one', '10.0.0.1'));
    expect(memo.lookup()).toBeUndefined();
  });

  it('keeps verdicts apart by the bytes of every field read (the name, once a delete made the interest read it)', () => {
    const s = newK8sChunkScanner(build);
    const memo = new K8sVerdictMemo(s.verdicts);
    const verdict = (text: string): boolean => {
      const chunk = scanInto(s, text);
      const known = memo.lookup();
      if (known !== undefined) return known;
      const j = judge(s, chunk);
      memo.remember(j.read, j.quiet);
      return j.quiet;
    };
    expect(verdict(line('delete', 'pods', 'harmless', '10.0.0.1'))).toBe(true);
    expect(verdict(line('delete', 'pods', 'precious', '10.0.0.1'))).toBe(false);
    expect(verdict(line('delete', 'pods', 'harmless', '10.0.0.2'))).toBe(true);
    expect(verdict(line('delete', 'pods', 'precious', '10.9.9.9'))).toBe(false);
    expect(verdict(line('delete', 'pods', 'precious!', '10.9.9.9'))).toBe(true);
    expect(memo.hits).toBe(2);
    expect(memo.misses).toBe(3);
  });

  it('an absent field and an empty one are different keys', () => {
    const resourceBit = 1 << 3;
    const s = scanner(build, line('get', '', 'x', '10.0.0.1'));
    s.verdicts.store(resourceBit, false);
    expect(s.verdicts.lookup(resourceBit)).toBe(0);
    scanInto(s, line('get', 'pods', 'x', '10.0.0.1').replace(/,"objectRef":\{[^}]*\}/, ''));
    expect(s.verdicts.lookup(resourceBit)).toBe(-1);
  });
});

describe('verdict tables', () => {
  it('the JavaScript table compares keys in full: a hash collision is no hit', () => {
    const s = scanner('js', line('delete', 'pods', 'harmless', '10.0.0.1'));
    const table = s.verdicts as JsVerdictTable;
    // Force every key into one hash bucket.
    const bucket = (table as unknown as { table: Map<number, unknown> }).table;
    const get = bucket.get.bind(bucket);
    bucket.get = () => get([...bucket.keys()][0]!);
    const mask = 1 | (1 << 5);
    table.store(mask, true);
    scanInto(s, line('delete', 'pods', 'precious', '10.0.0.1'));
    expect(table.lookup(mask)).toBe(-1);
  });

  it('both builds give the same answers over many lines and masks (WebAssembly keys live in its memory)', () => {
    const w = newK8sChunkScanner('wasm');
    const j = newK8sChunkScanner('js');
    const tables: Array<[K8sChunkScanner, VerdictTable]> = [
      [w, w.verdicts],
      [j, j.verdicts],
    ];
    let stored = 0;
    for (let i = 0; i < 3000; i++) {
      const text = line(['get', 'delete', 'update'][i % 3]!, ['pods', 'secrets', ''][i % 5 % 3]!, `n${i % 97}`, `10.0.${i % 7}.${i % 11}`);
      const mask = [1, 1 | 8, 1 | 32, 4 | 8, 1023][i % 5]!;
      const answers = tables.map(([s, t]) => {
        scanInto(s, text);
        return t.lookup(mask);
      });
      expect(answers[0]).toBe(answers[1]);
      if (answers[0] === -1) {
        for (const [, t] of tables) t.store(mask, i % 2 === 0);
        stored++;
      }
    }
    expect(stored).toBeGreaterThan(100);
    expect(stored).toBeLessThan(3000);
  });
});
