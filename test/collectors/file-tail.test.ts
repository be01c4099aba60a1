import { appendFile, copyFile, open, readFile, rename, rm, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { FileTailCollector, type FileTailOptions } from '../../services/collectors/file-tail.js';
import type { SourcePosition } from '../../services/collectors/types.js';
import { numbered, Sink, tempDir } from './collect.js';

const gz = promisify(gzip);
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(): Promise<string> {
  const t = await tempDir('tail');
  cleanups.push(t.cleanup);
  return t.dir;
}

/** Starts a tail with fast test timings; stopped after the test. */
async function tail(opts: Partial<FileTailOptions> & { path: string }, from?: SourcePosition, sink = new Sink()) {
  const c = new FileTailCollector({ name: 'src', kind: 'syslog', startAt: 'beginning', pollIntervalMs: 50, rotatedGraceMs: 100, ...opts });
  cleanups.push(() => c.stop());
  await c.start(from, sink.onBatch);
  return { c, sink };
}

const lines = (xs: string[]) => xs.map((x) => `${x}\n`).join('');

/** Every expected line exactly once, and in order. */
function expectExactlyOnce(got: string[], want: string[]): void {
  const counts = new Map<string, number>();
  for (const g of got) counts.set(g, (counts.get(g) ?? 0) + 1);
  const dup = [...counts].filter(([, n]) => n > 1).map(([t]) => t);
  const missing = want.filter((w) => !counts.has(w));
  expect({ dup: dup.slice(0, 5), missing: missing.slice(0, 5) }).toEqual({ dup: [], missing: [] });
  expect(got).toEqual(want);
}

describe('FileTailCollector: following one file', () => {
  it('hands appended lines on within well under a second, woken by fs.watch (polling set to a minute)', async () => {
    const dir = await setup();
    const path = join(dir, 'auth.log');
    await writeFile(path, '');
    const { sink } = await tail({ path, pollIntervalMs: 60_000 });
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      await appendFile(path, `line ${i}\n`);
      await sink.untilText(`line ${i}`, 5_000);
      latencies.push(performance.now() - t0);
    }
    latencies.sort((a, b) => a - b);
    expect(latencies[latencies.length - 1]).toBeLessThan(1000);
    expect(sink.records.map((r) => r.position)).toEqual(numbered('', 1, 21).map((_, i) => `${path} line ${i + 1}`));
    expect(sink.records[0]!.refMs).toBeGreaterThan(0);
  });

  it('works by polling alone when watching is off', async () => {
    const dir = await setup();
    const path = join(dir, 'auth.log');
    await writeFile(path, 'a\n');
    const { sink, c } = await tail({ path, watch: false, pollIntervalMs: 20 });
    await appendFile(path, 'b\n');
    await sink.untilText('b');
    expect(sink.texts()).toEqual(['a', 'b']);
    expect(c.status().detail).toContain('polling every 20 ms');
  });

  it('holds a partial last line until its newline arrives, and never saves past it', async () => {
    const dir = await setup();
    const path = join(dir, 'auth.log');
    await writeFile(path, '');
    const { sink } = await tail({ path });
    await appendFile(path, 'first\npar');
    await sink.untilText('first');
    expect(sink.texts()).toEqual(['first']);
    expect(sink.position).toMatchObject({ files: [{ offset: 6, lineNo: 1 }] });
    await appendFile(path, 'tial\n');
    await sink.untilText('partial');
    expect(sink.texts()).toEqual(['first', 'partial']);
    expect(sink.position).toMatchObject({ files: [{ offset: 14, lineNo: 2 }] });
  });

  it('startAt end skips what is there, saves that start at once (anchor batch), and numbers lines right', async () => {
    const dir = await setup();
    const path = join(dir, 'auth.log');
    await writeFile(path, 'old 1\nold 2\nbeing writ');
    const { sink } = await tail({ path, startAt: 'end' });
    await sink.until(() => sink.batches.length > 0, 'the anchor batch');
    expect(sink.batches[0]!.records).toEqual([]);
    expect(sink.batches[0]!.position).toMatchObject({ files: [{ path, offset: 12, lineNo: 2 }] });
    await appendFile(path, 'ten\nnew\n');
    await sink.untilText('new');
    expect(sink.texts()).toEqual(['being written', 'new']);
    expect(sink.records[1]!.position).toBe(`${path} line 4`);
  });

  it('startAt end on a file too big to count lines in: positions by byte offset', async () => {
    const dir = await setup();
    const path = join(dir, 'big.log');
    const fh = await open(path, 'w');
    const block = Buffer.alloc(1024 * 1024, 'y');
    for (let i = 0; i < 65; i++) await fh.write(block);
    await fh.write('\n');
    await fh.close();
    const { sink } = await tail({ path, startAt: 'end' });
    await sink.until(() => sink.batches.length > 0, 'the anchor batch');
    expect(sink.position).toMatchObject({ files: [{ offset: 65 * 1024 * 1024 + 1, lineNo: null }] });
    await appendFile(path, 'fresh\n');
    await sink.untilText('fresh');
    expect(sink.records[0]!.position).toBe(`${path} byte ${65 * 1024 * 1024 + 1}`);
    expect(sink.position).toMatchObject({ files: [{ offset: 65 * 1024 * 1024 + 7, lineNo: null }] });
  });

  it('skips a file it cannot read (saying so) and follows the others', async () => {
    const dir = await setup();
    await writeFile(join(dir, 'a.log'), 'a1\n');
    await writeFile(join(dir, 'b.log'), 'b1\n', { mode: 0o000 });
    const readable = await open(join(dir, 'b.log'), 'r').then(
      async (h) => (await h.close(), true),
      () => false,
    );
    const { sink, c } = await tail({ path: join(dir, '*.log') });
    await sink.untilText('a1');
    if (readable) {
      // Running as root, where permissions don't apply: both are read.
      await sink.untilText('b1');
      expect(sink.texts().sort()).toEqual(['a1', 'b1']);
    } else {
      expect(c.status().detail).toContain(`${join(dir, 'b.log')}: cannot read it (EACCES)`);
      expect(sink.texts()).toEqual(['a1']);
    }
  });

  it('flags invalid UTF-8 and cuts a line over 1 MiB (flagged, counted), the next line intact', async () => {
    const dir = await setup();
    const path = join(dir, 'auth.log');
    await writeFile(path, Buffer.concat([Buffer.from('ok\nbad \xff\xfe\n', 'latin1'), Buffer.alloc(1536 * 1024, 0x61), Buffer.from('\nafter\n')]));
    const { sink, c } = await tail({ path });
    await sink.untilText('after');
    expect(sink.records.map((r) => [r.invalidUtf8, r.truncated])).toEqual([
      [false, false],
      [true, false],
      [false, true],
      [false, false],
    ]);
    expect(sink.records[2]!.text.length).toBe(1024 * 1024);
    expect(c.status().truncated).toBe(1);
  });

  it('frames multi-line records per kind and saves the position before an unfinished one', async () => {
    const dir = await setup();
    const path = join(dir, 'vault.log');
    await writeFile(path, '{"x":1}\n{\n  "a": 1,\n');
    const { sink, c } = await tail({ path, kind: 'vault-audit' });
    await sink.untilText('{"x":1}');
    expect(sink.position).toMatchObject({ files: [{ offset: 8, lineNo: 1 }] });
    await c.stop();
    await appendFile(path, '  "b": 2\n}\n');
    const { sink: s2 } = await tail({ path, kind: 'vault-audit' }, sink.position);
    await s2.untilCount(1);
    expect(JSON.parse(s2.records[0]!.text)).toEqual({ a: 1, b: 2 });
    expect(s2.records[0]!.position).toBe(`${path} lines 2-5`);
  });
});

