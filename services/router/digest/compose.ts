// One digest, from state to layout (issue 5): read the window (read-state.ts), count
// (model.ts), lay out (sections.ts). Shared by the scheduler of `tripline run` and the
// `tripline digest` command, so both say the same thing about the same state.
import type { DatabaseSync } from 'node:sqlite';
import { buildDigest, type Digest } from './model.js';
import { readDigestInput, type ReadDigestOptions } from './read-state.js';
import { layoutDigest, type DigestLayout } from './sections.js';

export function composeDigest(db: DatabaseSync, o: ReadDigestOptions): { digest: Digest; layout: DigestLayout } {
  const digest = buildDigest(readDigestInput(db, o));
  return { digest, layout: layoutDigest(digest, o.config.route.digest.timezone) };
}
