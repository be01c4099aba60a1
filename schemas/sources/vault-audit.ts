import { z } from 'zod';

// Vault file audit device entry, one JSON object per line.
// https://developer.hashicorp.com/vault/docs/audit/schema
// Current Vault omits empty fields; older versions wrote null or "". Every field is
// therefore optional and nullable, and parsers must treat absent, null and "" alike.

const strs = z.array(z.string()).nullish();

export const VaultAuth = z.looseObject({
  client_token: z.string().nullish(),
  accessor: z.string().nullish(),
  display_name: z.string().nullish(),
  policies: strs,
  token_policies: strs,
  identity_policies: strs,
  entity_id: z.string().nullish(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
  token_type: z.string().nullish(),
  token_issue_time: z.string().nullish(),
  token_ttl: z.number().nullish(),
  num_uses: z.number().nullish(),
  remaining_uses: z.number().nullish(),
  policy_results: z.unknown().optional(),
});
export type VaultAuth = z.infer<typeof VaultAuth>;

export const VaultRequest = z.looseObject({
  id: z.string().nullish(),
  operation: z.string().nullish(),
  path: z.string().nullish(),
  mount_type: z.string().nullish(),
  mount_point: z.string().nullish(),
  mount_accessor: z.string().nullish(),
  mount_class: z.string().nullish(),
  namespace: z.unknown().optional(),
  remote_address: z.string().nullish(),
  remote_port: z.number().int().nullish(), // a TCP port: integers only (events carry it as client.port)
  client_id: z.string().nullish(),
  client_token: z.string().nullish(),
  client_token_accessor: z.string().nullish(),
  data: z.unknown().optional(),
  headers: z.unknown().optional(),
  request_uri: z.string().nullish(),
  wrap_ttl: z.number().nullish(),
});

export const VaultResponse = z.looseObject({
  auth: VaultAuth.nullish(),
  data: z.unknown().optional(),
  secret: z.unknown().optional(),
  wrap_info: z.unknown().optional(),
  warnings: z.unknown().optional(),
  redirect: z.string().nullish(),
  mount_type: z.string().nullish(),
  mount_point: z.string().nullish(),
  mount_accessor: z.string().nullish(),
});

export const VaultAuditEntry = z
  .looseObject({
    time: z.string(),
    type: z.string().min(1),
    auth: VaultAuth.nullish(),
    request: VaultRequest.nullish(),
    response: VaultResponse.nullish(),
    error: z.string().nullish(),
    forwarded_from: z.string().nullish(),
  })
  .describe('A HashiCorp Vault file audit device entry');
export type VaultAuditEntry = z.infer<typeof VaultAuditEntry>;
