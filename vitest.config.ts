import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{shared,service,agent,nas-relay,desktop,wireguard}/test/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    // Integration tests start several real processes; on two busy cores that takes a while.
    testTimeout: 180_000,
    hookTimeout: 60_000,
    // Integration tests start real processes and sockets; two cores are shared between them.
    maxWorkers: 2,
    setupFiles: ['test/setup/fast-check.ts'],
    reporters: ['default'],
  },
});
