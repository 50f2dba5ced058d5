import { is, sql } from 'drizzle-orm';
import { getTableConfig, PgTable } from 'drizzle-orm/pg-core';
import * as schema from './schema/index.js';
import { rowsOf, type Database } from './client.js';
import { MIGRATIONS_SCHEMA, migrationJournal, readMigrationState } from './migrate.js';

export interface SchemaState {
  migrated: boolean;
  /** Migrations applied; null when this role may not read the migration history (the read-only role). */
  applied: number | null;
  total: number;
  pending: string[];
  /** Tables of this build the database lacks (checked when the history is out of reach). */
  missingTables: string[];
}

/**
 * Whether the database has this build's schema, found out without writing or locking: from the
 * migration history when this role may read it, else (the read-only role may not) from the
 * tables this build expects.
 */
export async function readSchemaState(database: Database): Promise<SchemaState> {
  const access = rowsOf<{ readable: boolean }>(
    await database.db.execute(sql`
      SELECT CASE WHEN to_regnamespace(${MIGRATIONS_SCHEMA}) IS NULL THEN true
                  ELSE has_schema_privilege(${MIGRATIONS_SCHEMA}, 'USAGE') END AS readable`),
  )[0];
  if (access?.readable !== false) {
    const state = await readMigrationState(database);
    return { migrated: state.pending.length === 0, applied: state.applied, total: state.total, pending: state.pending, missingTables: [] };
  }
  const names = TABLES.map((table) => table.name);
  const missing = rowsOf<{ name: string }>(
    await database.db.execute(sql`
      SELECT name FROM unnest(${`{${names.join(',')}}`}::text[]) AS name
      WHERE to_regclass('dockerhub.' || quote_ident(name)) IS NULL ORDER BY name`),
  ).map((row) => row.name);
  return { migrated: missing.length === 0, applied: null, total: migrationJournal().entries.length, pending: [], missingTables: missing };
}

export interface SliceStatus {
  endpoint: string;
  slice_key: string;
  last_run_at: string | null;
  last_status: string | null;
  last_error: string | null;
  rows_written: number | null;
  last_success_at: string | null;
  cursor: unknown;
}

/**
 * The latest run of every endpoint slice, with its cursor. Endpoints that never ran appear
 * once with a null slice so a fresh database still shows the whole list.
 */
export async function readStatus(database: Database, endpointNames: readonly string[]): Promise<SliceStatus[]> {
  const result = await database.db.execute(sql`
    WITH latest AS (
      SELECT DISTINCT ON (endpoint, slice_key)
        endpoint, slice_key, started_at, finished_at, status, error,
        rows_inserted + rows_updated + rows_deleted AS rows_written
      FROM dockerhub.sync_runs
      ORDER BY endpoint, slice_key, started_at DESC, id DESC
    ), success AS (
      SELECT endpoint, slice_key, max(finished_at) AS last_success_at
      FROM dockerhub.sync_runs WHERE status = 'succeeded'
      GROUP BY endpoint, slice_key
    ), keys AS (
      SELECT endpoint, slice_key FROM latest
      UNION SELECT endpoint, slice_key FROM dockerhub.sync_state
    )
    SELECT k.endpoint, k.slice_key,
      l.started_at AS last_run_at, l.status AS last_status, l.error AS last_error, l.rows_written,
      s.last_success_at, st.cursor
    FROM keys k
    LEFT JOIN latest l USING (endpoint, slice_key)
    LEFT JOIN success s USING (endpoint, slice_key)
    LEFT JOIN dockerhub.sync_state st USING (endpoint, slice_key)
    ORDER BY k.endpoint, k.slice_key`);
  // Endpoints named with a leading underscore are internal bookkeeping (e.g. which namespaces
  // are organizations), not something an operator syncs.
  const rows = rowsOf<SliceStatus>(result).filter((row) => !row.endpoint.startsWith('_')).map((row) => ({
    ...row,
    last_run_at: toIso(row.last_run_at),
    last_success_at: toIso(row.last_success_at),
    rows_written: row.rows_written === null ? null : Number(row.rows_written),
  }));
  const seen = new Set(rows.map((row) => row.endpoint));
  for (const name of endpointNames) {
    if (!seen.has(name)) {
      rows.push({
        endpoint: name,
        slice_key: '',
        last_run_at: null,
        last_status: null,
        last_error: null,
        rows_written: null,
        last_success_at: null,
        cursor: null,
      });
    }
  }
  const order = new Map(endpointNames.map((name, index) => [name, index]));
  return rows.sort(
    (a, b) =>
      (order.get(a.endpoint) ?? 1e9) - (order.get(b.endpoint) ?? 1e9) ||
      a.endpoint.localeCompare(b.endpoint) ||
      a.slice_key.localeCompare(b.slice_key),
  );
}

function toIso(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const date = value instanceof Date ? value : new Date(String(value));
  return Number.isNaN(date.getTime()) ? String(value) : date.toISOString();
}

/** Every table of the data model, in schema order, and whether it soft-deletes rows. */
const TABLES = (Object.values(schema) as unknown[])
  .filter((value): value is PgTable => is(value, PgTable))
  .map((table) => {
    const config = getTableConfig(table);
    return { name: config.name, softDeletes: config.columns.some((column) => column.name === 'deleted_at') };
  });

/** Row counts of every table (live rows and soft-deleted ones). */
export async function tableCounts(database: Database): Promise<{ table: string; rows: number; deleted: number }[]> {
  const out: { table: string; rows: number; deleted: number }[] = [];
  for (const { name, softDeletes } of TABLES) {
    const deletedExpr = softDeletes ? 'count(*) FILTER (WHERE deleted_at IS NOT NULL)' : '0';
    const result = await database.db.execute(
      sql.raw(`SELECT count(*)::int AS n, (${deletedExpr})::int AS d FROM dockerhub."${name}"`),
    );
    const row = rowsOf<{ n: number; d: number }>(result)[0];
    out.push({ table: name, rows: Number(row?.n ?? 0), deleted: Number(row?.d ?? 0) });
  }
  return out;
}
