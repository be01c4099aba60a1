// Program sub-parsers: the message body of one syslog record or journal entry, chosen
// by program name (syslog TAG / journald SYSLOG_IDENTIFIER). Shared by the syslog and
// journal parsers so an sshd line means the same whichever way it arrived.
import type { SecurityEvent } from '../../../schemas/event.js';

export interface ProgramMessage {
  /** Program name as logged (sshd, sshd-session, snort, sudo, systemd-logind, systemd, kernel, ...). */
  program: string;
  pid: number | null;
  /** The message text, without the syslog header. */
  message: string;
}

/**
 * What a sub-parser learned from a message. Fields left out keep the envelope
 * parser's defaults (action 'other', outcome 'unknown', no actor, no client).
 */
export type ProgramFacts = Partial<
  Pick<SecurityEvent, 'app' | 'action' | 'outcome' | 'actor' | 'client' | 'target' | 'ssh' | 'ids' | 'boot' | 'shutdown'>
>;

/** Never throws and never returns null: an unrecognized message is generic ('other'). */
export type ProgramParser = (msg: ProgramMessage) => ProgramFacts;
