import { sql } from 'drizzle-orm';
import { afterAll } from 'vitest';
import { rowsOf } from '../../src/db/client.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { startTestEmulator, type RunningEmulator } from './emulator.js';

// What a sync left in the database, for end-to-end tests that compare two runs.

/** Statements on the test database, on one connection opened for them (and closed before a CLI runs on it). */
export async function queries<T>(target: TestDatabase, run: (query: <R = Record<string, unknown>>(text: string) => Promise<R[]>) => Promise<T>): Promise<T> {
  const database = await target.open();
  try {
    return await run(async (text) => rowsOf(await database.db.execute(sql.raw(text))));
  } finally {
    await database.close();
  }
}

export async function query<T = Record<string, unknown>>(target: TestDatabase, text: string): Promise<T[]> {
  return queries(target, (q) => q<T>(text));
}

const ENTITY_TABLES: Record<string, string> = {
  repositories: 'namespace, name',
  tags: 'namespace, repository, name',
  tag_images: 'namespace, repository, tag, digest',
  audit_logs: 'account, event_hash',
  audit_log_actions: 'account, name',
  org_members: 'org, id',
  teams: 'org, id',
  team_members: 'org, team, id',
  org_settings: 'org',
  access_tokens: 'uuid',
  org_access_tokens: 'org, id',
  org_invites: 'org, id',
};

/** Content of every entity table (key, hash of content, deletion flag), in key order. */
export async function contentOf(target: TestDatabase): Promise<Record<string, string[]>> {
  return queries(target, async (query) => {
    const out: Record<string, string[]> = {};
    for (const [table, key] of Object.entries(ENTITY_TABLES)) {
      const rows = await query<{ k: string }>(`SELECT concat_ws('|', ${key}, row_hash, deleted_at IS NULL) AS k FROM dockerhub.${table} ORDER BY ${key}`);
      out[table] = rows.map((r) => r.k);
    }
    const stats = await query<{ k: string }>('SELECT concat_ws(\'|\', namespace, name, pull_count, star_count) AS k FROM dockerhub.repository_stats ORDER BY 1');
    out.repository_stats = stats.map((r) => r.k);
    return out;
  });
}

/**
 * Databases and emulators for one test file, each closed after the file's last test (newest
 * first). Call it at the top level of a test file.
 */
export function fileFixtures(): {
  freshDatabase(): Promise<TestDatabase>;
  emulatorFor(options?: Parameters<typeof startTestEmulator>[0]): Promise<RunningEmulator>;
} {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  return {
    async freshDatabase() {
      const target = await createTestDatabase();
      cleanups.push(() => target.destroy());
      return target;
    },
    async emulatorFor(options = {}) {
      const emulator = await startTestEmulator(options);
      cleanups.push(() => emulator.close());
      return emulator;
    },
  };
}
