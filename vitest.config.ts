import { defineConfig } from 'vitest/config';

// Three projects: unit tests touch nothing outside the process; integration tests get a
// real Postgres (see test/support/db.ts); e2e tests run the real CLI, built once per run
// (test/support/build-setup.ts), against the emulator.
// Timeouts only turn a hang into a failure: they are several times what a test takes on a busy
// machine, so load makes the suite slower, never red.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/support/global-setup.ts', 'test/support/build-setup.ts'],
          testTimeout: 600_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
