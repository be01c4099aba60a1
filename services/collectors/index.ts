// The live collectors, one factory per source type (architecture convention 7: a
// registry, not a switchboard). Loki and Kafka collectors join this map when they land.
import { FileTailCollector, type FileTailOptions } from './file-tail.js';
import { JournalCollector, type JournalOptions } from './journal.js';
import { SyslogListenerCollector, type SyslogListenerOptions } from './syslog-listener.js';
import type { Collector } from './types.js';

/** The options each collector type takes. */
export interface CollectorOptions {
  file: FileTailOptions;
  journal: JournalOptions;
  syslog: SyslogListenerOptions;
}

export type CollectorType = keyof CollectorOptions;

export const collectorFactories: { [T in CollectorType]: (opts: CollectorOptions[T]) => Collector } = {
  file: (opts) => new FileTailCollector(opts),
  journal: (opts) => new JournalCollector(opts),
  syslog: (opts) => new SyslogListenerCollector(opts),
};

export type { FileTailOptions, JournalOptions, SyslogListenerOptions };
