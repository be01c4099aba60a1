// V7: a human's Vault identity used from outside the trusted networks.
// Fires: a request authenticated as a human (ctx.isHuman: auth.metadata.username,
// auth.display_name with or without its auth-method prefix, or an entity id in
// `identities.vaultEntities`) whose `request.remote_address` is outside `networks.trusted`
// (trusted only: the dev VM has no business with a human's Vault token). Key = human +
// address. One alert per Vault request: the request entry, except for logins, whose
// request entry carries no identity yet: a login fires on its response entry when it
// names the human (a successful login).
// Must not fire: trusted addresses (IPv4-mapped IPv6 counts as IPv4), non-humans, the
// response entry of a non-login request, entries with no remote address.
// Note: behind Traefik, remote_address is Traefik's address unless the listener's
// x_forwarded_for_authorized_addrs is set (see the runbook).
import { defineRule, type MatchRule } from '../define.js';
import { vaultDetails } from './v1-root-token.js';

const SETS = ['trusted'] as const;

export const V7: MatchRule = defineRule({
  kind: 'match',
  id: 'V7',
  title: 'Human Vault identity used outside trusted networks',
  severity: 'critical',
  sources: ['vault-audit'],
  apps: ['vault'],
  runbook: 'v7',
  tags: ['T1078'],
  description: 'A Vault request authenticated as a human from a remote_address outside networks.trusted',
  params: (config) => ({
    humans: config.identities.humans,
    vaultEntities: config.identities.vaultEntities,
    networks: { trusted: config.networks.trusted },
  }),
  match(e, ctx) {
    const v = e.vault;
    if (!v) return null;
    const entry = v.login ? 'response' : 'request';
    if (v.type !== entry) return null;
    const addr = e.client.addrs[0];
    if (addr === undefined || ctx.inNetworks(addr, SETS) || !ctx.isHuman(e)) return null;
    const human = v.metadata.username ?? e.actor.name ?? v.displayName ?? v.entityId ?? '(unknown human)';
    const what = v.login ? `logged in to Vault (${v.path})` : `used Vault (${v.operation ?? 'request'} ${v.path ?? ''})`.replace(' )', ')');
    return {
      key: `${human} ${addr}`,
      summary: `${human} ${what} from ${addr} (outside trusted networks)`,
      fields: {
        actor: human,
        actorKind: 'human',
        addresses: [...e.client.addrs],
        outsideTrusted: [addr],
        target: v.path,
        host: e.host,
        details: vaultDetails(e),
      },
    };
  },
});
