import { defineConfig } from 'vitest/config';
import ProcessTestsFirst from './test/setup/sequencer.js';

export default defineConfig({
  test: {
    include: ['{shared,service,agent,nas-relay,desktop,wireguard}/test/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    // Integration tests start several real processes; on two busy cores that takes a while.
    testTimeout: 180_000,
    hookTimeout: 60_000,
    // Three files at once on two cores: the process tests spend most of their time waiting on real
    // clocks (minimum off times, heartbeats, backoff), so two workers left the cores a third idle
    // (measured: the whole run 336 s with two, 263 s with three, every test passing both ways).
    maxWorkers: 3,
    setupFiles: ['test/setup/fast-check.ts'],
    // On a fresh checkout (no durations cached), the files that start real processes run first.
    sequence: { sequencer: ProcessTestsFirst },
    // The agent's process tests run its shipped bundle, built fresh from the sources once per run.
    globalSetup: ['test/setup/build-agent.ts'],
    // typescript-eslint builds its type-aware program once when it sees CI=true ("single run"), so
    // the lint tests' temporary files written after the first lint would not be found in CI.
    env: { TSESTREE_SINGLE_RUN: 'false' },
    reporters: ['default'],
  },
});