describe('FileTailCollector: restarts', () => {
  it('continues exactly after a crash: no line lost, none twice (batches past the last commit are re-read)', async () => {
    const dir = await setup();
    const path = join(dir, 'auth.log');
    const all = numbered('l', 0, 300);
    await writeFile(path, lines(all.slice(0, 100)));
    const sink = new Sink();
    const { c } = await tail({ path }, undefined, sink);
    await sink.untilText(all[99]!);
    // The next commit fails (the runner crashed before saving): its lines must come again.
    let failed!: () => void;
    const commitFailed = new Promise<void>((resolve) => (failed = resolve));
    sink.gate = () => {
      failed();
      throw new Error('state store unavailable');
    };
    await appendFile(path, lines(all.slice(100, 200)));
    await commitFailed;
    await c.stop();
    expect(sink.texts()).toEqual(all.slice(0, 100));
    await appendFile(path, lines(all.slice(200)));
    const { sink: s2 } = await tail({ path }, sink.position);
    await s2.untilText(all[299]!);
    expectExactlyOnce([...sink.texts(), ...s2.texts()], all);
    expect(s2.records[0]!.position).toBe(`${path} line 101`);
  });

  it('a different file at the same path (same size, same inode, other content) starts at 0', async () => {
    const dir = await setup();
    const path = join(dir, 'auth.log');
    await writeFile(path, 'aaaa\nbbbb\n');
    const ino = (await stat(path)).ino;
    const { sink, c } = await tail({ path });
    await sink.untilText('bbbb');
    await c.stop();
    await writeFile(path, 'cccc\ndddd\n'); // O_TRUNC: same inode, same size
    expect((await stat(path)).ino).toBe(ino);
    const { sink: s2 } = await tail({ path }, sink.position);
    await s2.untilText('dddd');
    expect(s2.texts()).toEqual(['cccc', 'dddd']);
  });

  it('a new file at the same path (new inode, maybe a reused one) starts at 0', async () => {
    const dir = await setup();
    const path = join(dir, 'auth.log');
    await writeFile(path, 'aaaa\nbbbb\n');
    const { sink, c } = await tail({ path });
    await sink.untilText('bbbb');
    await c.stop();
    await unlink(path);
    await writeFile(path, 'eeee\nffff\n');
    const { sink: s2 } = await tail({ path }, sink.position);
    await s2.untilText('ffff');
    expect(s2.texts()).toEqual(['eeee', 'ffff']);
  });

  it('while live, an in-place rewrite of the same size is seen as new content', async () => {
    const dir = await setup();
    const path = join(dir, 'auth.log');
    await writeFile(path, 'aaaa\nbbbb\n');
    const { sink } = await tail({ path });
    await sink.untilText('bbbb');
    await writeFile(path, 'cccc\ndddd\n');
    await sink.untilText('dddd');
    expect(sink.texts()).toEqual(['aaaa', 'bbbb', 'cccc', 'dddd']);
  });

  it('finishes a file rotated (rename+create) while stopped, from its saved offset, then the new one', async () => {
    const dir = await setup();
    const path = join(dir, 'auth.log');
    await writeFile(path, 'a1\na2\n');
    const { sink, c } = await tail({ path });
    await sink.untilText('a2');
    await c.stop();
    await appendFile(path, 'a3\na4-unterminated');
    await rename(path, `${path}.1`);
    await writeFile(path, 'b1\n');
    const { sink: s2, c: c2 } = await tail({ path }, sink.position);
    await s2.untilText('a4-unterminated');
    await s2.untilText('b1');
    expect(s2.texts().sort()).toEqual(['a3', 'a4-unterminated', 'b1']);
    expect(s2.records.find((r) => r.text === 'a3')!.position).toBe(`${path}.1 line 3`);
    await s2.until(() => (s2.position as { files: unknown[] }).files.length === 1, 'the rotated file to be dropped from the position');
    expect(c2.status().detail).toContain(`following ${path} at byte 3`);
  });

  it('finishes a rotated file compressed while stopped (.1.gz), decompressing from its offset', async () => {
    const dir = await setup();
    const path = join(dir, 'auth.log');
    await writeFile(path, lines(numbered('a', 0, 50)));
    const { sink, c } = await tail({ path });
    await sink.untilText('a-00049');
    await c.stop();
    await appendFile(path, lines(numbered('a', 50, 80)));
    await writeFile(`${path}.1.gz`, await gz(await readFile(path)));
    await rm(path);
    await writeFile(path, lines(numbered('b', 0, 10)));
    const { sink: s2 } = await tail({ path }, sink.position);
    await s2.untilCount(40);
    expectExactlyOnce(s2.texts().filter((t) => t.startsWith('a')), numbered('a', 50, 80));
    expectExactlyOnce(s2.texts().filter((t) => t.startsWith('b')), numbered('b', 0, 10));
  });

  it('finds a kube-apiserver timestamped backup (audit-<time>.log) by inode', async () => {
    const dir = await setup();
    const path = join(dir, 'audit.log');
    await writeFile(path, lines(numbered('a', 0, 5)));
    const { sink, c } = await tail({ path, kind: 'k8s-audit' });
    await sink.untilText('a-00004');
    await c.stop();
    await appendFile(path, lines(numbered('a', 5, 8)));
    await rename(path, join(dir, 'audit-2026-06-10T01-02-03.456.log'));
    await writeFile(path, lines(['b']));
    const { sink: s2 } = await tail({ path, kind: 'k8s-audit' }, sink.position);
    await s2.untilCount(4);
    expect(s2.texts().sort()).toEqual(['a-00005', 'a-00006', 'a-00007', 'b']);
  });

  it('resumes after a copytruncate done while stopped, finishing the old rest from the copy', async () => {
    const dir = await setup();
    const path = join(dir, 'auth.log');
    await writeFile(path, lines(numbered('a', 0, 20)));
    const { sink, c } = await tail({ path });
    await sink.untilText('a-00019');
    await c.stop();
    await appendFile(path, lines(numbered('a', 20, 30)));
    await copyFile(path, `${path}.1`);
    await truncate(path, 0);
    await appendFile(path, lines(numbered('b', 0, 3)));
    const { sink: s2 } = await tail({ path }, sink.position);
    await s2.untilCount(13);
    expect(s2.texts()).toEqual([...numbered('a', 20, 30), ...numbered('b', 0, 3)]);
  });

  it('rejects a saved position it did not write, with a clear error', async () => {
    const dir = await setup();
    const c = new FileTailCollector({ name: 'src', kind: 'syslog', path: join(dir, 'x.log') });
    await expect(c.start({ cursor: 'x' }, async () => undefined)).rejects.toThrow(/saved position is not one this collector wrote/);
  });
});

