// The records of a job: a table, or one SQL query, read in a read-only transaction so a source
// can never change the database it reads.

import { sql } from 'drizzle-orm';
import { rowsOf, type Database } from '../db/client.js';
import type { Row } from './values.js';

const TABLE = /^(?:"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)(?:\.(?:"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*))?$/;

/** Is `source` a table name (`contractors`, `staging.contractors`) rather than a query? */
export function isTableName(source: string): boolean {
  return TABLE.test(source.trim());
}

/**
 * The SQL that reads a source. A query is wrapped as a subquery: that accepts exactly one
 * SELECT (or WITH … SELECT, or VALUES), so a second statement after a `;` cannot run.
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
  return `SELECT * FROM (${trimmed.replace(/;\s*$/, '')}\n) AS writeback_source`;
}

export class SourceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SourceError';
  }
}

export async function readSource(database: Database, source: string): Promise<Row[]> {
  try {
    return await database.db.transaction(
      async (tx) => {
        await tx.execute(sql.raw('SET TRANSACTION READ ONLY'));
        return rowsOf<Row>(await tx.execute(sql.raw(sourceQuery(source))));
      },
    );
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause ?? error;
    throw new SourceError(`the source could not be read: ${(cause as Error).message.split('\n')[0]}`, { cause: error });
  }
}
