import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { rowsOf, type Database } from './client.js';
import { DEFAULT_READER_ROLE, ensureReaderRole } from './reader-role.js';

/** Committed SQL migrations; the same folder serves `src/` (tsx) and `dist/` (built). */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../migrations', import.meta.url));
export const MIGRATIONS_SCHEMA = 'drizzle';
export const MIGRATIONS_TABLE = '__dockerhub_sync_migrations';

interface Journal {
  entries: { idx: number; tag: string; when: number }[];
}

export function migrationJournal(folder = MIGRATIONS_FOLDER): Journal {
  return JSON.parse(readFileSync(path.join(folder, 'meta', '_journal.json'), 'utf8')) as Journal;
}

/** How many migrations the database has applied (0 when none ever ran). */
export async function appliedMigrationCount(database: Database): Promise<number> {
  const exists = await database.db.execute<{ present: boolean }>(
    sql`SELECT to_regclass(${`${MIGRATIONS_SCHEMA}.${MIGRATIONS_TABLE}`}) IS NOT NULL AS present`,
  );
  if (!rowsOf<{ present: boolean }>(exists)[0]?.present) return 0;
  const result = await database.db.execute<{ n: number }>(
    sql.raw(`SELECT count(*)::int AS n FROM "${MIGRATIONS_SCHEMA}"."${MIGRATIONS_TABLE}"`),
  );
  return Number(rowsOf<{ n: number }>(result)[0]?.n ?? 0);
}


export interface MigrationState {
  applied: number;
  total: number;
  /** Tags of the migrations this build has and the database has not applied yet. */
  pending: string[];
}

/** What migrating would do, found out without writing or locking anything. */
export async function readMigrationState(database: Database): Promise<MigrationState> {
  const entries = migrationJournal().entries;
  const applied = await appliedMigrationCount(database);
  return { applied, total: entries.length, pending: entries.slice(applied).map((entry) => entry.tag) };
}

export interface MigrateResult {
  before: number;
  after: number;
  total: number;
}

/**
 * Apply every pending migration. Replicas that start together queue on an advisory lock, so
 * exactly one applies each migration.
 */
export async function migrateDatabase(database: Database, logger?: Logger, options: { readerRole?: string } = {}): Promise<MigrateResult> {
  const result = await applyMigrations(database, logger);
  await ensureReaderRole(database, options.readerRole ?? DEFAULT_READER_ROLE, logger);
  return result;
}

async function applyMigrations(database: Database, logger?: Logger): Promise<MigrateResult> {
  const total = migrationJournal().entries.length;
  // Up to date (every start but the first after an upgrade): no lock to queue on, so a session
  // that holds the migration lock (any role may take an advisory lock) cannot stall a start.
  const applied = await appliedMigrationCount(database);
  if (applied >= total) {
    logger?.info({ before: applied, after: applied, total }, 'database schema up to date');
    return { before: applied, after: applied, total };
  }
  return database.withBlockingLock('dockerhub-sync:migrate', async () => {
    const before = await appliedMigrationCount(database);
    const config = {
      migrationsFolder: MIGRATIONS_FOLDER,
      migrationsSchema: MIGRATIONS_SCHEMA,
      migrationsTable: MIGRATIONS_TABLE,
    };
    if (database.kind === 'pglite') {
      const { migrate } = await import('drizzle-orm/pglite/migrator');
      await migrate(database.db as never, config);
    } else {
      const { migrate } = await import('drizzle-orm/node-postgres/migrator');
      await migrate(database.db as never, config);
    }
    const after = await appliedMigrationCount(database);
    logger?.info({ before, after, total }, after > before ? 'migrations applied' : 'database schema up to date');
    return { before, after, total };
  });
}
