import { z } from 'zod';

// The build swarm's event log (docs: shared/docs/swarm-log.md): JSON lines from the
// gateway and orchestrator, and the orchestrator's bracketed text lines.

export const SwarmJson = z
  .looseObject({
    ts: z.string(),
    component: z.string().optional(),
    event: z.string().min(1),
    drone: z.string().nullish(),
    source_ip: z.string().nullish(),
    advertised_ip: z.string().nullish(),
    cores: z.number().nullish(),
    status: z.string().nullish(),
    by: z.string().nullish(),
    action: z.string().nullish(),
    target_ip: z.string().nullish(),
    reason: z.string().nullish(),
    host: z.string().nullish(),
    version: z.string().nullish(),
  })
  .describe('A build swarm JSON event');
export type SwarmJson = z.infer<typeof SwarmJson>;

export const SwarmText = z
  .object({
    timestamp: z.string().describe('the bracketed text, full or time-only'),
    message: z.string(),
  })
  .describe('An orchestrator text line');
export type SwarmText = z.infer<typeof SwarmText>;
