import { mkdtempSync, rmSync } from 'node:fs';
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

export async function createTestDatabase(): Promise<TestDatabase> {
  const backend = inject('dbBackend');
  if (backend === 'pglite') {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dhs-pglite-'));
    const first = await openDatabase({ dataDir: dir });
    await migrateDatabase(first);
    await first.close();
    return {
      backend,
      env: { DATA_DIR: dir },
      open: () => openDatabase({ dataDir: dir }),
      destroy: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const serverUrl = inject('dbServerUrl');
  const template = inject('dbTemplate');
  const name = `dhs_t_${process.ppid}_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const { default: pg } = await import('pg');
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  } finally {
    await admin.end();
  }
  const parsed = new URL(serverUrl);
  parsed.pathname = `/${name}`;
  const url = parsed.toString();
  return {
    backend,
    url,
    env: { DATABASE_URL: url },
    open: () => openDatabase({ url, poolSize: 4 }),
    destroy: async () => {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined);
      await client.end();
    },
  };
}

/** An empty, unmigrated database (for testing `migrate` itself). */
export async function createEmptyDatabase(): Promise<TestDatabase> {
  const backend = inject('dbBackend');
  if (backend === 'pglite') {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dhs-pglite-empty-'));
    return {
      backend,
      env: { DATA_DIR: dir },
      open: () => openDatabase({ dataDir: dir }),
      destroy: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const serverUrl = inject('dbServerUrl');
  const name = `dhs_t_${process.ppid}_${process.pid}_${Date.now().toString(36)}_${counter++}_empty`;
  const { default: pg } = await import('pg');
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const parsed = new URL(serverUrl);
  parsed.pathname = `/${name}`;
  const url = parsed.toString();
  return {
    backend,
    url,
    env: { DATABASE_URL: url },
    open: () => openDatabase({ url, poolSize: 4 }),
    destroy: async () => {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => undefined);
      await client.end();
    },
  };
}
