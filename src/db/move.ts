import type { PGlite, Transaction } from '@electric-sql/pglite';
import type { Logger } from 'pino';
import { describeDatabaseUrl, openDatabase, type Database } from './client.js';
import { appliedMigrationCount, migrateDatabase } from './migrate.js';

/**
 * Copy the embedded database into a real Postgres: the target gets the schema from the same
 * migrations (so it counts as migrated, whatever its Postgres version), then every table of
 * schema `dockerhub` (rows, cursors in sync_state, run history) and the sequence positions, in
 * one transaction that commits only when the row count of every table matches the source.
 */

export const MOVED_SCHEMA = 'dockerhub';
const BATCH_ROWS = 2_000;

export interface TableCount {
  table: string;
  source: number;
  target: number;
}

export interface MoveResult {
  tables: TableCount[];
  migrations: number;
  target: string;
}

interface Column {
  name: string;
  identity: boolean;
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

async function pgliteRows<T>(pg: PGlite | Transaction, text: string, params: unknown[] = []): Promise<T[]> {
  return (await pg.query<T>(text, params)).rows;
}

const TABLES_SQL = `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') ORDER BY c.relname`;
const SEQUENCES_SQL = `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = $1 AND c.relkind = 'S' ORDER BY c.relname`;
// Generated columns are computed by the target; identity columns are copied as they are.
const COLUMNS_SQL = `SELECT a.attname AS name, a.attidentity <> '' AS identity FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
  ORDER BY a.attnum`;

export interface MoveOptions {
  source: Database;
  targetUrl: string;
  logger: Logger;
  onTable?: (table: string, rows: number) => void;
}

export async function moveDatabase(options: MoveOptions): Promise<MoveResult> {
  const { source, logger } = options;
  if (source.kind !== 'pglite') throw new Error('db move copies the embedded database; the configured one is a Postgres server');
  const pglite = (source.db as unknown as { $client: PGlite }).$client;
  const location = describeDatabaseUrl(options.targetUrl);

  // The source first reaches the current schema, so both sides have the same tables and columns.
  await migrateDatabase(source, logger);
  // Two connections: the migration lock holds one while the migrator uses the other.
  const target = await openDatabase({ url: options.targetUrl, logger, poolSize: 2, applicationName: 'dockerhub-sync db move' });
  try {
    await migrateDatabase(target, logger);
    const migrations = await appliedMigrationCount(target);
    const sourceMigrations = await appliedMigrationCount(source);
    if (migrations !== sourceMigrations) {
      throw new Error(`${location} has ${migrations} migrations applied and the embedded database ${sourceMigrations}; upgrade dockerhub-sync so both match`);
    }

    const tables = (await pgliteRows<{ name: string }>(pglite, TABLES_SQL, [MOVED_SCHEMA])).map((t) => t.name);
    const sequences = (await pgliteRows<{ name: string }>(pglite, SEQUENCES_SQL, [MOVED_SCHEMA])).map((s) => s.name);
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: options.targetUrl, application_name: 'dockerhub-sync db move' });
    await client.connect();
    try {
      await assertTargetEmpty(client, tables, location);
      await client.query('BEGIN');
      try {
        const counts = await copySnapshot(pglite, client, tables, sequences, options.onTable);
        const mismatched = counts.filter((count) => count.source !== count.target);
        if (mismatched.length > 0) {
          throw new Error(
            `row counts differ after copying (${mismatched.map((m) => `${m.table}: ${m.source} → ${m.target}`).join(', ')}); nothing was written to ${location}`,
          );
        }
        await client.query('COMMIT');
        return { tables: counts, migrations, target: location };
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    } finally {
      await client.end().catch(() => undefined);
    }
  } finally {
    await target.close();
  }
}

