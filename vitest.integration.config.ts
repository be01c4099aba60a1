import { defineConfig } from 'vitest/config';

// Integration tests: real child processes and real servers (Loki, Kafka) on loopback.
// They run one file at a time: the servers and the crash tests are heavy on 2 cores.
export default defineConfig({
  test: {
    include: ['test/integration/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 900_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
