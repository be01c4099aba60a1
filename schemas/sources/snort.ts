import { z } from 'zod';

// A Snort alert, from alert_fast (Snort 2 and 3), the alert_syslog message body, or
// Snort 3 alert_json.
// https://github.com/snort3/snort3/blob/master/src/loggers/alert_fast.cc
// https://github.com/snort3/snort3/blob/master/src/loggers/alert_json.cc

export const SnortEndpoint = z.object({
  ip: z.string().describe('"" when the packet had no IP layer (decoder alerts on ARP and the like)'),
  port: z.number().int().min(0).max(65535).nullable().describe('TCP/UDP (and PDU/FILE pseudo-packets) only'),
});

export const SnortAlert = z
  .object({
    form: z.enum(['fast', 'syslog', 'json']),
    version: z.union([z.literal(2), z.literal(3)]).describe('3 when the msg is quoted, and always for json'),
    timestamp: z.string().nullable().describe('alert_fast/alert_json timestamp text; null in syslog form'),
    action: z
      .string()
      .nullable()
      .describe('the [action] of a dropped/blocked packet (Snort 3); null when the packet passed'),
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

const Port = z.number().int().min(0).max(65535);

// One Snort 3 alert_json record. Which fields appear is configurable (`fields`; the
// default set is timestamp pkt_num proto pkt_gen pkt_len dir src_ap dst_ap rule action),
// so every field is optional here and the parser decides what it cannot do without.
// Numbers are printed unquoted by Snort; a quoted number is a shape error.
export const SnortJsonRecord = z
  .looseObject({
    seconds: z.number().int().min(0).optional().describe('packet time, epoch seconds (UTC)'),
    timestamp: z.string().max(64).optional().describe('packet time as alert_fast prints it (local time)'),
    action: z.string().max(64).optional(),
    class: z.string().optional().describe('"none" when the rule has no classtype'),
    msg: z.string().optional(),
    priority: z.number().int().min(0).optional(),
    proto: z.string().max(32).optional(),
    rule: z.string().max(64).optional().describe('"gid:sid:rev"'),
    gid: z.number().int().min(0).optional(),
    sid: z.number().int().min(0).optional(),
    rev: z.number().int().min(0).optional(),
    src_addr: z.string().max(64).optional(),
    src_port: Port.optional(),
    src_ap: z.string().max(80).optional().describe('"ip:port"; port 0 when not TCP/UDP'),
    dst_addr: z.string().max(64).optional(),
    dst_port: Port.optional(),
    dst_ap: z.string().max(80).optional(),
    iface: z.string().optional(),
  })
  .describe('A Snort 3 alert_json record');
export type SnortJsonRecord = z.infer<typeof SnortJsonRecord>;
