// The rule registry: the only list of rules (architecture convention 7). Order is the
// catalogue order of docs/rules.md, which `tripline rules` prints.
import type { Rule } from './define.js';
import { K2 } from './k8s/k2-serviceaccount-outside.js';
import { K3 } from './k8s/k3-sensitive-secret-read.js';
import { K4 } from './k8s/k4-exec-sensitive-namespace.js';
import { K5 } from './k8s/k5-mass-delete.js';
import { K6 } from './k8s/k6-audit-critical-object.js';
import { K7 } from './k8s/k7-wildcard-clusterrole.js';
import { K8 } from './k8s/k8-anonymous-binding.js';
import { K9 } from './k8s/k9-human-outside.js';
import { V1 } from './vault/v1-root-token.js';
import { V2 } from './vault/v2-audit-device-change.js';
import { V3 } from './vault/v3-seal.js';
import { V4 } from './vault/v4-policy-write.js';
import { V5 } from './vault/v5-auth-failures.js';
import { V6 } from './vault/v6-child-token-escalation.js';
import { V7 } from './vault/v7-human-outside.js';
import { S1 } from './ssh/s1-accepted-outside.js';
import { S2 } from './ssh/s2-brute-force.js';
import { S3 } from './ssh/s3-break-glass.js';
import { N1 } from './swarm/n1-new-drone.js';
import { N2 } from './swarm/n2-protected-drone-address.js';
import { G1 } from './swarm/g1-remote-action-protected.js';
import { R1 } from './hosts/r1-unplanned-boot.js';
import { R2 } from './hosts/r2-reboot-loop.js';
import { I1 } from './snort/i1-priority-1.js';
import { I2 } from './snort/i2-ids-alert.js';
import { H1 } from './health/h1-source-silent.js';
import { H2 } from './health/h2-parse-errors.js';

export const rules: readonly Rule[] = [
  K2, K3, K4, K5, K6, K7, K8, K9,
  V1, V2, V3, V4, V5, V6, V7,
  S1, S2, S3,
  N1, N2, G1,
  R1, R2,
  I1, I2,
  H1, H2,
];

const byId: ReadonlyMap<string, Rule> = new Map(rules.map((r) => [r.id, r]));

/** The rule with this id (exactly as in docs/rules.md, e.g. "K2"), or undefined. */
export function ruleById(id: string): Rule | undefined {
  return byId.get(id);
}
