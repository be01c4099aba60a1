import { appendFile, copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { JournalCollector, type JournalOptions } from '../../services/collectors/journal.js';
import type { Timers } from '../../services/collectors/timers.js';
import { Sink, tempDir } from './collect.js';

const FAKE = fileURLToPath(new URL('../fixtures/fake-journalctl/journalctl', import.meta.url));
const ENTRIES = fileURLToPath(new URL('../fixtures/fake-journalctl/entries.jsonl', import.meta.url));
const cursorOf = (i: number) => `s=5c1d0f;i=${i.toString(16)};b=0b7e;m=1a${(0x2a + i - 0x100).toString(16)};t=62f0a1b2c3d${String(i - 0x100).padStart(2, '0')};x=9f${String(i - 0x100).padStart(2, '0')}`;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface FakeConfig {
  exitAfter?: number;
  exitCode?: number;
  stderr?: string;
  cutLast?: boolean;
}

/** A temp copy of the fixture, a config file for the fake, and its argv log. */
async function fakeJournal(config: FakeConfig = {}) {
  const t = await tempDir('journal');
  cleanups.push(t.cleanup);
  const entries = join(t.dir, 'entries.jsonl');
  const argsLog = join(t.dir, 'args.log');
  const configPath = join(t.dir, 'config.json');
  await copyFile(ENTRIES, entries);
  const configure = (c: FakeConfig) => writeFile(configPath, JSON.stringify({ entries, argsLog, ...c }));
  await configure(config);
  return {
    entries,
    configure,
    env: { FAKE_JOURNAL_CONFIG: configPath },
    runs: async (): Promise<string[][]> =>
      (await readFile(argsLog, 'utf8').catch(() => ''))
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { argv: string[] }).argv),
  };
}

/** Entries as the fixture writes them, with seq numbers (hex in the cursor). */
function entry(i: number, unit: string, ident: string, message: string): string {
  return `${JSON.stringify({ __CURSOR: cursorOf(i), __REALTIME_TIMESTAMP: '1749535400000000', _SYSTEMD_UNIT: unit, SYSLOG_IDENTIFIER: ident, MESSAGE: message })}\n`;
}

async function journal(opts: Partial<JournalOptions> & { env: Record<string, string> }, from?: { cursor: string }, sink = new Sink()) {
  const c = new JournalCollector({ name: 'journal', command: FAKE, backoff: { initialMs: 100, maxMs: 250 }, ...opts });
  cleanups.push(() => c.stop());
  await c.start(from, sink.onBatch);
  return { c, sink };
}

const messages = (sink: Sink) => sink.records.map((r) => (JSON.parse(r.text) as { MESSAGE: string }).MESSAGE);
const cursors = (sink: Sink) => sink.records.map((r) => (JSON.parse(r.text) as { __CURSOR: string }).__CURSOR);

/** Timers a test fires by hand: each scheduled timer is awaited with next(). */
class ManualTimers implements Timers {
  private seq = 0;
  private readonly pending = new Map<number, { fn: () => void; ms: number }>();
  private readonly handedOut = new Set<number>();
  private wake: (() => void) | undefined;

