// Opens the state database the way every tripline process does (the embedded runner and
// the Kafka roles), so they all report the same things with the same codes: damaged state
// moved aside, a stale lock taken over, unreadable rows dropped.
import type { Log } from '../lib/log.js';
import { StateStore, type LoadedState, type OpenReport, type StateStoreOptions } from './store.js';

/** StateStore.open() with its report logged (and returned: callers read `created`). */
export function openLoggedStore(options: StateStoreOptions, log: Log): { store: StateStore; report: OpenReport } {
  const store = new StateStore(options);
  const report = store.open();
  if (report.recovered) log.warn({ code: 'TRIP_STATE_RECOVERED', reason: report.reason, movedTo: report.movedTo }, 'state was damaged: moved aside, starting fresh');
  if (report.staleLock) log.warn({ code: 'TRIP_STATE_STALE_LOCK', ...report.staleLock }, 'took over the lock of a process that is gone');
  return { store, report };
}

/** StateStore.load() with the rows it had to drop logged. */
export function loadLogged(store: StateStore, log: Log): LoadedState {
  const loaded = store.load();
  for (const d of loaded.dropped) log.warn({ code: 'TRIP_STATE_DROPPED', ...d }, 'dropped an unreadable state row');
  return loaded;
}
