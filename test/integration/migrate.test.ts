import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { is } from 'drizzle-orm';
import { getTableConfig, PgTable } from 'drizzle-orm/pg-core';
import * as schema from '../../src/db/schema/index.js';
import { migrateDatabase } from '../../src/db/migrate.js';
import { rowsOf } from '../../src/db/client.js';
import type { Database } from '../../src/db/client.js';
import { createEmptyDatabase, type TestDatabase } from '../support/db.js';

const DESIGN_TABLES = [
  'repositories', 'repository_stats', 'tags', 'tag_images', 'audit_logs', 'audit_log_actions',
  'org_members', 'teams', 'team_members', 'org_settings', 'access_tokens', 'org_access_tokens',
  'org_invites', 'scim_users', 'changes', 'sync_state', 'sync_runs', 'sync_errors', 'sync_leases', 'namespace_kinds', 'custom_records', 'writeback_results',
  'writeback_intents', 'writeback_records',
];

async function catalog(database: Database) {
  const result = await database.db.execute(sql`
    SELECT c.table_name, c.column_name, c.data_type, c.is_nullable
    FROM information_schema.columns c
    JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
    WHERE c.table_schema = 'dockerhub' AND t.table_type = 'BASE TABLE'
    ORDER BY c.table_name, c.ordinal_position`);
  return rowsOf<Record<string, string>>(result);
}

describe('migrations on an empty database', () => {
  let target: TestDatabase;
  let database: Database;
  beforeAll(async () => {
    target = await createEmptyDatabase();
    database = await target.open();
  });
  afterAll(async () => {
    await database?.close();
    await target?.destroy();
  });

  it('create every table of the data model, and a second run changes nothing', async () => {
    const first = await migrateDatabase(database);
    expect(first.before).toBe(0);
    expect(first.after).toBe(first.total);
    const before = await catalog(database);
    const tables = [...new Set(before.map((row) => row.table_name))].sort();
    expect(tables).toEqual([...DESIGN_TABLES].sort());

    const second = await migrateDatabase(database);
    expect(second.before).toBe(second.after);
    expect(await catalog(database)).toEqual(before);
  });

  it('matches the drizzle schema column for column', async () => {
    const columns = await catalog(database);
    for (const table of Object.values(schema)) {
      if (!is(table, PgTable)) continue;
      const config = getTableConfig(table);
      const inDb = columns.filter((c) => c.table_name === config.name).map((c) => c.column_name);
      expect(inDb.sort(), config.name).toEqual(config.columns.map((c) => c.name).sort());
    }
  });

  it('gives every entity table raw, first_seen_at, last_seen_at and deleted_at', async () => {
    const columns = await catalog(database);
    const entityTables = DESIGN_TABLES.filter(
      (t) => !['repository_stats', 'changes', 'sync_state', 'sync_runs', 'sync_errors', 'sync_leases', 'namespace_kinds', 'writeback_results', 'writeback_intents', 'writeback_records'].includes(t),
    );
    for (const table of entityTables) {
      const names = columns.filter((c) => c.table_name === table).map((c) => c.column_name);
      expect(names, table).toEqual(expect.arrayContaining(['raw', 'first_seen_at', 'last_seen_at', 'deleted_at']));
    }
    const timestamps = columns.filter((c) => /(_at|last_updated|last_modified|date_registered|timestamp)$/.test(String(c.column_name)));
    for (const column of timestamps) expect(column.data_type, `${String(column.table_name)}.${String(column.column_name)}`).toBe('timestamp with time zone');
  });
});