  setTimeout(fn: () => void, ms: number): unknown {
    this.pending.set(++this.seq, { fn, ms });
    this.wake?.();
    return this.seq;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** The next timer scheduled (and not yet handed out); fire() runs it. */
  async next(): Promise<{ ms: number; fire: () => void }> {
    for (;;) {
      for (const [id, t] of this.pending) {
        if (this.handedOut.has(id)) continue;
        this.handedOut.add(id);
        return { ms: t.ms, fire: () => this.pending.delete(id) && t.fn() };
      }
      await new Promise<void>((resolve, reject) => {
        const guard = setTimeout(() => reject(new Error('no timer was scheduled')), 10_000);
        this.wake = () => (clearTimeout(guard), (this.wake = undefined), resolve());
      });
    }
  }
}

describe('JournalCollector', () => {
  it('passes units and matches, reads from the beginning, and positions each record at its cursor', async () => {
    const fake = await fakeJournal();
    const { sink } = await journal({ env: fake.env, startAt: 'beginning', units: ['ssh.service'], matches: ['SYSLOG_IDENTIFIER=sshd'] });
    await sink.untilCount(5);
    expect((await fake.runs())[0]).toEqual(['--output=json', '--follow', '--no-pager', '--no-tail', '--unit=ssh.service', 'SYSLOG_IDENTIFIER=sshd']);
    expect(messages(sink)).toEqual([
      'Server listening on 0.0.0.0 port 22.',
      'Failed password for invalid user admin from 203.0.113.5 port 52144 ssh2',
      'Accepted publickey for alice from 198.51.100.7 port 40022 ssh2: ED25519 SHA256:Xk3d0gq7yXkA2p9mVb6cE1sT4uJwqNf8rL5hZ0oPiGs',
      'pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)',
      'Invalid user oracle from 203.0.113.9 port 33022',
    ]);
    expect(sink.records[0]!.position).toBe(`cursor ${cursorOf(0x101)}`);
    expect(sink.position).toEqual({ cursor: cursorOf(0x108) });
    expect(sink.records.every((r) => !r.invalidUtf8 && !r.truncated && r.defaultHost === undefined)).toBe(true);
  });

  it('startAt end: anchors at the newest entry of the whole journal, then hands on only what comes after', async () => {
    const fake = await fakeJournal();
    const { sink } = await journal({ env: fake.env, startAt: 'end', matches: ['SYSLOG_IDENTIFIER=sshd'] });
    await sink.until(() => sink.batches.length > 0, 'the anchor batch');
    expect(sink.batches[0]).toMatchObject({ records: [], position: { cursor: cursorOf(0x108) } });
    await appendFile(fake.entries, entry(0x109, 'ssh.service', 'sshd', 'Failed password for root from 192.0.2.1 port 1 ssh2'));
    await appendFile(fake.entries, entry(0x10a, 'cron.service', 'CRON', 'not for us'));
    await appendFile(fake.entries, entry(0x10b, 'ssh.service', 'sshd', 'Invalid user x from 192.0.2.1 port 2'));
    await sink.untilCount(2);
    expect(messages(sink)).toEqual(['Failed password for root from 192.0.2.1 port 1 ssh2', 'Invalid user x from 192.0.2.1 port 2']);
    const runs = await fake.runs();
    expect(runs[0]).toEqual(['--output=json', '--no-pager', '--lines=1']);
    // Entry 0x108 matches and journalctl prints it first (inclusive seek): it must not come twice.
    expect(runs[1]).toEqual(['--output=json', '--follow', '--no-pager', `--cursor=${cursorOf(0x108)}`, '--no-tail', 'SYSLOG_IDENTIFIER=sshd']);
  });

  it('startAt end on an empty journal: follows everything from the start, so nothing arriving meanwhile is skipped', async () => {
    const fake = await fakeJournal();
    await writeFile(fake.entries, '');
    const { sink } = await journal({ env: fake.env, startAt: 'end' });
    await appendFile(fake.entries, entry(0x201, 'ssh.service', 'sshd', 'first ever'));
    await sink.untilCount(1);
    expect(messages(sink)).toEqual(['first ever']);
    expect(sink.batches[0]!.records).toHaveLength(1); // no anchor: there was nothing to anchor at
    expect((await fake.runs())[1]).toEqual(['--output=json', '--follow', '--no-pager', '--no-tail']);
  });

  it('resumes exactly after a restart of the collector: nothing lost, nothing twice', async () => {
    const fake = await fakeJournal();
    const first = await journal({ env: fake.env, startAt: 'beginning', units: ['ssh.service'] });
    await first.sink.untilCount(6);
    await first.c.stop();
    await appendFile(fake.entries, entry(0x109, 'ssh.service', 'sshd', 'after restart 1'));
    await appendFile(fake.entries, entry(0x10a, 'ssh.service', 'sshd', 'after restart 2'));
    const second = await journal({ env: fake.env, startAt: 'beginning', units: ['ssh.service'] }, first.sink.position as { cursor: string });
    await second.sink.untilCount(2);
    expect(cursors(first.sink)).toEqual([0x101, 0x103, 0x104, 0x105, 0x107, 0x108].map(cursorOf));
    expect(messages(second.sink)).toEqual(['after restart 1', 'after restart 2']);
    expect((await fake.runs())[1]).toEqual(['--output=json', '--follow', '--no-pager', `--cursor=${cursorOf(0x108)}`, '--no-tail', '--unit=ssh.service']);
  });

  it('restarts journalctl with exponential backoff and jitter, keeps its stderr, and resumes after the last delivered cursor', async () => {
    const fake = await fakeJournal({ exitAfter: 0, stderr: 'Failed to open journal: Permission denied' });
    const timers = new ManualTimers();
    const { c, sink } = await journal({ env: fake.env, startAt: 'beginning', units: ['ssh.service'], timers, random: () => 0.5 });
    // base 100, 200, then capped at 250; "equal jitter" with random 0.5: 3/4 of the base.
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = await timers.next();
      delays.push(t.ms);
      if (i === 0) {
        expect(c.status().detail).toContain('exited with code 1');
        expect(c.status().detail).toContain('stderr: Failed to open journal: Permission denied');
        expect(c.status().detail).toContain('restarting after backoff');
      }
      // The third restart works for a while: three entries, then journalctl exits again.
      if (i === 2) await fake.configure({ exitAfter: 3 });
      t.fire();
    }
    expect(delays).toEqual([75, 150, 188]);
    const reset = await timers.next();
    expect(reset.ms).toBe(75); // a run that delivered starts the backoff over
    expect(cursors(sink)).toEqual([0x101, 0x103, 0x104].map(cursorOf));
    await fake.configure({});
    reset.fire();
    await sink.untilCount(6);
    expect(cursors(sink)).toEqual([0x101, 0x103, 0x104, 0x105, 0x107, 0x108].map(cursorOf));
    expect((await fake.runs()).at(-1)).toEqual(['--output=json', '--follow', '--no-pager', `--cursor=${cursorOf(0x104)}`, '--no-tail', '--unit=ssh.service']);
    expect(c.status().detail).toMatch(/^journalctl running \(pid \d+\); restarts 4; cursor s=5c1d0f;i=108;/);
  });

  it('when a batch is not committed, runs journalctl again from the last delivered cursor', async () => {
    const fake = await fakeJournal();
    const timers = new ManualTimers();
    const sink = new Sink();
    let failed = false;
    sink.gate = (b) => {
      // The batch holding entry 0x104 fails once (the runner could not save it).
      if (!failed && b.records.some((r) => r.position.includes(';i=104;'))) {
        failed = true;
        throw new Error('state store unavailable');
      }
    };
    await fake.configure({ exitAfter: 2 });
    const { c } = await journal({ env: fake.env, startAt: 'beginning', units: ['ssh.service'], timers, random: () => 0 }, undefined, sink);
    const first = await timers.next(); // first run: 0x101 and 0x103 delivered, then it exited
    expect(cursors(sink)).toEqual([0x101, 0x103].map(cursorOf));
    await fake.configure({});
    first.fire();
    const retry = await timers.next(); // second run: the batch with 0x104 failed, journalctl was ended
    expect(c.status().detail).toContain('delivery failed: state store unavailable');
    retry.fire();
    await sink.untilCount(6);
    expect(cursors(sink)).toEqual([0x101, 0x103, 0x104, 0x105, 0x107, 0x108].map(cursorOf));
    expect((await fake.runs()).at(-1)).toContain(`--cursor=${cursorOf(0x103)}`);
  });

  it('drops a line cut short by journalctl exiting; the next run prints it whole', async () => {
    const fake = await fakeJournal({ exitAfter: 2, cutLast: true });
    const timers = new ManualTimers();
    const { sink } = await journal({ env: fake.env, startAt: 'beginning', units: ['ssh.service'], timers, random: () => 0 });
    while (sink.records.length < 6) (await timers.next()).fire();
    expect(cursors(sink)).toEqual([0x101, 0x103, 0x104, 0x105, 0x107, 0x108].map(cursorOf));
    expect(sink.records.every((r) => r.text.endsWith('}'))).toBe(true);
  });

  it('says clearly when journalctl cannot be run', async () => {
    const c = new JournalCollector({ name: 'journal', command: '/nonexistent/journalctl', startAt: 'beginning' });
    await expect(c.start(undefined, async () => undefined)).rejects.toThrow(/cannot run "\/nonexistent\/journalctl" \(spawn \/nonexistent\/journalctl ENOENT\)/);
  });

  it('rejects matches that are not FIELD=value (they would become options)', () => {
    expect(() => new JournalCollector({ name: 'j', matches: ['--since=yesterday'] })).toThrow(/is not FIELD=value/);
  });
});
