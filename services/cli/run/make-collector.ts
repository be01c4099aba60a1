// Builds the collector for a configured source: a file tail for `path`, the syslog
// listener for `listen`, journalctl for kind journal.
import type { SourceConfig } from '../../../schemas/run-config.js';
import type { Collector } from '../../collectors/types.js';
import { FileTailCollector } from '../../collectors/file-tail.js';
import { JournalCollector } from '../../collectors/journal.js';
import { SyslogListenerCollector } from '../../collectors/syslog-listener.js';
// issue 6 (loki)
import { LokiCollector } from '../../collectors/loki.js';

export function makeCollector(s: SourceConfig): Collector {
  // issue 6 (loki): a LogQL query; the source's kind picks the parser.
  if (s.loki !== undefined) return new LokiCollector({ name: s.name, kind: s.kind, loki: s.loki, startAt: s.startAt });
  if (s.path !== undefined) {
    return new FileTailCollector({ name: s.name, kind: s.kind, path: s.path, startAt: s.startAt, pollIntervalMs: s.pollInterval });
  }
  if (s.listen !== undefined) {
    return new SyslogListenerCollector({ name: s.name, kind: s.kind, udp: s.listen.udp, tcp: s.listen.tcp, maxMessageBytes: s.listen.maxMessageBytes });
  }
  const j = s.journal ?? { command: 'journalctl', units: [], matches: [] };
  return new JournalCollector({ name: s.name, command: j.command, units: j.units, matches: j.matches, startAt: s.startAt });
}
