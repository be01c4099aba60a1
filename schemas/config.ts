import { z } from 'zod';

// tripline's configuration. Every key named in docs/rules.md is public contract:
// optional, with the default given there. Objects are strict (unknown keys are errors,
// so a typo is caught instead of silently ignored) and every field is described, so
// `tripline check` can say what a key means. (zod keeps a description on the schema
// instance: `.prefault()`/`.default()` make a new one, so describe after wrapping.)

export { Duration, durationMs } from './durations.js';
import { Duration } from './durations.js';
import { HttpConfig, SinksConfig, SourceConfig } from './run-config.js';
// issue 5 (router): route and grafana blocks.
import { GrafanaConfig, RouteConfig } from './routing.js';
// issue 6 (loki): defaults for `tripline replay --loki`.
import { LokiConnection } from './loki.js';
// issue 7 (scale-out on Kafka): the kafka block.
import { KafkaConfig } from './kafka.js';

const names = (desc: string, dflt: string[]) => z.array(z.string().min(1)).default(dflt).describe(desc);

/** CIDR or single address text; validated and compiled by services/lib/cidr.ts. */
const Cidr = z.string().min(1).describe('an IPv4 or IPv6 address or CIDR block, e.g. 10.0.20.0/22 or ::1');

export const NetworksConfig = z
  .object({
    trusted: z
      .array(Cidr)
      .default(['10.0.20.0/22', '192.168.1.0/24', '10.10.0.0/16', '10.96.0.0/12', '100.64.0.0/10'])
      .describe('where legitimate clients are: cluster + main LAN, Proxmox LAN, pod and service CIDRs, the tailnet'),
    devvm: z.array(Cidr).default(['10.0.10.0/24']).describe('a dev VM that legitimately uses ServiceAccount kubeconfigs (K2, K9)'),
    protected: z
      .array(Cidr)
      .default(['10.42.0.199', '100.64.0.88', '10.42.0.1', '127.0.0.0/8', '::1'])
      .describe('addresses no remote action may target and no drone may claim (N2, G1)'),
  })
  .catchall(z.array(Cidr).describe('a named CIDR set that rules can reference'))
  .describe('named CIDR sets, defined once and referenced by rules (networks.<name>)');

export const IdentitiesConfig = z
  .strictObject({
    humans: names('people whose credentials are guarded by source-address rules (exact names or globs)', ['me@viktorbarzin.me']),
    vaultEntities: names('Vault entity ids that belong to the humans', []),
  })
  .describe('who counts as a human');

const Threshold = (threshold: number, window: string, desc: string) =>
  z.strictObject({
    threshold: z.number().int().positive().default(threshold).describe('fire when the count exceeds this'),
    window: Duration.prefault(window).describe('sliding window length'),
  }).describe(desc);

export const K8sConfig = z.strictObject({
  secretReaders: names('users allowed to read secrets in sensitive namespaces (K3)', [
    'me@viktorbarzin.me',
    'system:serviceaccount:external-secrets:*',
    'system:serviceaccount:sealed-secrets:*',
    'system:serviceaccount:vault:*',
  ]),
  sensitiveSecretNamespaces: names('namespaces whose secrets K3 guards', ['vault', 'sealed-secrets', 'external-secrets']),
  sensitiveExecNamespaces: names('namespaces K4 guards against exec/attach', ['vault', 'kube-system', 'dbaas', 'cnpg-system']),
  execAllowed: names('users allowed to exec/attach in sensitive namespaces (K4)', ['me@viktorbarzin.me']),
  massDelete: z
    .strictObject({
      threshold: z.number().int().positive().default(5).describe('fire when one user deletes more than this many objects'),
      window: Duration.prefault('60s').describe('sliding window length'),
      exclude: names('users whose deletes never count (K5)', [
        'system:node:*',
        'system:serviceaccount:kube-system:generic-garbage-collector',
        'system:serviceaccount:kube-system:namespace-controller',
        'system:serviceaccount:kube-system:daemon-set-controller',
        'system:serviceaccount:woodpecker:*',
        'system:serviceaccount:local-path-storage:local-path-provisioner-service-account',
      ]),
    })
    .prefault({})
    .describe('K5 mass delete'),
  auditCriticalObjects: names('objects whose change K6 reports, as resource:namespace/name', ['configmaps:kube-system/kubeadm-config']),
  wildcardRoleCreators: names('users allowed to create wildcard ClusterRoles (K7)', []),
});

export const VaultConfig = z.strictObject({
  policyWriters: names('actors allowed to write Vault policies (V4): display names, usernames or entity ids', ['approle-terraform', 'terraform']),
  authFailures: z
    .strictObject({
      threshold: z.number().int().positive().default(10).describe('fire when failures exceed this'),
      window: Duration.prefault('60s').describe('sliding window length'),
      groupBy: z.enum(['remote_address', 'none']).default('remote_address').describe('count per remote address, or all together'),
    })
    .prefault({})
    .describe('V5 auth failure spike'),
});

export const SshConfig = z.strictObject({
  breakGlass: z
    .strictObject({
      port: z.number().int().min(1).max(65535).default(52222).describe('local port of the break-glass sshd listener (S3)'),
      keys: names('SHA256 fingerprints of break-glass keys; empty means any key', []),
    })
    .prefault({})
    .describe('S3 break-glass logins'),
  bruteForce: Threshold(10, '5m', 'S2 brute force').prefault({}).describe('S2 brute force'),
});

