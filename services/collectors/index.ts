// The live collectors, one factory per source type (architecture convention 7: a
// registry, not a switchboard). Loki and Kafka collectors join this map when they land.
import { FileTailCollector, type FileTailOptions } from './file-tail.js';
import { JournalCollector, type JournalOptions } from './journal.js';
import { SyslogListenerCollector, type SyslogListenerOptions } from './syslog-listener.js';
import { LokiCollector, type LokiCollectorOptions } from './loki.js'; // issue 6 (loki)
import type { Collector } from './types.js';

/** The options each collector type takes. */
export interface CollectorOptions {
  file: FileTailOptions;
  journal: JournalOptions;
  syslog: SyslogListenerOptions;
  loki: LokiCollectorOptions; // issue 6 (loki)
}

export type CollectorType = keyof CollectorOptions;

export const collectorFactories: { [T in CollectorType]: (opts: CollectorOptions[T]) => Collector } = {
  file: (opts) => new FileTailCollector(opts),
  journal: (opts) => new JournalCollector(opts),
  syslog: (opts) => new SyslogListenerCollector(opts),
  loki: (opts) => new LokiCollector(opts), // issue 6 (loki)
};

export type { FileTailOptions, JournalOptions, SyslogListenerOptions, LokiCollectorOptions };
