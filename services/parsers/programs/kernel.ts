// kernel program parser: the boot banner, the first kernel message of every boot
// (rule R1/R2 boot evidence). Banner: "Linux version 6.1.0-25-amd64 (builder@host)
// (gcc …) #1 SMP …", printed by init/version.c (linux_banner);
// https://github.com/torvalds/linux/blob/master/init/version-timestamp.c
//
// Invariants: bootId is left null here; the journal parser fills it from _BOOT_ID.
// A `[    0.000000] ` printk time prefix (klogd, some rsyslog setups) is skipped.
import type { ProgramParser } from './types.js';

const PRINTK_TIME = /^\[ {0,12}\d{1,12}\.\d{1,9}\] /;
const BANNER = /^Linux version (\S{1,128})/;

export const kernelProgram: ProgramParser = (msg) => {
  const s = msg.message.replace(PRINTK_TIME, '');
  const m = BANNER.exec(s);
  if (!m) return { app: 'kernel' };
  return { app: 'kernel', action: 'host.boot', boot: { bootId: null, kernel: m[1]!, evidence: 'banner' } };
};
