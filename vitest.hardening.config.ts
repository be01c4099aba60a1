import { defineConfig } from 'vitest/config';

// The hardening suite (issue 9): fuzzers, pathological inputs, hostile content, floods,
// chaos (SIGKILL, full disk, damaged state, clock jumps, sinks going away) and secrets.
// Heavy by design; budget ~15 minutes on 2 cores. Files run two at a time (one per core);
// the chaos and secrets tests run the built CLI, so dist/ is built first (support/global-setup.ts).
export default defineConfig({
  test: {
    include: ['test/hardening/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    maxWorkers: 2,
    // The flood test measures heap after a forced GC.
    execArgv: ['--expose-gc'],
    globalSetup: ['test/hardening/support/global-setup.ts'],
  },
});