/** The target has every table the source has, and none holds a row: two histories are never mixed. */
async function assertTargetEmpty(client: import('pg').Client, tables: string[], location: string): Promise<void> {
  const targetTables = new Set((await client.query<{ name: string }>(TABLES_SQL, [MOVED_SCHEMA])).rows.map((row) => row.name));
  const missing = tables.filter((table) => !targetTables.has(table));
  if (missing.length > 0) throw new Error(`${location} has no table ${missing.map((t) => `${MOVED_SCHEMA}.${t}`).join(', ')} after migrating`);

  const occupied: string[] = [];
  for (const table of tables) {
    const present = await client.query(`SELECT 1 FROM ${quote(MOVED_SCHEMA)}.${quote(table)} LIMIT 1`);
    if (present.rowCount) occupied.push(table);
  }
  if (occupied.length > 0) {
    throw new Error(
      `${location} already holds data (${occupied.map((t) => `${MOVED_SCHEMA}.${t}`).join(', ')}); ` +
        'db move only fills a database with empty dockerhub tables. Use a new database, or empty these tables first.',
    );
  }
}

/** Copy every table and sequence from one read-only snapshot of the source; the rows counted on both sides. */
async function copySnapshot(
  pglite: PGlite,
  client: import('pg').Client,
  tables: string[],
  sequences: string[],
  onTable: MoveOptions['onTable'],
): Promise<TableCount[]> {
  const counts: TableCount[] = [];
  // Read the whole source in one snapshot; writers wait (PGlite is one session anyway).
  await pglite.transaction(async (tx) => {
    await tx.exec('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    // Times travel as text with their offset; UTC keeps them readable in the JSON.
    await tx.exec("SET LOCAL TimeZone TO 'UTC'");
    for (const table of tables) {
      const columns = await pgliteRows<Column>(tx, COLUMNS_SQL, [MOVED_SCHEMA, table]);
      const copied = await copyTable(tx, client, table, columns);
      const [sourceCount] = await pgliteRows<{ n: number }>(tx, `SELECT count(*)::int AS n FROM ${quote(MOVED_SCHEMA)}.${quote(table)}`);
      const targetCount = Number(
        (await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${quote(MOVED_SCHEMA)}.${quote(table)}`)).rows[0]?.n ?? -1,
      );
      counts.push({ table, source: sourceCount?.n ?? 0, target: targetCount });
      onTable?.(table, copied);
    }
    for (const sequence of sequences) await copySequence(tx, client, sequence);
  });
  return counts;
}

async function copySequence(tx: Transaction, client: import('pg').Client, sequence: string): Promise<void> {
  const [state] = await pgliteRows<{ last_value: string; is_called: boolean }>(
    tx,
    `SELECT last_value::text AS last_value, is_called FROM ${quote(MOVED_SCHEMA)}.${quote(sequence)}`,
  );
  if (state) {
    await client.query('SELECT setval($1::regclass, $2::bigint, $3)', [`${quote(MOVED_SCHEMA)}.${quote(sequence)}`, state.last_value, state.is_called]);
  }
}

/** Stream one table through a cursor, as JSON batches that the target expands back into rows. */
async function copyTable(tx: Transaction, client: import('pg').Client, table: string, columns: Column[]): Promise<number> {
  const qualified = `${quote(MOVED_SCHEMA)}.${quote(table)}`;
  const list = columns.map((c) => quote(c.name)).join(', ');
  const cursor = `move_${table}`.replace(/[^a-z0-9_]/gi, '_');
  const overriding = columns.some((c) => c.identity) ? ' OVERRIDING SYSTEM VALUE' : '';
  await tx.exec(`DECLARE ${quote(cursor)} NO SCROLL CURSOR FOR SELECT row_to_json(r)::text AS j FROM (SELECT ${list} FROM ${qualified}) r`);
  let copied = 0;
  for (;;) {
    const rows = await pgliteRows<{ j: string }>(tx, `FETCH ${BATCH_ROWS} FROM ${quote(cursor)}`);
    if (rows.length === 0) break;
    await client.query(
      `INSERT INTO ${qualified} (${list})${overriding} SELECT ${list} FROM json_populate_recordset(NULL::${qualified}, $1::json)`,
      [`[${rows.map((row) => row.j).join(',')}]`],
    );
    copied += rows.length;
  }
  await tx.exec(`CLOSE ${quote(cursor)}`);
  return copied;
}