describe('FileTailCollector: rotation while live', () => {
  it('delete and recreate: finishes the deleted file (its unterminated last line too), then waits for the new one', async () => {
    const dir = await setup();
    const path = join(dir, 'auth.log');
    await writeFile(path, 'a1\n');
    const { sink, c } = await tail({ path });
    await sink.untilText('a1');
    await appendFile(path, 'a2\nlast-unterminated');
    await rm(path);
    await sink.untilText('last-unterminated');
    await sink.until(() => c.status().detail.startsWith('waiting'), 'the deleted file to be finished');
    expect(c.status().detail).toBe(`waiting: ${path} matches no file yet`);
    await writeFile(path, 'new1\n');
    await sink.untilText('new1');
    expect(sink.texts()).toEqual(['a1', 'a2', 'last-unterminated', 'new1']);
    expect(sink.records[3]!.position).toBe(`${path} line 1`);
  });

  it('gzip after rotate: finishes the old file through its open handle', async () => {
    const dir = await setup();
    const path = join(dir, 'auth.log');
    await writeFile(path, 'a1\n');
    const { sink } = await tail({ path });
    await sink.untilText('a1');
    await appendFile(path, 'a2\na3\n');
    await rename(path, `${path}.1`);
    await writeFile(`${path}.1.gz`, await gz(await readFile(`${path}.1`)));
    await unlink(`${path}.1`);
    await writeFile(path, 'b1\n');
    await sink.untilText('b1');
    await sink.untilText('a3');
    expectExactlyOnce(sink.texts(), ['a1', 'a2', 'a3', 'b1']);
  });

  /** A slow runner: each batch takes a few event-loop turns, so the writer gets ahead of the reader. */
  const slowly = async (): Promise<void> => {
    for (let i = 0; i < 30; i++) await new Promise((resolve) => setImmediate(resolve));
  };

  /** Writes `total` numbered lines in small bursts, calling `rotate` every `every` lines. */
  async function steadyWrite(path: string, total: number, every: number, rotate: (n: number) => Promise<void>): Promise<string[]> {
    const all = numbered('x', 0, total);
    for (let i = 0; i < total; ) {
      const burst = 1 + (i % 7);
      await appendFile(path, lines(all.slice(i, i + burst)));
      i += burst;
      if (Math.floor(i / every) !== Math.floor((i - burst) / every)) await rotate(i);
    }
    return all;
  }

  it.each([
    ['a fast runner', undefined],
    ['a slow runner', slowly],
  ])('rename+create during steady writing, %s: every line exactly once, in order', async (_, gate) => {
    const dir = await setup();
    const path = join(dir, 'auth.log');
    await writeFile(path, '');
    const sink = new Sink();
    sink.gate = gate;
    const { c } = await tail({ path }, undefined, sink);
    const all = await steadyWrite(path, 3000, 200, async () => {
      await rm(`${path}.2`, { force: true });
      await rename(`${path}.1`, `${path}.2`).catch(() => undefined);
      await rename(path, `${path}.1`);
      await writeFile(path, '');
    });
    await sink.untilCount(all.length, 20_000);
    expectExactlyOnce(sink.texts(), all);
    expect(c.status().detail).not.toMatch(/lost/);
  });

  it.each([
    ['a fast runner', undefined],
    ['a slow runner (the rest of the old content is read from the copy)', slowly],
  ])('copytruncate during steady writing, %s: every line exactly once, in order', async (_, gate) => {
    const dir = await setup();
    const path = join(dir, 'auth.log');
    await writeFile(path, '');
    const sink = new Sink();
    sink.gate = gate;
    const { c } = await tail({ path }, undefined, sink);
    let rotatedAt = 0;
    const all = await steadyWrite(path, 3000, 200, async (n) => {
      // copytruncate can only be followed when the reader notices a truncation before the
      // next one (within a poll interval, vs. hours between rotations): wait until it has
      // the first line written since the last one. The rest of this period may still be
      // unread, and must then come from the copy.
      await sink.until(() => sink.records.length > rotatedAt, `line ${rotatedAt}, the first after the last truncation`);
      rotatedAt = n;
      await rm(`${path}.1`, { force: true });
      await copyFile(path, `${path}.1`);
      await truncate(path, 0);
    });
    await sink.untilCount(all.length, 20_000);
    expectExactlyOnce(sink.texts(), all);
    expect(c.status().detail).not.toMatch(/lost/);
  });

  it.each([
    ['a fast runner', undefined],
    ['a slow runner', slowly],
  ])('rotate then gzip during steady writing, %s: every line exactly once, in order', async (_, gate) => {
    const dir = await setup();
    const path = join(dir, 'auth.log');
    await writeFile(path, '');
    const sink = new Sink();
    sink.gate = gate;
    const { c } = await tail({ path }, undefined, sink);
    const all = await steadyWrite(path, 3000, 200, async (n) => {
      await rename(path, `${path}.1`);
      await writeFile(path, '');
      await writeFile(`${path}.${n}.gz`, await gz(await readFile(`${path}.1`)));
      await unlink(`${path}.1`);
    });
    await sink.untilCount(all.length, 20_000);
    expectExactlyOnce(sink.texts(), all);
    expect(c.status().detail).not.toMatch(/lost/);
  });

  it('rotation with restarts in between: the union of all runs is every line exactly once', async () => {
    const dir = await setup();
    const path = join(dir, 'auth.log');
    await writeFile(path, '');
    const got: string[] = [];
    let position: SourcePosition | undefined;
    const all = numbered('x', 0, 600);
    for (let run = 0; run < 6; run++) {
      const sink = new Sink();
      const { c } = await tail({ path }, position, sink);
      const part = all.slice(run * 100, run * 100 + 100);
      await appendFile(path, lines(part.slice(0, 50)));
      if (run % 2 === 1) {
        await rename(path, `${path}.1`);
        await writeFile(path, '');
      } else {
        await rm(`${path}.1`, { force: true });
        await copyFile(path, `${path}.1`);
        await truncate(path, 0);
      }
      await appendFile(path, lines(part.slice(50)));
      await sink.untilText(part[99]!);
      await c.stop();
      got.push(...sink.texts());
      position = sink.position;
    }
    expectExactlyOnce(got, all);
  });
});

