// Wakes the file tail: at once on an fs.watch event for a relevant name in the followed
// directory, otherwise after the poll interval, which is also the fallback where watching
// is unreliable or impossible (NFS, some FUSE/overlay filesystems, a directory that does
// not exist yet). Reads directory change events only.
// Invariants: an event arriving while the tail is busy is remembered, so the next wait
// returns at once; `rescanDue` is set by events that can change which files exist
// (renames, creations, deletions) and by every poll tick; after an error only the
// interval wakes (no hot retry loop); stop() always wakes.
import { watch, type FSWatcher } from 'node:fs';
import type { Timers } from './timers.js';

export class DirWaker {
  /** A listing is needed: set by 'rename' events and poll ticks, cleared by the caller. */
  rescanDue = true;
  private watcher: FSWatcher | undefined;
  private woken = false;
  private stopped = false;
  private wakeUp: (() => void) | undefined;

  constructor(
    private readonly dir: string,
    private readonly isRelevant: (name: string) => boolean,
    private readonly pollIntervalMs: number,
    private readonly timers: Timers,
    private readonly useWatch: boolean,
  ) {}

  get watching(): boolean {
    return this.watcher !== undefined;
  }

  /** Starts watching if possible and not yet done (called at every scan: the directory may appear later). */
  ensureWatching(): void {
    if (!this.useWatch || this.watcher || this.stopped) return;
    try {
      const w = watch(this.dir, { persistent: false }, (event, name) => {
        if (name !== null && !this.isRelevant(String(name))) return;
        if (event === 'rename') this.rescanDue = true;
        this.woken = true;
        this.wakeUp?.();
      });
      // E.g. the directory was removed: poll, and watch again at a later scan.
      w.on('error', () => {
        w.close();
        if (this.watcher === w) this.watcher = undefined;
      });
      this.watcher = w;
    } catch {
      // The directory does not exist (yet): polling finds it.
    }
  }

  /** Until a watch event or the poll interval; after an error, the interval only. */
  wait(afterError: boolean): Promise<void> {
    if (this.woken && !afterError) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        this.timers.clearTimeout(handle);
        this.wakeUp = undefined;
        this.woken = false;
        resolve();
      };
      const handle = this.timers.setTimeout(() => {
        this.rescanDue = true;
        done();
      }, this.pollIntervalMs);
      this.wakeUp = () => {
        if (!afterError || this.stopped) done();
      };
    });
  }

  /** Ends watching and wakes a pending wait. */
  stop(): void {
    this.stopped = true;
    this.wakeUp?.();
    this.watcher?.close();
    this.watcher = undefined;
  }
}
