// The bundled two-hour scenario (test/fixtures/scenario, shipped in the package): its files
// and their input kinds, in the order `tripline run --demo` and the golden replay feed
// them. One list, so the demo, the golden test and the Kafka path test agree.
import type { InputKind } from '../../../schemas/event.js';

export const SCENARIO_DIR = 'test/fixtures/scenario';

export const SCENARIO_FILES: ReadonlyArray<{ file: string; kind: InputKind }> = [
  { file: 'k8s-audit.log', kind: 'k8s-audit' },
  { file: 'vault-audit.log', kind: 'vault-audit' },
  { file: 'auth.log', kind: 'syslog' },
  { file: 'journal.json', kind: 'journal' },
  { file: 'snort-fast.log', kind: 'snort' },
  { file: 'snort-syslog.log', kind: 'syslog' },
  { file: 'swarm.log', kind: 'swarm' },
];

/** A scenario file's source name: its name without the extension ("snort-syslog"). */
export const scenarioName = (file: string): string => file.replace(/\.[a-z]+$/, '');