export const SwarmConfig = z.strictObject({
  approvedDrones: names('drone ids that never raise N1', []),
});

export const MaintenanceWindow = z
  .strictObject({
    hosts: names('hosts the window applies to (globs); empty means every host', []),
    from: z.string().describe('start: RFC 3339 date-time, or HH:MM for a daily window'),
    to: z.string().describe('end: RFC 3339 date-time, or HH:MM for a daily window'),
    timezone: z.string().default('UTC').describe('IANA zone for daily windows and for date-times written without an offset'),
  })
  .describe('a time when reboots are planned (R1)');

export const HostsConfig = z.strictObject({
  rebootAllowed: names('users whose logged reboot/shutdown makes the next boot planned (R1)', ['root', 'me@viktorbarzin.me']),
  plannedWindow: Duration.prefault('15m').describe('how long before a boot a planned shutdown counts'),
  maintenance: z.array(MaintenanceWindow).default([]).describe('windows in which a boot counts as planned (R1)'),
  rebootLoop: Threshold(3, '1h', 'R2 reboot loop').prefault({}).describe('R2 reboot loop'),
});

export const EngineConfig = z.strictObject({
  allowedLateness: Duration.prefault('30s').describe('how far behind the newest event a line may arrive and still join its window'),
  maxKeys: z.number().int().positive().default(100_000).describe('cap on keys per stateful rule; least recently updated keys are evicted'),
  checkpointInterval: Duration.prefault('5s').describe('tripline run: how often the engine state is saved with the positions (a restart re-reads at most this much)'),
});

export const HealthConfig = z.strictObject({
  wallClock: z
    .boolean()
    .default(true)
    .describe('tripline run: also judge silence (H1) against the wall clock, so a detector whose every source went quiet says so; turn off to feed it old logs'),
  maxSilence: z
    .record(z.string(), Duration)
    .default({})
    .describe('H1 silence limit per source kind or source name; defaults k8s-audit 30m, vault-audit 6h, others 24h'),
  parseErrors: z
    .strictObject({
      ratio: z.number().min(0).max(1).default(0.01).describe('H2 fires when more than this share of lines fail'),
      window: Duration.prefault('10m').describe('the window H2 judges the error share over'),
      minLines: z.number().int().positive().default(100).describe('lines a window needs before H2 judges it'),
    })
    .prefault({})
    .describe('H2 parse error share'),
});

export const RuleOverride = z
  .strictObject({
    enabled: z.boolean().default(true).describe('false turns the rule off'),
    severity: z.enum(['critical', 'warning', 'info']).optional().describe('replaces the severity the rule ships with'),
    cooldown: Duration.optional().describe('windowed rules: quiet time after an alert for the same key'),
  })
  .describe('one rule\'s override: enabled, severity, cooldown');

export const Config = z
  .strictObject({
    networks: NetworksConfig.prefault({}).describe('named CIDR sets, defined once and referenced by rules (networks.<name>)'),
    identities: IdentitiesConfig.prefault({}).describe('who counts as a human'),
    k8s: K8sConfig.prefault({}).describe('Kubernetes API audit rules (K2-K9)'),
    vault: VaultConfig.prefault({}).describe('Vault audit rules (V1-V7)'),
    ssh: SshConfig.prefault({}).describe('host sshd rules (S1-S3)'),
    swarm: SwarmConfig.prefault({}).describe('build swarm rules (N1, N2, G1)'),
    hosts: HostsConfig.prefault({}).describe('host lifecycle rules (R1, R2)'),
    engine: EngineConfig.prefault({}).describe('rule evaluation: lateness and state bounds'),
    health: HealthConfig.prefault({}).describe('detector health rules (H1, H2)'),
    rules: z.record(z.string(), RuleOverride).default({}).describe('per-rule overrides keyed by rule id'),
    sources: z.array(SourceConfig).optional().describe('what tripline run reads; absent: the standard paths that exist on this machine'),
    sinks: SinksConfig.optional().describe('where alerts go; absent: stdout'),
    http: HttpConfig.prefault({}).describe('the operations endpoint of tripline run'),
    // issue 5 (router)
    route: RouteConfig.prefault({}).describe('how alerts become messages: dedup, grouping, time zone, digest'),
    grafana: GrafanaConfig.optional().describe('Grafana Explore links in Slack messages (on when present)'),
    // issue 6 (loki)
    loki: LokiConnection.optional().describe('the Loki that `tripline replay --loki` reads (url, tenant, auth); --loki URL overrides url'),
    // issue 7 (scale-out on Kafka)
    kafka: KafkaConfig.optional().describe('Apache Kafka for the scale-out roles (tripline run --role collect|detect|route)'),
  })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    (c.sources ?? []).forEach((s, i) => {
      if (seen.has(s.name)) ctx.addIssue({ code: 'custom', path: ['sources', i, 'name'], message: `duplicate source name "${s.name}": names key saved positions` });
      seen.add(s.name);
    });
  })
  .describe('tripline configuration');
export type Config = z.infer<typeof Config>;
export type ConfigInput = z.input<typeof Config>;
