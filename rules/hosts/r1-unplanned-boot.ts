// R1: a host booted without a planned shutdown before it.
// Fires: ctx.corr.boot(e) says the event is evidence of a new boot (the engine decides
// that: a changed journal boot id, a kernel `Linux version` banner, a wtmp boot record;
// it also collapses one boot's several pieces of evidence, which share a bootKey) and the
// boot is not planned. Planned means either
//  - the host's latest shutdown/reboot request (ctx.corr.lastShutdown) was logged within
//    `hosts.plannedWindow` (15 min) before the boot by a user matching
//    `hosts.rebootAllowed` (a shutdown with no known requester, e.g. logind's "System is
//    rebooting." after a power-key press or a reboot by a remote script, is not planned), or
//  - the boot falls inside a `hosts.maintenance` window for the host: absolute RFC 3339
//    `from`/`to`, or daily `HH:MM` times read in the window's `timezone` (a daily window
//    may cross midnight; from is inclusive, to exclusive; equal times make an empty window).
// Key = host; the bootKey is in details (the engine dedups per boot).
// Must not fire: events that are not boot evidence, planned boots.
import { DateTime } from 'luxon';
import { defineRule, type RuleContext, type MatchRule } from '../define.js';
import type { Config } from '../../schemas/config.js';
import { App } from '../../schemas/event.js';

type Window = Config['hosts']['maintenance'][number];

const DAILY = /^(\d{1,2}):(\d{2})$/;

function minuteOfDay(text: string): number | null {
  const m = DAILY.exec(text.trim());
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  return h <= 23 && min <= 59 ? h * 60 + min : null;
}

/** Whether `tsMs` falls inside the maintenance window (daily HH:MM or absolute RFC 3339). */
export function inMaintenance(w: Window, tsMs: number): boolean {
  const zone = w.timezone || 'UTC';
  const from = minuteOfDay(w.from);
  const to = minuteOfDay(w.to);
  if (from !== null && to !== null) {
    const t = DateTime.fromMillis(tsMs, { zone });
    if (!t.isValid) return false;
    const m = t.hour * 60 + t.minute + t.second / 60 + t.millisecond / 60_000;
    return from < to ? m >= from && m < to : from > to ? m >= from || m < to : false;
  }
  if (from !== null || to !== null) return false; // one daily, one absolute: meaningless
  const start = DateTime.fromISO(w.from, { zone });
  const end = DateTime.fromISO(w.to, { zone });
  if (!start.isValid || !end.isValid) return false;
  return tsMs >= start.toMillis() && tsMs < end.toMillis();
}

function maintenanceWindow(ctx: RuleContext, host: string, tsMs: number): Window | undefined {
  return ctx.config.hosts.maintenance.find((w) => (w.hosts.length === 0 || ctx.matches(w.hosts, host)) && inMaintenance(w, tsMs));
}

export const R1: MatchRule = defineRule({
  kind: 'match',
  id: 'R1',
  title: 'Unplanned host boot',
  severity: 'warning',
  sources: ['journal', 'syslog', 'swarm'],
  // Any journal line can be the first of a new boot id, whatever program wrote it.
  apps: App.options,
  runbook: 'r1',
  tags: ['T1529'],
  description: 'A host booted with no planned shutdown (by a hosts.rebootAllowed user within hosts.plannedWindow) and outside hosts.maintenance',
  params: (config) => ({
    rebootAllowed: config.hosts.rebootAllowed,
    plannedWindowMs: config.hosts.plannedWindow,
    maintenance: config.hosts.maintenance.map((w) => `${w.hosts.length ? w.hosts.join(',') : '*'} ${w.from}..${w.to} ${w.timezone}`),
  }),
  // A k8s-audit event carries no journal boot id, banner or wtmp record: never boot evidence.
  interest: { 'k8s-audit': () => false },
  match(e, ctx) {
    const boot = ctx.corr.boot(e);
    if (!boot) return null;
    const host = boot.host;
    if (maintenanceWindow(ctx, host, e.tsMs)) return null;
    const windowMs = ctx.config.hosts.plannedWindow;
    const sd = ctx.corr.lastShutdown(host, e.tsMs);
    const recent = sd !== undefined && e.tsMs - sd.tsMs <= windowMs;
    const allowed = sd !== undefined && ctx.matches(ctx.config.hosts.rebootAllowed, sd.requestedBy);
    if (recent && allowed) return null;
    const minutes = Math.round(windowMs / 60_000);
    let why: string;
    if (!sd) why = 'no shutdown was logged before it';
    else if (!recent) why = `the last shutdown request was ${Math.round((e.tsMs - sd.tsMs) / 60_000)} min earlier (more than ${minutes} min)`;
    else if (sd.requestedBy === null) why = `the shutdown before it (${sd.via}) names no user`;
    else why = `the shutdown before it was requested by ${sd.requestedBy}, who is not in hosts.rebootAllowed`;
    return {
      key: host,
      summary: `Host ${host} booted${boot.kernel ? ` (kernel ${boot.kernel})` : ''} without a planned shutdown: ${why}`,
      fields: {
        actor: sd?.requestedBy ?? null,
        target: host,
        host,
        details: {
          bootKey: boot.bootKey,
          kernel: boot.kernel,
          evidence: e.boot?.evidence ?? null,
          lastShutdownAt: sd ? new Date(sd.tsMs).toISOString() : null,
          lastShutdownBy: sd?.requestedBy ?? null,
          lastShutdownVia: sd?.via ?? null,
          lastShutdownCommand: sd?.command ?? null,
        },
      },
    };
  },
});
