import { sql } from 'drizzle-orm';
import { loadConfig, type Config } from '../../../src/config.js';
import { hubClientFromConfig } from '../../../src/commands/hub.js';
import { rowsOf, type Database } from '../../../src/db/client.js';
import { DEFAULT_READER_ROLE } from '../../../src/db/reader-role.js';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.js';
import type { HubClient } from '../../../src/hub/client.js';
import { createLogger } from '../../../src/logger.js';
import { runSync } from '../../../src/sync/runner.js';
import { resolveJob, type WritebackJobConfig } from '../../../src/writeback/job.js';
import { runJob, type RunOptions, type RunSummary } from '../../../src/writeback/runner.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { endpoints } from '../../../src/endpoints/index.js';

/** The emulator, a migrated database synced from it, and a client: what a write-back job runs against. */
export interface WritebackWorld {
  emulator: RunningEmulator;
  target: TestDatabase;
  database: Database;
  client: HubClient;
  config: Config;
  org: string;
  sql<T = Record<string, unknown>>(text: string): Promise<T[]>;
  /**
   * Creates the schema `staging` for sources and grants it to the read-only role, as a
   * deployment does: write-back reads its sources as that role.
   */
  stagingSchema(): Promise<void>;
  /**
   * A full sync of the organization endpoints and repositories, or of only the endpoints a test
   * reads back (`only`): a pass over every repository's detail costs far more than the one table
   * a write-back changed.
   */
  sync(only?: readonly SyncedEndpoint[]): Promise<void>;
  /** Run a job given as it would be in the config file (validated by loadConfig). */
  /** `client`: the Hub client the job's calls go through (default: the owner's password client). */
  push(job: Record<string, unknown>, options?: RunOptions & { fetch?: typeof fetch; client?: HubClient }): Promise<RunSummary>;
  close(): Promise<void>;
}

export const logger = createLogger({ level: 'silent' });

/** What `WritebackWorld.sync` reads: the tables write-back jobs change or look up. */
const SYNCED = ['repositories', 'repository_details', 'org_members', 'teams', 'team_members', 'org_settings', 'access_tokens', 'org_access_tokens', 'org_invites'] as const;
export type SyncedEndpoint = (typeof SYNCED)[number];

export async function writebackWorld(seed = 11): Promise<WritebackWorld> {
  const emulator = await startEmulator({ seed, scale: 1 });
  const target = await createTestDatabase();
  const database = await target.open();
  const { credentials } = emulator;
  const org = emulator.state.orgNames[0] as string;
  const env = {
    DOCKERHUB_API_URL: emulator.url,
    DOCKERHUB_USERNAME: credentials.username,
    DOCKERHUB_PASSWORD: credentials.password,
    DOCKERHUB_NAMESPACES: [credentials.username, ...emulator.state.orgNames].join(','),
    AUDIT_INITIAL_LOOKBACK: '1d',
    LOG_LEVEL: 'silent',
  };
  const config = loadConfig({ env });
  // Short backoff: tests with a failing emulator need not wait for real-world delays.
  const client = hubClientFromConfig(config, logger, { retryBaseDelayMs: 20 });
  const world: WritebackWorld = {
    emulator,
    target,
    database,
    client,
    config,
    org,
    sql: async (text) => rowsOf(await database.db.execute(sql.raw(text))),
    stagingSchema: async () => {
      await world.sql('CREATE SCHEMA staging');
      await world.sql(`GRANT USAGE ON SCHEMA staging TO ${DEFAULT_READER_ROLE}`);
      await world.sql(`ALTER DEFAULT PRIVILEGES IN SCHEMA staging GRANT SELECT ON TABLES TO ${DEFAULT_READER_ROLE}`);
    },
    sync: async (only = SYNCED) => {
      const summary = await runSync({ database, client, logger, config, registry: endpoints }, { full: true, only: [...only] });
      const failed = summary.slices.filter((s) => s.status === 'failed');
      if (failed.length > 0) throw new Error(`sync failed: ${failed.map((f) => `${f.endpoint} ${f.slice}: ${f.error}`).join('; ')}`);
    },
    push: async (job, options = {}) => {
      const parsed = loadConfig({ env: { ...env, LOG_LEVEL: 'silent' }, overrides: { writeback: [job] } }).writeback[0] as WritebackJobConfig;
      const { fetch: doFetch, client: jobClient = client, ...rest } = options;
      return runJob(
        { database, clientFor: () => jobClient, baseUrl: new URL(emulator.url), logger, ...(doFetch ? { fetch: doFetch } : {}), webhookDrainMs: 5_000 },
        resolveJob(parsed),
        rest,
      );
    },
    close: async () => {
      await client.close();
      await database.close();
      await target.destroy();
      await emulator.close();
    },
  };
  return world;
}
