import { z } from 'zod';

// A Snort alert, from alert_fast (Snort 2 and 3) or the alert_syslog message body.
// https://github.com/snort3/snort3/blob/master/src/loggers/alert_fast.cc

export const SnortEndpoint = z.object({ ip: z.string(), port: z.number().int().min(0).max(65535).nullable() });

export const SnortAlert = z
  .object({
    form: z.enum(['fast', 'syslog']),
    version: z.union([z.literal(2), z.literal(3)]),
    timestamp: z.string().nullable().describe('alert_fast timestamp text; null in syslog form'),
    action: z.string().nullable().describe('the [action] of a dropped packet, Snort 3'),
    gid: z.number().int(),
    sid: z.number().int(),
    rev: z.number().int(),
    message: z.string(),
    classification: z.string().nullable(),
    priority: z.number().int().nullable().describe('1 = high; null when absent or 0'),
    appId: z.string().nullable(),
    iface: z.string().nullable(),
    proto: z.string(),
    src: SnortEndpoint,
    dst: SnortEndpoint,
  })
  .describe('A Snort IDS alert');
export type SnortAlert = z.infer<typeof SnortAlert>;
