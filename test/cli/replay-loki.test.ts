// `tripline replay --loki`: option pairing and errors (exit 2), and a replay that merges
// a Loki query (the fake Loki) with a file by event time, giving the same alerts as the
// same lines from files. The 100,000-line version runs against the real Loki in
// test/integration/loki.test.ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../services/cli/main.js';
import { FakeLoki } from '../helpers/fake-loki.js';
import { makeIO } from '../helpers/io.js';

let dir: string;
let fake: FakeLoki;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tripline-replay-loki-'));
  fake = await new FakeLoki({ tieOrder: 'shuffle' }).start();
});
afterAll(async () => {
  await fake.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function run(args: string[]) {
  const { io, out, err } = makeIO();
  const code = await main(args, io);
  return { code, out: out(), err: err() };
}

const T0 = Date.UTC(2026, 5, 10, 0, 0, 0);
const syslog = (s: number, text: string) => `Jun 10 00:00:${String(s).padStart(2, '0')} pve sshd[${100 + s}]: ${text}`;

describe('replay --loki', () => {
  it('needs one --parser per --query, a known parser, --from and a Loki URL', async () => {
    expect((await run(['replay', '--loki', fake.url, '--query', '{job="x"}', '--from', '2026-06-10T00:00:00Z'])).err).toMatch(/one --parser KIND per --query/);
    expect((await run(['replay', '--loki', fake.url, '--query', '{job="x"}', '--parser', 'nginx', '--from', '2026-06-10T00:00:00Z'])).err).toMatch(/unknown --parser "nginx"/);
    expect((await run(['replay', '--loki', fake.url, '--query', '{job="x"}', '--parser', 'syslog'])).err).toMatch(/--query needs --from/);
    expect((await run(['replay', '--query', '{job="x"}', '--parser', 'syslog', '--from', '2026-06-10T00:00:00Z', '--to', '2026-06-11T00:00:00Z'])).err).toMatch(/--query needs --loki URL/);
    expect((await run(['replay', '--loki', fake.url, '--query', 'job="x"', '--parser', 'syslog', '--from', '2026-06-10T00:00:00Z'])).err).toMatch(/stream selector/);
    const r = await run(['replay', '--loki', 'ftp://u:secret@x', '--query', '{job="x"}', '--parser', 'syslog', '--from', '2026-06-10T00:00:00Z', '--to', '2026-06-11T00:00:00Z']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/must be http\(s\)/);
    expect(r.err).not.toMatch(/secret/);
  });

  it('merges a Loki query with a file input by event time: the alerts of the same lines read from files', async () => {
    // sshd brute force from one address: half the failures in Loki, half in a file, interleaved in time.
    const loki: string[] = [];
    const file: string[] = [];
    for (let s = 0; s < 24; s++) (s % 2 ? loki : file).push(syslog(s, `Failed password for root from 192.0.2.9 port ${40000 + s} ssh2`));
    loki.push(syslog(30, 'Accepted password for mallory from 203.0.113.5 port 40100 ssh2'));
    fake.add({ job: 'sshd', host: 'pve' }, loki.map((l): [bigint, string] => [BigInt(T0 + 1000 * Number(l.slice(13, 15))) * 1_000_000n, l]));
    writeFileSync(join(dir, 'half.log'), `${file.join('\n')}\n`);
    writeFileSync(join(dir, 'all-a.log'), `${file.join('\n')}\n`);
    writeFileSync(join(dir, 'all-b.log'), `${loki.join('\n')}\n`);

    const mixed = await run([
      'replay',
      '--format',
      'jsonl',
      '--year',
      '2026',
      '--input',
      `syslog=${join(dir, 'half.log')}`,
      '--loki',
      fake.url,
      '--query',
      'loki-half={job="sshd"}',
      '--parser',
      'syslog',
      '--from',
      '2026-06-10T00:00:00Z',
      '--to',
      '2026-06-10T01:00:00Z',
    ]);
    expect(mixed.code, mixed.err).toBe(0);
    const files = await run(['replay', '--format', 'jsonl', '--year', '2026', '--input', `syslog=${join(dir, 'all-a.log')}`, '--input', `syslog=${join(dir, 'all-b.log')}`]);
    const ids = (out: string) => out.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { id: string; rule: string }).rule + ' ' + (JSON.parse(l) as { id: string }).id);
    expect(ids(mixed.out)).toEqual(ids(files.out));
    expect(ids(mixed.out).map((x) => x.split(' ')[0]).sort()).toEqual(['S1', 'S2']);
    expect(mixed.err).toMatch(/syslog=loki-half: 13 events, 0 parse errors/);
    // The query was read forward from --from to --to.
    const q = fake.queries.at(-1)!;
    expect(q.start).toBe(String(BigInt(T0) * 1_000_000n));
    expect(q.end).toBe(String(BigInt(T0 + 3600_000) * 1_000_000n));
  });

  it('exits 1 with a read failure when Loki cannot be reached', async () => {
    const down = await new FakeLoki().start();
    const url = down.url;
    await down.stop();
    const r = await run(['replay', '--loki', url, '--query', '{job="x"}', '--parser', 'syslog', '--from', '2026-06-10T00:00:00Z', '--to', '2026-06-10T00:01:00Z']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/read failure: loki syslog \{job="x"\}: .*TRIP|ECONNREFUSED/);
  }, 60_000);
});
