import { z } from 'zod';

// A syslog record after framing is removed: RFC 3164 (BSD), RFC 5424, or rsyslog's
// RSYSLOG_FileFormat (RFC 3339 timestamp, no PRI). The message body is handed to a
// program sub-parser (sshd, snort, sudo, systemd-logind, systemd, kernel).

export const SyslogRecord = z
  .object({
    format: z.enum(['rfc3164', 'rfc5424', 'rfc3339', 'wtmp']).describe('framing; wtmp = a `last -x` boot/shutdown record'),
    pri: z.number().int().min(0).max(191).nullable(),
    facility: z.number().int().nullable(),
    severity: z.number().int().nullable(),
    timestamp: z.string().describe('the timestamp text as printed'),
    host: z.string().nullable(),
    program: z.string().nullable(),
    pid: z.number().int().nullable(),
    msgid: z.string().nullable(),
    structuredData: z.string().nullable(),
    message: z.string(),
  })
  .describe('A syslog record: header fields and the message text');
export type SyslogRecord = z.infer<typeof SyslogRecord>;
