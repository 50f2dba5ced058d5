import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { openDatabase, type Database } from '../../src/db/client.js';
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
  /** The raw URL (Postgres backends only). */
  url?: string;
  destroy(): Promise<void>;
}

let counter = 0;

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
  return {
    backend,
    url,
    env: { DATABASE_URL: url },
    open: () => openDatabase({ url, poolSize: 4 }),
    destroy: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined),
  };
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
  return {
    backend: 'pglite',
    env: { DATA_DIR: dir },
    open: () => openDatabase({ dataDir: dir }),
    destroy: async () => rmSync(dir, { recursive: true, force: true }),
  };
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
