import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { NODE_TEST_FLAGS } from './test/support/node-flags.js';

// Three projects: unit tests touch nothing outside the process; integration tests get a
// real Postgres (see test/support/db.ts); e2e tests run the real CLI, built once per run
// (test/support/build-setup.ts), against the emulator.
// Timeouts only turn a hang into a failure: they are several times what a test takes on a busy
// machine, so load makes the suite slower, never red.
//
// Workers: test files of every project share one pool and run side by side. Most of a test's
// time is spent waiting (a CLI child, the emulator over HTTP, the database), not computing, so
// the pool is larger than the machine: at least 4 workers, more on a machine with more cores
// (vitest's default, one per core less one, runs everything one file at a time on 2 cores).
// Nothing is shared between files: each has its own database (test/support/db.ts), emulator on
// port 0, temporary folders, and a TMPDIR of its own for the CLI children (test/support/cli.ts).
// `--maxWorkers=N` on the command line overrides it.
const WORKERS = Math.max(4, availableParallelism());

// Workers (and the CLI children) compile PGlite's WebAssembly once, without re-optimizing it:
// test/support/node-flags.ts.
const execArgv = NODE_TEST_FLAGS;

export default defineConfig({
  test: {
    maxWorkers: WORKERS,
    projects: [
      {
        test: {
          name: 'unit',
          execArgv,
          // Unit tests touch no process-wide state (no mocks, fake timers or environment changes),
          // so one worker runs several files without a fresh module graph for each: a third of
          // the project's CPU time. Green with the files in shuffled order too (--sequence.shuffle.files).
          isolate: false,
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          execArgv,
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
          execArgv,
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/support/global-setup.ts', 'test/support/build-setup.ts'],
          testTimeout: 600_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
