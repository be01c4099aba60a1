// The parser registry: one pure parser per input kind (convention 7).
import type { InputKind } from '../../schemas/event.js';
import type { Parser } from './types.js';
import { parseK8sAudit } from './k8s-audit.js';
import { parseVaultAudit } from './vault-audit.js';
import { parseSyslog } from './syslog.js';
import { parseJournal } from './journal.js';
import { parseSnortFast } from './snort.js';
import { parseSwarm } from './swarm.js';

export const parsers: Record<InputKind, Parser> = {
  'k8s-audit': parseK8sAudit,
  'vault-audit': parseVaultAudit,
  syslog: parseSyslog,
  journal: parseJournal,
  snort: parseSnortFast,
  swarm: parseSwarm,
};

export const INPUT_KINDS = Object.keys(parsers) as InputKind[];
