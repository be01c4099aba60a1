// V3: Vault was sealed or told to step down.
// Fires: the *request* entry for `sys/seal` or `sys/step-down`. Sealing writes only that
// entry (no response), so it must suffice; firing on the request only also keeps one
// alert per call. Key = the operation (`seal` or `step-down`).
// Must not fire: the response entry, `sys/unseal` (never audited: an unseal shows as the
// audit stream resuming after H1 silence), `sys/seal-status`, other paths.
import { defineRule, type MatchRule } from '../define.js';
import { vaultActor, vaultDetails, vaultFrom } from './v1-root-token.js';

export const V3: MatchRule = defineRule({
  kind: 'match',
  id: 'V3',
  title: 'Vault sealed or stepped down',
  severity: 'critical',
  sources: ['vault-audit'],
  apps: ['vault'],
  runbook: 'v3',
  tags: ['T1489'],
  description: 'A request to sys/seal or sys/step-down',
  params: () => ({ paths: ['sys/seal', 'sys/step-down'], entry: 'request' }),
  match(e) {
    const v = e.vault;
    if (!v || e.action !== 'seal' || v.type !== 'request') return null;
    const operation = v.path === 'sys/seal' ? 'seal' : 'step-down';
    const actor = vaultActor(e);
    return {
      key: operation,
      summary: `${actor} ${operation === 'seal' ? 'sealed Vault' : 'made the active Vault node step down'} (${v.path}) from ${vaultFrom(e)}${
        v.error ? ` (error: ${v.error})` : ''
      }`,
      fields: {
        actor,
        actorKind: e.actor.kind,
        addresses: [...e.client.addrs],
        target: v.path,
        host: e.host,
        details: vaultDetails(e),
      },
    };
  },
});
