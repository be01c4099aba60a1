// The silences file (issue 5): `<stateDir>/silences.json`, written by `tripline silence`
// and read by the router of a running `tripline run`.
//
// Why a file and not state.db: `tripline run` holds the state directory's lock, and a
// silence must be addable while it runs. The file is replaced atomically (write a temp
// file, fsync, rename), so the router never reads half of it; the router re-reads it when
// its modification time or size changes (SilenceWatcher). Two `silence add` commands at
// the same instant can lose one of the two additions: documented, not locked against.
//
// A damaged file is a clear error naming the path (TRIP_SILENCE_FILE), never ignored: a
// silently dropped silence would page someone, a silently invented one would hide alerts.
// Nothing is ever deleted: expiring a silence sets expiredAt, so list shows the history.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, writeSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { SilenceFile, type Silence } from '../../schemas/routing.js';
import { TriplineError } from '../lib/errors.js';
import type { Log } from '../lib/log.js';

export const SILENCES_FILE = 'silences.json';

export function silencesPath(stateDir: string): string {
  return join(stateDir, SILENCES_FILE);
}

/** Every silence in the file, active or not; [] when there is no file. */
export function loadSilences(stateDir: string): Silence[] {
  const path = silencesPath(stateDir);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new TriplineError('TRIP_SILENCE_FILE', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new TriplineError('TRIP_SILENCE_FILE', `${path} is not valid JSON (${(e as Error).message}); fix or move it aside`);
  }
  const parsed = SilenceFile.safeParse(data);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new TriplineError('TRIP_SILENCE_FILE', `${path}: ${first ? `${first.path.join('.')}: ${first.message}` : 'invalid'}; fix or move it aside`);
  }
  return parsed.data.silences;
}

export function saveSilences(stateDir: string, silences: readonly Silence[]): void {
  mkdirSync(stateDir, { recursive: true });
  const path = silencesPath(stateDir);
  const tmp = `${path}.${process.pid}.tmp`;
  const body = `${JSON.stringify({ version: 1, silences }, null, 2)}\n`;
  try {
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, body);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    throw new TriplineError('TRIP_SILENCE_FILE', `cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export interface NewSilence {
  rule: string;
  matchers: Silence['matchers'];
  durationMs: number;
  reason: string;
  createdBy: string;
}

export function addSilence(stateDir: string, spec: NewSilence, nowMs: number, id = `s-${randomBytes(4).toString('hex')}`): Silence {
  const list = loadSilences(stateDir);
  const silence: Silence = {
    id,
    rule: spec.rule,
    matchers: spec.matchers,
    createdAt: new Date(nowMs).toISOString(),
    endsAt: new Date(nowMs + spec.durationMs).toISOString(),
    expiredAt: null,
    reason: spec.reason,
    createdBy: spec.createdBy,
  };
  saveSilences(stateDir, [...list, silence]);
  return silence;
}

/** Sets expiredAt; returns the silence, or undefined when no silence has that id. */
export function expireSilence(stateDir: string, id: string, nowMs: number): Silence | undefined {
  const list = loadSilences(stateDir);
  const s = list.find((x) => x.id === id);
  if (!s) return undefined;
  if (s.expiredAt === null) s.expiredAt = new Date(nowMs).toISOString();
  saveSilences(stateDir, list);
  return s;
}

/**
 * The router's view: re-reads the file when it changed. A file that turns unreadable keeps
 * the last good list (logged once per change, TRIP_SILENCE_FILE): the run must not stop.
 */
export class SilenceWatcher {
  private stamp = '';
  private list: Silence[] = [];

  constructor(
    private readonly stateDir: string,
    private readonly log: Log,
  ) {}

  current(): Silence[] {
    let stamp: string;
    try {
      const st = statSync(silencesPath(this.stateDir));
      stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch {
      stamp = 'none';
    }
    if (stamp !== this.stamp) {
      this.stamp = stamp;
      try {
        this.list = loadSilences(this.stateDir);
      } catch (e) {
        this.log.error({ code: 'TRIP_SILENCE_FILE', err: (e as Error).message }, 'silences file unreadable: keeping the silences loaded before');
      }
    }
    return this.list;
  }
}
