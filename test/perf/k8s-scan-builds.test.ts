// issue 8: the k8s-audit scanner exists three times: the JavaScript byte scanner, its
// WebAssembly build (wasm/k8s-audit-scan.ts, SIMD) and the regular expression it replaced
// (test/helpers/k8s-audit-scan-regex.ts, kept as an oracle). On real and fuzzed lines all
// three must accept exactly the same lines, and the two byte builds must record the same
// slots. The full parser's agreement with what they read is tested in
// prefilter-differential.test.ts and the hardening fuzzer.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { k8sAuditLines, mulberry32 } from '../../bench/gen.js';
import { instantiateScanner, newK8sChunkScanner } from '../../services/parsers/k8s-audit-chunk-scanner.js';
import { scanK8sAuditLine, TimeCache, timeRange, viewOf } from '../../services/parsers/k8s-audit-scan.js';
import { parseRfc3339 } from '../../services/lib/time.js';
import { scanK8sAuditLineByRegex } from '../helpers/k8s-audit-scan-regex.js';
import { k8sQuietTaker } from '../../services/cli/replay-quiet.js';
import { LineSplitter } from '../../services/collectors/line-splitter.js';
import { compileK8sQuietTest } from '../../services/engine/prefilter.js';
import { Config } from '../../schemas/config.js';
import { rules } from '../../rules/index.js';
import { parseK8sAudit } from '../../services/parsers/k8s-audit.js';
import { K8sAuditEvent } from '../../schemas/sources/k8s-audit.js';
import { corpusDir, corpusPresent } from '../conformance/corpus-helpers.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Byte-level damage and reshuffles: most keep the canonical prefix, so the scanners get deep. */
function damaged(line: string, r: () => number): string {
  const b = Buffer.from(line);
  const at = Math.floor(r() * b.length);
  switch (Math.floor(r() * 8)) {
    case 0:
      b[at] = Math.floor(r() * 128); // any ASCII byte, control bytes included
      return b.toString('latin1');
    case 1:
      return line.slice(0, at) + line.slice(at + 1); // a byte gone
    case 2:
      return `${line.slice(0, at)}\\${line.slice(at)}`; // a stray backslash
    case 3:
      return `${line.slice(0, at)}\\u00${line.slice(at)}`; // a cut \\u escape
    case 4:
      return line.replace('"code":200', `"code":${Math.floor(r() * 1200)}`);
    case 5:
      return line.replace('"sourceIPs":[', `"sourceIPs":["${'1.2.3.4","'.repeat(Math.floor(r() * 3))}`);
    case 6:
      return line.replace('}}', `}${r() < 0.5 ? ',"requestObject":{"a":[1,{"b":[2,{"c":[3]}]}]}' : ''}}`);
    default:
      return `${line.slice(0, at)}é${line.slice(at)}`; // a multi-byte character
  }
}

function lines(): string[] {
  const r = mulberry32(77);
  const gen = k8sAuditLines(77, 400);
  const out: string[] = [];
  for (let i = 0; i < 20_000; i++) {
    const l = gen(i);
    out.push(r() < 0.6 ? damaged(l, r) : l);
  }
  out.push(...readFileSync(join(ROOT, 'test/fixtures/scenario/k8s-audit.log'), 'utf8').split('\n'));
  if (corpusPresent) {
    for (const f of [...corpusDir('k8s-audit').filter((x) => x.endsWith('.log')), ...corpusDir('k8s-audit/falco-trace-files')]) {
      out.push(...readFileSync(f, 'utf8').split('\n'));
    }
  }
  return out.filter((l) => !l.includes('\n'));
}

