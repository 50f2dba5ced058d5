import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { is } from 'drizzle-orm';
import { getTableConfig, PgTable } from 'drizzle-orm/pg-core';
import * as schema from '../../src/db/schema/index.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { MIGRATIONS_FOLDER, migrateDatabase, migrationJournal } from '../../src/db/migrate.js';
import { repositoryDetailsEndpoint } from '../../src/endpoints/repository-details.js';
import { tagsEndpoint } from '../../src/endpoints/tags.js';
import type { SyncDeps, SyncPlan } from '../../src/sync/context.js';
import { rowsOf } from '../../src/db/client.js';
import type { Database } from '../../src/db/client.js';
import { createEmptyDatabase, type TestDatabase } from '../support/db.js';

const DESIGN_TABLES = [
  'repositories', 'repository_stats', 'tags', 'tag_images', 'audit_logs', 'audit_log_actions',
  'org_members', 'teams', 'team_members', 'org_settings', 'access_tokens', 'org_access_tokens',
  'org_invites', 'scim_users', 'changes', 'sync_state', 'sync_runs', 'sync_errors', 'sync_leases', 'namespace_kinds', 'custom_records', 'writeback_results',
  'writeback_intents', 'writeback_records', 'pull_usage_reports', 'pull_usage', 'pull_usage_loads',
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
      (t) => !['repository_stats', 'changes', 'sync_state', 'sync_runs', 'sync_errors', 'sync_leases', 'namespace_kinds', 'writeback_results', 'writeback_intents', 'writeback_records', 'pull_usage', 'pull_usage_loads'].includes(t),
    );
    for (const table of entityTables) {
      const names = columns.filter((c) => c.table_name === table).map((c) => c.column_name);
      expect(names, table).toEqual(expect.arrayContaining(['raw', 'first_seen_at', 'last_seen_at', 'deleted_at']));
    }
    const timestamps = columns.filter((c) => /(_at|last_updated|last_modified|date_registered|timestamp)$/.test(String(c.column_name)));
    for (const column of timestamps) expect(column.data_type, `${String(column.table_name)}.${String(column.column_name)}`).toBe('timestamp with time zone');
  });
});

describe('the chaining state migration (0009) on a database synced by an earlier version', () => {
  let target: TestDatabase;
  let database: Database;
  const folder = MIGRATIONS_FOLDER;
  const statements = (tag: string) =>
    readFileSync(path.join(folder, `${tag}.sql`), 'utf8')
      .split('--> statement-breakpoint')
      .map((statement) => statement.trim())
      .filter(Boolean);
  beforeAll(async () => {
    target = await createEmptyDatabase();
    database = await target.open();
  });
  afterAll(async () => {
    await database?.close();
    await target?.destroy();
  });

  it('carries what the detail and the tags were read for into their own state, so no repository is read again for the upgrade', async () => {
    const tags = migrationJournal().entries.map((entry) => entry.tag);
    const at = tags.findIndex((tag) => tag.startsWith('0009_'));
    for (const tag of tags.slice(0, at)) for (const statement of statements(tag)) await database.db.execute(sql.raw(statement));
    // What an earlier version left: marks on the repository rows, the pull history, live tags.
    await database.db.execute(sql`
      INSERT INTO dockerhub.repositories (namespace, name, last_updated, last_modified, pull_count, raw, row_hash,
        detail_synced_at, detail_synced_for, tags_synced_at, tags_synced_for, deleted_at)
      VALUES
        ('acme', 'api', '2026-05-01T10:00:00.5Z', '2026-05-02T00:00:00Z', 41, '{}', 'h', '2026-05-03T00:00:00Z', '2026-05-02T00:00:00Z', '2026-05-04T00:00:00Z', '2026-05-01T10:00:00.5Z', NULL),
        ('acme', 'new', '2026-05-01T00:00:00Z', NULL, 0, '{}', 'h', NULL, NULL, NULL, NULL, NULL),
        ('acme', 'gone', '2026-05-01T00:00:00Z', NULL, 3, '{}', 'h', '2026-05-03T00:00:00Z', '2026-05-01T00:00:00Z', '2026-05-04T00:00:00Z', '2026-05-01T00:00:00Z', '2026-05-05T00:00:00Z')`);
    await database.db.execute(sql`
      INSERT INTO dockerhub.repository_stats (namespace, name, observed_at, pull_count) VALUES
        ('acme', 'api', '2026-05-03T00:00:00Z', 40), ('acme', 'api', '2026-05-05T00:00:00Z', 41)`);
    await database.db.execute(sql`
      INSERT INTO dockerhub.tags (namespace, repository, name, raw, row_hash, deleted_at) VALUES
        ('acme', 'api', 'latest', '{}', 'h', NULL), ('acme', 'api', 'v1', '{}', 'h', NULL), ('acme', 'api', 'old', '{}', 'h', '2026-05-01T00:00:00Z')`);
    await database.db.execute(sql`
      INSERT INTO dockerhub.sync_state (endpoint, slice_key, cursor, last_complete_at) VALUES ('tags', 'acme/api', '{"tags": 2, "invalid": 0}', '2026-05-04T00:00:05Z')`);

    for (const statement of statements(tags[at]!)) await database.db.execute(sql.raw(statement));

    const state = rowsOf<{ endpoint: string; slice_key: string; cursor: unknown; last_complete_at: string | null }>(
      await database.db.execute(sql`
        SELECT endpoint, slice_key, cursor, to_char(last_complete_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS last_complete_at
        FROM dockerhub.sync_state ORDER BY endpoint, slice_key`),
    );
    expect(state).toEqual([
      { endpoint: 'repository_details', slice_key: 'acme/api', cursor: { for: '2026-05-02T00:00:00.000000Z' }, last_complete_at: '2026-05-03T00:00:00Z' },
      { endpoint: 'repository_details', slice_key: 'acme/gone', cursor: { for: '2026-05-01T00:00:00.000000Z' }, last_complete_at: '2026-05-03T00:00:00Z' },
      {
        endpoint: 'tags',
        slice_key: 'acme/api',
        // The pull count the read saw is the last one recorded at or before it (40, not 41).
        cursor: { tags: 2, invalid: 0, read: { at: '2026-05-04T00:00:00.000000Z', last_updated: '2026-05-01T10:00:00.500000Z', pull_count: 40, tags: 2 } },
        last_complete_at: '2026-05-04T00:00:05Z',
      },
    ]);

    // The rule the tags endpoint applies reads the carried state: `api` was pulled since its
    // read (40 → 41), `new` was never read; the deleted one is not a slice.
    const config = loadConfig({ env: { DOCKERHUB_NAMESPACES: 'acme', LOG_LEVEL: 'silent' } });
    const plan: SyncPlan = { namespaces: ['acme'], orgs: [], user: undefined, full: false, dryRun: false, backfill: undefined };
    const deps = { database, config, clock: { now: () => new Date('2026-05-06T00:00:00Z') } } as unknown as SyncDeps;
    expect((await tagsEndpoint.slices(plan, deps)).map((slice) => slice.key)).toEqual(['acme/api', 'acme/new']);
    expect((await repositoryDetailsEndpoint.slices(plan, deps)).map((slice) => slice.key)).toEqual(['acme/new']);
    await database.db.execute(sql`UPDATE dockerhub.repositories SET pull_count = 40 WHERE name = 'api'`);
    expect((await tagsEndpoint.slices(plan, deps)).map((slice) => slice.key)).toEqual(['acme/new']);
  });
});
