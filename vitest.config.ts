import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{shared,service,agent,nas-relay,desktop,wireguard}/test/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start real processes and sockets; two cores are shared between them.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
