// I2: a Snort alert of priority 2-4 (medium, low, very low), for the daily digest.
// Fires: every IDS alert whose priority is 2, 3 or 4; severity info, so the router never
// posts it on its own and the digest counts it by priority and signature. Key = gid:sid.
// Must not fire: priority 1 (I1), no priority (null), or a custom priority above 4 (the
// rules.md range is 2-4; such rules should be given a classtype priority in range).
import { defineRule, type MatchRule } from '../define.js';
import { idsFinding } from './i1-priority-1.js';

export const I2: MatchRule = defineRule({
  kind: 'match',
  id: 'I2',
  title: 'Snort alert (digest)',
  severity: 'info',
  sources: ['snort', 'syslog', 'journal'],
  apps: ['snort'],
  runbook: 'i2',
  tags: [],
  description: 'A Snort alert with priority 2-4, counted in the daily digest',
  params: () => ({ priorities: [2, 3, 4] }),
  match(e) {
    const i = e.ids;
    if (!i || i.priority === null || i.priority < 2 || i.priority > 4) return null;
    return idsFinding(e, `${i.gid}:${i.sid}`);
  },
});
