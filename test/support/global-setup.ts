import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../src/db/client.js';
import { migrateDatabase } from '../../src/db/migrate.js';

/**
 * Picks the Postgres the tests use, once per run:
 *  1. TEST_DATABASE_URL (CI and anyone with a server),
 *  2. else a testcontainers Postgres when a Docker engine answers,
 *  3. else embedded PGlite (each test file then builds its own in-memory database).
 * For 1 and 2 a template database is migrated once with the real migrations; each test file
 * clones it (CREATE DATABASE … TEMPLATE), which takes milliseconds.
 */

declare module 'vitest' {
  export interface ProvidedContext {
    dbBackend: 'postgres' | 'testcontainers' | 'pglite';
    dbServerUrl: string;
    dbTemplate: string;
  }
}

async function dockerAvailable(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await Promise.race([
      getContainerRuntimeClient(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 8000)),
    ]);
    return true;
  } catch {
    return false;
  }
}

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let serverUrl = process.env.TEST_DATABASE_URL;
  let backend: 'postgres' | 'testcontainers' | 'pglite' = 'postgres';
  let stopContainer: (() => Promise<unknown>) | undefined;

  if (!serverUrl && process.env.TEST_DB !== 'pglite' && (await dockerAvailable())) {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:16-alpine').start();
    serverUrl = container.getConnectionUri();
    backend = 'testcontainers';
    stopContainer = () => container.stop();
  }
  if (!serverUrl || process.env.TEST_DB === 'pglite') {
    project.provide('dbBackend', 'pglite');
    project.provide('dbServerUrl', '');
    project.provide('dbTemplate', '');
    return async () => undefined;
  }

  const { default: pg } = await import('pg');
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  const template = `dhs_tpl_${process.pid}_${Date.now().toString(36)}`;
  await admin.query(`CREATE DATABASE "${template}"`);
  const database = await openDatabase({ url: withDatabase(serverUrl, template), poolSize: 2 });
  await migrateDatabase(database);
  await database.close();

  project.provide('dbBackend', backend);
  project.provide('dbServerUrl', serverUrl);
  project.provide('dbTemplate', template);

  return async () => {
    // Drop the template and any clone a crashed test file left behind.
    const leftovers = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE $1 OR datname = $2`,
      [`dhs_t_${process.pid}_%`, template],
    );
    for (const { datname } of leftovers.rows) {
      await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`).catch(() => undefined);
    }
    await admin.end();
    await stopContainer?.();
  };
}
