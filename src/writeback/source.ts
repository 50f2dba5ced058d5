// The records of a job: a table, or one SQL query, read the way every read-only query is read
// (db/sql.ts): a source can never change the database it reads, nor act beyond the reader role.

import { DEFAULT_STATEMENT_TIMEOUT_MS, type Database } from '../db/client.js';
import { DEFAULT_READER_ROLE } from '../db/reader-role.js';
import { embeddedClient, readOnlyOnClient, readOnlyOnPglite, type ReadOnlyLimits } from '../db/sql.js';
import type { Row } from './values.js';

const TABLE = /^(?:"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)(?:\.(?:"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*))?$/;

/** Is `source` a table name (`contractors`, `staging.contractors`) rather than a query? */
export function isTableName(source: string): boolean {
  return TABLE.test(source.trim());
}

/**
 * The SQL that reads a source: a table name becomes `SELECT * FROM` it; a query is sent as
 * written (a trailing `;` dropped), alone, never spliced into other SQL text. It runs as one
 * statement through the extended protocol, so a second statement is refused by Postgres.
 */
export function sourceQuery(source: string): string {
  const trimmed = source.trim();
  if (isTableName(trimmed)) {
    const quoted = trimmed
      .split('.')
      .map((part) => (part.startsWith('"') ? part : `"${part}"`))
      .join('.');
    return `SELECT * FROM ${quoted}`;
  }
  return trimmed.replace(/;\s*$/, '');
}

export class SourceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SourceError';
  }
}

// Dates and times stay the text Postgres sent, as everywhere else records are read (drizzle).
const TEXT_TYPES = new Set([1082, 1114, 1184, 1186, 1115, 1182, 1185, 1187, 1231]);

/**
 * Read a source read-only (see `ReadOnlyLimits` in db/sql.ts): one statement, a READ ONLY
 * transaction always rolled back, as the read-only role, with a statement timeout. On Postgres
 * the connection is closed afterwards, so nothing of its session (advisory locks, prepared
 * statements) outlives the read.
 */
export async function readSource(database: Database, source: string, limits: Partial<ReadOnlyLimits> = {}): Promise<Row[]> {
  const full: ReadOnlyLimits = { readerRole: limits.readerRole ?? DEFAULT_READER_ROLE, statementTimeoutMs: limits.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS };
  const text = sourceQuery(source);
  try {
    if (database.kind === 'pglite') {
      const pglite = embeddedClient(database);
      const parsers = Object.fromEntries([...TEXT_TYPES].map((oid) => [oid, (value: string) => value]));
      return await readOnlyOnPglite(pglite, async (tx) => (await tx.query<Row>(text, [], { parsers })).rows, full);
    }
    const { default: pg } = await import('pg');
    const pool = (database.db as unknown as { $client: import('pg').Pool }).$client;
    const client = await pool.connect();
    try {
      const types = { getTypeParser: (oid: number, format?: 'text' | 'binary') => (TEXT_TYPES.has(oid) ? (value: string) => value : pg.types.getTypeParser(oid, format)) };
      const result = await readOnlyOnClient<{ rows: Row[] }>(client as never, text, { types }, full);
      return result.rows;
    } finally {
      // Destroyed, not returned to the pool: the next user gets a fresh session.
      client.release(true);
    }
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause ?? error;
    const code = (error as { code?: string }).code ?? (cause as { code?: string }).code;
    const hint =
      code === '42501' && /^permission denied for (table|schema|view)/.test((cause as Error).message)
        ? ` (a source is read with the privileges of the read-only role ${full.readerRole}: GRANT it SELECT on the tables the source reads, and USAGE on their schema)`
        : code === '42601' && /multiple commands/.test((error as Error).message)
          ? ' (a source is one query: remove the other statements)'
          : '';
    const first = (error instanceof Error && !(error as { code?: string }).code && error.message.startsWith('read-only queries') ? error : (cause as Error)).message.split('\n')[0];
    throw new SourceError(`the source could not be read: ${first}${hint}`, { cause: error });
  }
}