describe('k8s-audit scanner builds', () => {
  it('the WebAssembly build is present (npm run build) and is the default', () => {
    expect(newK8sChunkScanner().build).toBe('wasm');
    expect(newK8sChunkScanner('js').build).toBe('js');
  });

  it('a WebAssembly module from another build is refused with the reason, not used (the replay then takes the JavaScript scanner)', () => {
    const Wasm = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object } }).WebAssembly;
    const empty = new Wasm.Module(Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00)); // a valid module that exports nothing
    const refused = instantiateScanner(empty);
    expect(typeof refused).toBe('string');
    expect(refused).toContain('lacks chunkBase');
    expect(refused).toContain('scanRun');
    const built = instantiateScanner(new Wasm.Module(readFileSync(join(ROOT, 'dist/wasm/k8s-audit-scan.wasm'))));
    expect(typeof built === 'string' ? built : built.build).toBe('wasm');
  });

  it('JavaScript, WebAssembly and the regular-expression oracle accept the same lines and read the same values', () => {
    const all = lines();
    // One chunk holding every line, as the replay hands it over (lines end with "\n").
    const chunk = Buffer.from(`${all.join('\n')}\n`);
    const wasm = newK8sChunkScanner('wasm');
    const js = newK8sChunkScanner('js');
    wasm.load(chunk);
    js.load(chunk);
    const timesA = new TimeCache();
    const timesB = new TimeCache();
    let accepted = 0;
    let from = 0;
    for (const line of all) {
      const end = from + Buffer.byteLength(line);
      const a = js.scan(from, end);
      expect(wasm.scan(from, end), line).toBe(a);
      const oracle = scanK8sAuditLineByRegex(line, timesA);
      const mine = scanK8sAuditLine(line, timesB);
      expect(mine, line).toEqual(oracle);
      if (a) {
        accepted++;
        const cut = (f: number, t: number): string => chunk.toString('utf8', f, t);
        expect(viewOf(wasm.slots, cut), line).toEqual(viewOf(js.slots, cut));
        // In place or alone, the line reads the same; alone it is refused only when its time is not one.
        if (mine !== null) expect(mine.view, line).toEqual(viewOf(js.slots, cut));
        else expect(parseRfc3339(cut(...timeRange(js.slots))), line).toBeNull();
      } else {
        expect(mine, line).toBeNull();
      }
      from = end + 1;
    }
    expect(accepted).toBeGreaterThan(8_000); // not vacuous: most undamaged lines are canonical
    expect(accepted).toBeLessThan(all.length); // and damage is refused
  });

  it('next() finds each line end as indexOf does, and the scan it made on the way is the scan', () => {
    const all = lines();
    const chunk = Buffer.from(`${all.join('\n')}\n`);
    const direct = newK8sChunkScanner('js');
    direct.load(chunk);
    let accepted = 0;
    for (const build of ['wasm', 'js'] as const) {
      const s = newK8sChunkScanner(build);
      s.load(chunk);
      for (let from = 0, n = 0; from < chunk.length; n++) {
        const nl = s.next(from);
        expect(nl, `line ${n}`).toBe(chunk.indexOf(10, from));
        const ok = s.scan(from, nl);
        expect(ok, `line ${n}`).toBe(direct.scan(from, nl));
        if (ok) {
          accepted++;
          const cut = (f: number, t: number): string => chunk.toString('utf8', f, t);
          expect(viewOf(s.slots, cut)).toEqual(viewOf(direct.slots, cut));
          expect(timeRange(s.slots)).toEqual(timeRange(direct.slots));
        }
        from = nl + 1;
      }
    }
    expect(accepted).toBeGreaterThan(16_000);
  });

  it('runs take exactly the lines, times and places the line-by-line path takes, in both builds', () => {
    const gen = k8sAuditLines(9, 300);
    // Damage, CRLF endings and lines over the splitter's cap (1,500 bytes here) break runs.
    const all = [...lines(), ...Array.from({ length: 3000 }, (_, i) => (i % 97 === 0 ? `${gen(i)}\r` : gen(i)))];
    const text = Buffer.from(`${all.join('\n')}\n`);
    const quiet = compileK8sQuietTest(rules, Config.parse({}))!;
    const replayed = (build: 'wasm' | 'js', withRun: boolean): { out: string[]; inRuns: number } => {
      const saved = process.env['TRIPLINE_SCANNER'];
      process.env['TRIPLINE_SCANNER'] = build;
      const out: string[] = [];
      const take = k8sQuietTaker(
        quiet,
        (q) => out.push(`quiet ${q.ms} ${q.subNs} ${q.iso()} ${JSON.stringify(q.evidence())}`),
        (n) => out.push(`interested ${n}`),
      );
      if (saved === undefined) delete process.env['TRIPLINE_SCANNER'];
      else process.env['TRIPLINE_SCANNER'] = saved;
      let inRuns = 0;
      const run = take.run!;
      if (withRun) {
        take.run = (chunk, at, last, lineNo, maxLen) => {
          run(chunk, at, last, lineNo, maxLen);
          inRuns += at.lines;
        };
      } else delete take.run;
      const splitter = new LineSplitter(0, 0, 1500);
      // 64 KiB chunks: runs meet chunk ends and held partial lines.
      for (let at = 0; at < text.length; at += 65536) {
        splitter.pushEach(text.subarray(at, at + 65536), take, (l) => out.push(`line ${l.lineNo} ${l.offset} ${l.bytes} ${l.truncated} ${l.text}`));
      }
      for (const l of splitter.end()) out.push(`line ${l.lineNo} ${l.text}`);
      return { out, inRuns };
    };
    for (const build of ['wasm', 'js'] as const) {
      const byRun = replayed(build, true);
      const oneByOne = replayed(build, false);
      expect(byRun.out.filter((l) => !l.startsWith('interested ')).length).toBe(all.length); // every line, once
      expect(byRun.out).toEqual(oneByOne.out);
      expect(byRun.inRuns, build).toBeGreaterThan(10_000); // not vacuous: most quiet lines came in runs
      expect(byRun.out.filter((l) => l.startsWith('line ') && l.includes(' true ')).length, build).toBeGreaterThan(0); // some over the cap
    }
  });

  it('every line the scanner accepts passes the audit Event schema unchanged, so the parser may skip it for them', () => {
    const js = newK8sChunkScanner('js');
    const ctx = { kind: 'k8s-audit' as const, sourceName: 'k', position: 'line 1', carry: {} };
    let accepted = 0;
    for (const line of lines()) {
      const b = Buffer.from(line);
      js.load(b);
      if (!js.scan(0, b.length)) continue;
      accepted++;
      const value: unknown = JSON.parse(line);
      const checked = K8sAuditEvent.safeParse(value);
      expect(checked.success, line).toBe(true);
      expect(checked.data, line).toEqual(value);
      expect(parseK8sAudit(line, { ...ctx, scannedCanonical: true }), line).toEqual(parseK8sAudit(line, ctx));
    }
    expect(accepted).toBeGreaterThan(8_000);
  });

  it('a chunk larger than the WebAssembly memory grows it and keeps answering', () => {
    const gen = k8sAuditLines(5, 50);
    const many = Array.from({ length: 6000 }, (_, i) => gen(i)); // ~6 MB: several memory growths
    const chunk = Buffer.from(`${many.join('\n')}\n`);
    const wasm = newK8sChunkScanner('wasm');
    wasm.load(Buffer.from('{}\n'));
    wasm.load(chunk);
    const last = many[many.length - 1]!;
    const from = chunk.length - 1 - Buffer.byteLength(last);
    expect(wasm.scan(from, chunk.length - 1)).toBe(true);
    const view = viewOf(wasm.slots, (f, t) => chunk.toString('utf8', f, t));
    expect(view).toEqual(scanK8sAuditLine(last, new TimeCache())!.view);
  });
});
