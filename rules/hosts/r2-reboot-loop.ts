// R2: a host rebooting over and over.
// Counts boots as the engine's correlations report them (ctx.corr.boot: a changed
// journal boot id, a kernel banner, a wtmp boot record; several pieces of evidence of
// one boot share one bootKey, which is the dedupe, so each boot counts once).
// Fires when `hosts.rebootLoop.threshold` (3) boots of one host fall within
// `hosts.rebootLoop.window` (1 h): docs/rules.md says "3 boots", so the engine's
// "more than" threshold is the configured number minus one. Key = host.
// apps: every app, because a journal boot id changes on whatever line comes first.
// Must not fire: two boots in an hour, boots spread over more than the window, repeated
// evidence of the same boot.
import { defineRule, type ThresholdRule } from '../define.js';
import { App } from '../../schemas/event.js';

export const R2: ThresholdRule = defineRule({
  kind: 'threshold',
  id: 'R2',
  title: 'Host reboot loop',
  severity: 'critical',
  sources: ['journal', 'syslog'],
  apps: App.options,
  runbook: 'r2',
  tags: ['T1529'],
  description: 'hosts.rebootLoop.threshold boots of one host within hosts.rebootLoop.window',
  params: (config) => ({ boots: config.hosts.rebootLoop.threshold, windowMs: config.hosts.rebootLoop.window }),
  // A k8s-audit event carries no journal boot id, banner or wtmp record: never boot evidence.
  interest: { 'k8s-audit': () => false },
  threshold: (config) => Math.max(0, config.hosts.rebootLoop.threshold - 1),
  window: (config) => config.hosts.rebootLoop.window,
  select(e, ctx) {
    const boot = ctx.corr.boot(e);
    if (!boot) return null;
    return { key: boot.host, dedupe: boot.bootKey, item: boot.kernel ?? undefined };
  },
  describe(agg) {
    const minutes = Math.max(1, Math.round((agg.lastMs - agg.firstMs) / 60_000));
    const kernels = agg.items.map((i) => i.value);
    return {
      summary: `Host ${agg.key} booted ${agg.count} times in ${minutes} min${kernels.length ? ` (kernel ${kernels.join(', ')})` : ''}`,
      fields: {
        target: agg.key,
        host: agg.key,
        details: {
          boots: agg.count,
          kernels,
          bootTimes: agg.entries.map((e) => e.ts),
        },
      },
    };
  },
});
