import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql, type SQL } from 'drizzle-orm';
import { inject } from 'vitest';
import { openDatabase, rowsOf, type Database } from '../../src/db/client.js';
import { migrateDatabase } from '../../src/db/migrate.js';

/**
 * An isolated, migrated database for one test file (or one test). `env` is what a CLI
 * subprocess needs to reach the same database; `open()` gives an in-process handle.
 * With the PGlite backend the data lives in a temporary folder, and only one process may have
 * it open at a time: close in-process handles before running the CLI against it.
 */
export interface TestDatabase {
  backend: 'postgres' | 'testcontainers' | 'pglite';
  env: Record<string, string>;
  open(): Promise<Database>;
  /**
   * Rows of one statement, on an in-process connection kept open between statements (opening
   * PGlite costs a second of CPU each time). `runCli` closes it before a child starts, since
   * PGlite admits one process at a time; a child started otherwise needs `release()` first.
   */
  query<T = Record<string, unknown>>(statement: string | SQL): Promise<T[]>;
  /** Closes the connection `query` keeps (a no-op when none is open). */
  release(): Promise<void>;
  /** The raw URL (Postgres backends only). */
  url?: string;
  destroy(): Promise<void>;
}

let counter = 0;

/** Databases whose `query` connection is open now. */
const kept = new Set<TestDatabase>();

/** Whether some test database keeps a `query` connection open. */
export function keepsConnections(): boolean {
  return kept.size > 0;
}

/** Closes every connection `query` keeps: before a CLI child opens one of these databases. */
export async function releaseKeptConnections(): Promise<void> {
  await Promise.all([...kept].map((database) => database.release()));
}

function withKeptConnection(base: Omit<TestDatabase, 'query' | 'release'>): TestDatabase {
  let connection: Promise<Database> | undefined;
  const database: TestDatabase = {
    ...base,
    // A handle of its own: the kept connection is closed first (two PGlite instances must never share a folder).
    async open() {
      await database.release();
      return base.open();
    },
    async query<T>(statement: string | SQL) {
      if (!connection) {
        connection = base.open();
        kept.add(database);
        connection.catch(() => {
          connection = undefined;
          kept.delete(database);
        });
      }
      const handle = await connection;
      return rowsOf<T>(await handle.db.execute(typeof statement === 'string' ? sql.raw(statement) : statement));
    },
    async release() {
      const open = connection;
      connection = undefined;
      kept.delete(database);
      await (await open?.catch(() => undefined))?.close();
    },
    async destroy() {
      await database.release();
      await base.destroy();
    },
  };
  return database;
}

/** A new database on the server (cloned from the migrated template, or empty). */
async function serverDatabase(backend: TestDatabase['backend'], template: string | undefined): Promise<TestDatabase> {
  const serverUrl = inject('dbServerUrl');
  const name = `dhs_t_${process.ppid}_${process.pid}_${Date.now().toString(36)}_${counter++}${template ? '' : '_empty'}`;
  const { default: pg } = await import('pg');
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(template ? `CREATE DATABASE "${name}" TEMPLATE "${template}"` : `CREATE DATABASE "${name}"`);
  const parsed = new URL(serverUrl);
  parsed.pathname = `/${name}`;
  const url = parsed.toString();
  return withKeptConnection({
    backend,
    url,
    env: { DATABASE_URL: url },
    open: () => openDatabase({ url, poolSize: 4 }),
    destroy: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined),
  });
}

/**
 * A folder for embedded PGlite, optionally with the migrations applied: a copy of the database
 * the global setup migrated once (its `pglite` folder only, none of the files a running process
 * keeps beside it), or, outside a run that has one, migrated here.
 */
async function pgliteDatabase(migrated: boolean): Promise<TestDatabase> {
  const dir = mkdtempSync(path.join(os.tmpdir(), migrated ? 'dhs-pglite-' : 'dhs-pglite-empty-'));
  const template = migrated ? inject('pgliteTemplate') : undefined;
  if (template) {
    cpSync(path.join(template, 'pglite'), path.join(dir, 'pglite'), { recursive: true });
  } else if (migrated) {
    const first = await openDatabase({ dataDir: dir });
    await migrateDatabase(first);
    await first.close();
  }
  return withKeptConnection({
    backend: 'pglite',
    env: { DATA_DIR: dir },
    open: () => openDatabase({ dataDir: dir }),
    destroy: async () => rmSync(dir, { recursive: true, force: true }),
  });
}

/**
 * A DATA_DIR (a new temporary folder) whose embedded database has every migration applied: a
 * copy of the folder the end-to-end project's setup migrated once (test/support/build-setup.ts),
 * on either backend. For end-to-end tests
 * whose subject is not the first `migrate` of a new folder: creating and migrating an embedded
 * database costs a CLI child seconds of CPU, copying the folder a fraction of one. Remove it
 * with rmSync after the test.
 */
export function migratedDataDir(prefix = 'dhs-data-'): string {
  const template = inject('migratedDataDir');
  if (!template) throw new Error('no migrated DATA_DIR in this run: the test project needs test/support/build-setup.ts in its globalSetup');
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  cpSync(path.join(template, 'pglite'), path.join(dir, 'pglite'), { recursive: true });
  return dir;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const backend = inject('dbBackend');
  return backend === 'pglite' ? pgliteDatabase(true) : serverDatabase(backend, inject('dbTemplate'));
}

/** An empty, unmigrated database (for testing `migrate` itself). */
export async function createEmptyDatabase(): Promise<TestDatabase> {
  const backend = inject('dbBackend');
  return backend === 'pglite' ? pgliteDatabase(false) : serverDatabase(backend, undefined);
}
