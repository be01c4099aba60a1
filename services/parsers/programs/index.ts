// The program sub-parser registry (architecture convention 7): the only list of
// programs whose message bodies get a meaning. Keys are the syslog TAG / journald
// SYSLOG_IDENTIFIER exactly as logged; anything else is generic (app 'other').
//
// Invariants: the program name is attacker-chosen (`logger -t __proto__`), so lookups
// use Object.hasOwn on a frozen, prototype-free table; `__proto__`, `constructor`,
// `toString` are generic. A sub-parser never throws; if one did, the line would still
// become a generic event rather than crash the pipeline.
import type { SecurityEvent } from '../../../schemas/event.js';
import { kernelProgram } from './kernel.js';
import { logindProgram } from './logind.js';
import { snortProgram } from './snort.js';
import { sshdProgram } from './sshd.js';
import { sudoProgram } from './sudo.js';
import { systemdProgram } from './systemd.js';
import type { ProgramFacts, ProgramMessage, ProgramParser } from './types.js';

export const programParsers: Readonly<Record<string, ProgramParser>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, ProgramParser>, {
    sshd: sshdProgram,
    'sshd-session': sshdProgram, // OpenSSH ≥ 9.8
    'sshd-auth': sshdProgram, // OpenSSH ≥ 10.0
    'sshd(pam_unix)': sshdProgram, // old RedHat pam_unix tag (loghub Linux_2k)
    sudo: sudoProgram,
    'systemd-logind': logindProgram,
    systemd: systemdProgram,
    kernel: kernelProgram,
    snort: snortProgram,
  }),
);

/** The facts a program's message carries; `{}` (generic) for programs not registered. */
export function parseProgramMessage(msg: ProgramMessage): ProgramFacts {
  if (!Object.hasOwn(programParsers, msg.program)) return {};
  const parser = programParsers[msg.program]!;
  try {
    return parser(msg);
  } catch {
    return {}; // contract says never; belt and braces for attacker-shaped input
  }
}

const FACT_KEYS = ['app', 'action', 'outcome', 'actor', 'client', 'target', 'ssh', 'ids', 'boot', 'shutdown'] as const;

/** The envelope event with the program's facts laid over it (only the keys it set). */
export function applyProgramFacts(event: SecurityEvent, facts: ProgramFacts): SecurityEvent {
  const out: SecurityEvent = { ...event };
  for (const k of FACT_KEYS) {
    if (facts[k] !== undefined) (out as Record<string, unknown>)[k] = facts[k];
  }
  return out;
}