describe('FileTailCollector: globs', () => {
  it('follows every matching file, picks up new ones from their start, ignores others; waits when nothing matches', async () => {
    const dir = await setup();
    const { sink, c } = await tail({ path: join(dir, 'audit*.log'), startAt: 'end' });
    expect(c.status().detail).toBe(`waiting: ${join(dir, 'audit*.log')} matches no file yet`);
    await writeFile(join(dir, 'audit-a.log'), 'a1\n');
    await writeFile(join(dir, 'other.log'), 'o1\n');
    await writeFile(join(dir, 'audit-b.log.gz'), await gz(Buffer.from('g1\n')));
    await sink.untilText('a1');
    await writeFile(join(dir, 'audit-b.log'), 'b1\n');
    await appendFile(join(dir, 'audit-a.log'), 'a2\n');
    await sink.untilText('b1');
    await sink.untilText('a2');
    expect(sink.texts().sort()).toEqual(['a1', 'a2', 'b1']);
    expect((sink.position as { files: { path: string }[] }).files.map((f) => f.path).sort()).toEqual([join(dir, 'audit-a.log'), join(dir, 'audit-b.log')]);
  });

  it('rejects `*` in a directory with a clear message', () => {
    expect(() => new FileTailCollector({ name: 's', kind: 'syslog', path: '/var/log/*/audit.log' })).toThrow(/file name only/);
  });

  it('keeps a file renamed within the glob as the same file (no re-read)', async () => {
    const dir = await setup();
    await writeFile(join(dir, 'app-1.log'), 'x1\n');
    const { sink } = await tail({ path: join(dir, 'app-*.log') });
    await sink.untilText('x1');
    await rename(join(dir, 'app-1.log'), join(dir, 'app-2.log'));
    const fh = await open(join(dir, 'app-2.log'), 'a');
    await fh.write('x2\n');
    await fh.close();
    await sink.untilText('x2');
    expect(sink.texts()).toEqual(['x1', 'x2']);
  });
});
