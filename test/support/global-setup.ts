import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../../src/db/client.js';
import { migrateDatabase } from '../../src/db/migrate.js';

/**
 * Picks the database the tests use, once per run:
 *  1. TEST_DATABASE_URL (CI and anyone with a server),
 *  2. else a testcontainers Postgres when a Docker engine answers,
 *  3. else embedded PGlite.
 * For 1 and 2 a template database is migrated once with the real migrations; each test file
 * clones it (CREATE DATABASE … TEMPLATE), which takes milliseconds. For 3 one PGlite data
 * folder is migrated once, and each test database is a copy of that folder: creating and
 * migrating a PGlite database costs seconds of CPU, copying its folder a fraction of one.
 */

declare module 'vitest' {
  export interface ProvidedContext {
    dbBackend: 'postgres' | 'testcontainers' | 'pglite';
    dbServerUrl: string;
    dbTemplate: string;
    /** PGlite backend: a migrated DATA_DIR to copy (its `pglite` folder), else ''. */
    pgliteTemplate: string;
    /** A folder of this run for temporary files (each test file's CLI children get a TMPDIR in it); removed after the run. */
    testTmp: string;
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

/** A DATA_DIR whose embedded database has every migration applied. */
async function migratedPgliteFolder(): Promise<string> {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'dhs-pglite-template-'));
  const database = await openDatabase({ dataDir: folder });
  try {
    await migrateDatabase(database);
  } finally {
    await database.close();
  }
  return folder;
}

/**
 * What the projects of a run share (each project runs this setup, in one process): the PGlite
 * template is migrated once and removed after the last project's teardown.
 */
interface Shared {
  users: number;
  docker?: Promise<boolean>;
  pglite?: Promise<string>;
  tmp?: string;
}
const SHARED = Symbol.for('dockerhub-sync.test.shared');
const holder = globalThis as { [SHARED]?: Shared };

function shared(): Shared {
  holder[SHARED] ??= { users: 0 };
  return holder[SHARED];
}

async function release(state: Shared): Promise<void> {
  state.users -= 1;
  if (state.users > 0) return;
  delete holder[SHARED];
  const folder = await state.pglite?.catch(() => undefined);
  if (folder) rmSync(folder, { recursive: true, force: true });
  if (state.tmp) rmSync(state.tmp, { recursive: true, force: true });
}

/** The run's folder for temporary files; readable by all (a test runs the CLI as `nobody`). */
function runTmp(state: Shared): string {
  if (!state.tmp) {
    state.tmp = mkdtempSync(path.join(os.tmpdir(), 'dhs-run-'));
    chmodSync(state.tmp, 0o755);
  }
  return state.tmp;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const state = shared();
  state.users += 1;
  try {
    project.provide('testTmp', runTmp(state));
    return await setupProject(project, state);
  } catch (error) {
    await release(state);
    throw error;
  }
}

async function setupProject(project: TestProject, state: Shared): Promise<() => Promise<void>> {
  let serverUrl = process.env.TEST_DATABASE_URL;
  let backend: 'postgres' | 'testcontainers' | 'pglite' = 'postgres';
  let stopContainer: (() => Promise<unknown>) | undefined;

  if (!serverUrl && process.env.TEST_DB !== 'pglite' && (await (state.docker ??= dockerAvailable()))) {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:16-alpine').start();
    serverUrl = container.getConnectionUri();
    backend = 'testcontainers';
    stopContainer = () => container.stop();
  }
  if (!serverUrl || process.env.TEST_DB === 'pglite') {
    if (!state.pglite) {
      const why = process.env.TEST_DB === 'pglite' ? 'TEST_DB=pglite' : 'no TEST_DATABASE_URL and no Docker engine';
      console.log(`test database: embedded PGlite (${why}); each test database is a copy of one migrated folder`);
    }
    state.pglite ??= migratedPgliteFolder();
    project.provide('dbBackend', 'pglite');
    project.provide('dbServerUrl', '');
    project.provide('dbTemplate', '');
    project.provide('pgliteTemplate', await state.pglite);
    return () => release(state);
  }

  console.log(`test database (${project.name}): ${backend === 'testcontainers' ? 'a Postgres container (testcontainers)' : 'TEST_DATABASE_URL'}; each test file clones a migrated template`);
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
  project.provide('pgliteTemplate', '');

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
    await release(state);
  };
}
