import { defineConfig } from 'vitest/config';

// Unit, rule, golden and conformance tests: fast, no servers. Integration tests
// (real Loki/Kafka) and the hardening suite have their own configs.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/integration/**', 'test/hardening/**', 'node_modules/**'],
    testTimeout: 30_000,
    pool: 'forks',
  },
});
