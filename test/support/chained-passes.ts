import { afterAll, beforeAll } from 'vitest';
import { hubClientFromConfig } from '../../src/commands/hub.js';
import { loadConfig } from '../../src/config.js';
import type { Database } from '../../src/db/client.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import type { HubClient } from '../../src/hub/client.js';
import { createLogger } from '../../src/logger.js';
import { runSync, type SyncSummary } from '../../src/sync/runner.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { syncEnv } from './emulator.js';
import { endpoints } from '../../src/endpoints/index.js';

/** Passes of the repository endpoints, in process, on a clock the test moves. */
export interface ChainedPasses {
  readonly emulator: RunningEmulator;
  readonly database: Database;
  /** The clock the passes read (for other work that must see the same time). */
  readonly clock: { now(): Date };
  /** Moves the clock the passes read. */
  advance(ms: number): void;
  /** One pass (failed slices throw); the emulator's request counts of just this pass. */
  pass(options?: { dryRun?: boolean }): Promise<{ counts: Record<string, number>; summary: SyncSummary }>;
}

/**
 * An emulator (seeded), a migrated database and one first pass over `only` before the tests of
 * the calling `describe`; everything is closed after them.
 */
export function chainedPasses(only: readonly string[], options: { seed: number; start?: number }): ChainedPasses {
  let emulator: RunningEmulator;
  let target: TestDatabase;
  let database: Database;
  let client: HubClient;
  let nowMs = options.start ?? Date.now();
  const clock = { now: () => new Date(nowMs) };
  const logger = createLogger({ level: 'silent' });
  const configFor = () => loadConfig({ env: syncEnv(emulator, {}, { LOG_LEVEL: 'silent' }) });
  const passes: ChainedPasses = {
    get emulator() {
      return emulator;
    },
    get database() {
      return database;
    },
    clock,
    advance(ms) {
      nowMs += ms;
    },
    async pass(passOptions = {}) {
      emulator.requests.reset();
      const summary = await runSync({ database, client, logger, config: configFor(), clock, registry: endpoints }, { only, ...passOptions });
      const failed = summary.slices.filter((slice) => slice.status === 'failed');
      if (failed.length > 0) throw new Error(`sync failed: ${failed.map((f) => `${f.endpoint} ${f.slice}: ${f.error}`).join('; ')}`);
      return { counts: emulator.requests.counts, summary };
    },
  };
  beforeAll(async () => {
    emulator = await startEmulator({ seed: options.seed, scale: 1 });
    target = await createTestDatabase();
    database = await target.open();
    client = hubClientFromConfig(configFor(), logger);
    await passes.pass();
  });
  afterAll(async () => {
    await client?.close();
    await database?.close();
    await target?.destroy();
    await emulator?.close();
  });
  return passes;
}
