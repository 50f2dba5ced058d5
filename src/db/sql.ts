import type { PGlite } from '@electric-sql/pglite';
import type { Database } from './client.js';

/**
 * Ad-hoc SQL for people: one statement, run in a read-only transaction unless changes are
 * allowed, with every value kept as the text Postgres sent. Text (not driver-parsed values)
 * means PGlite and Postgres print the same bytes, and nothing is lost on the way (timestamps
 * keep their microseconds, bigints and numerics their digits).
 */

export interface QueryField {
  name: string;
  /** Postgres type OID, used to turn text into JSON values. */
  typeId: number;
}

export interface QueryResult {
  fields: QueryField[];
  /** One array per row, values as Postgres's text output (NULL as null). */
  rows: (string | null)[][];
  /** The command tag's verb and count, e.g. `UPDATE 3`; empty for a query that returns rows. */
  command: string;
}

export interface QueryOptions {
  /** Allow INSERT/UPDATE/DELETE/DDL; otherwise the statement runs in a read-only transaction. */
  write: boolean;
}

/** Where a query runs: the embedded PGlite itself, or a Postgres reachable by URL. */
export type QueryTarget = { kind: 'pglite'; pglite: PGlite } | { kind: 'postgres'; url: string };

/** The PGlite instance under an embedded `Database` (drizzle keeps the client it was given). */
export function embeddedClient(database: Database): PGlite {
  if (database.kind !== 'pglite') throw new Error('not an embedded database');
  return (database.db as unknown as { $client: PGlite }).$client;
}

/**
 * Times print in UTC on every database, whatever the server's or the machine's time zone, so
 * the same rows give the same output. `SET LOCAL` ends with the transaction: on the embedded
 * database the session is shared with the sync, and it must not see this setting.
 */
const SESSION_SETUP = "SET LOCAL TimeZone TO 'UTC'";

export async function runQuery(target: QueryTarget, text: string, options: QueryOptions): Promise<QueryResult> {
  return target.kind === 'pglite' ? runOnPglite(target.pglite, text, options) : runOnPostgres(target.url, text, options);
}

async function runOnPglite(pglite: PGlite, text: string, options: QueryOptions): Promise<QueryResult> {
  // Identity parsers for every type PGlite knows: values stay text.
  const parsers = Object.fromEntries(Object.keys(pglite.parsers).map((oid) => [oid, (value: string) => value]));
  return pglite.transaction(async (tx) => {
    if (!options.write) await tx.exec('SET TRANSACTION READ ONLY');
    await tx.exec(SESSION_SETUP);
    // `query` uses the extended protocol: exactly one statement, so a second one cannot end
    // the read-only transaction and run outside it.
    const result = await tx.query<unknown[]>(text, [], { rowMode: 'array', parsers });
    return {
      fields: result.fields.map((field) => ({ name: field.name, typeId: field.dataTypeID })),
      rows: result.rows.map((row) => row.map((value) => (value === null || value === undefined ? null : String(value)))),
      command: result.fields.length > 0 ? '' : commandTag(text, result.affectedRows ?? 0),
    };
  });
}

async function runOnPostgres(url: string, text: string, options: QueryOptions): Promise<QueryResult> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, application_name: 'dockerhub-sync sql' });
  await client.connect();
  try {
    await client.query(options.write ? 'BEGIN' : 'BEGIN READ ONLY');
    await client.query(SESSION_SETUP);
    const result = await client.query<unknown[]>({
      text,
      rowMode: 'array',
      // Extended protocol: one statement only (see runOnPglite).
      queryMode: 'extended',
      types: { getTypeParser: () => (value: string) => value },
    } as never);
    await client.query('COMMIT');
    return {
      fields: result.fields.map((field) => ({ name: field.name, typeId: field.dataTypeID })),
      rows: (result.rows as unknown[][]).map((row) => row.map((value) => (value === null ? null : String(value)))),
      command: result.fields.length > 0 ? '' : [result.command, result.rowCount ?? ''].filter((p) => p !== '').join(' '),
    };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** PGlite reports affected rows but not the command tag; the statement's first word is the verb. */
export function commandTag(text: string, affected: number): string {
  const verb = stripComments(text).trim().split(/\s+/)[0]?.toUpperCase() ?? '';
  if (verb === 'INSERT') return `INSERT 0 ${affected}`;
  if (['UPDATE', 'DELETE', 'MERGE', 'COPY'].includes(verb)) return `${verb} ${affected}`;
  return verb;
}

function stripComments(text: string): string {
  return text.replace(/--[^\n]*\n?/g, ' ').replace(/\/\*[\s\S]*?\*\//g, ' ');
}

/** The fields of a Postgres error that help a person fix their query (both drivers set them). */
export interface PostgresErrorFields {
  message: string;
  code?: string | undefined;
  position?: string | number | undefined;
  detail?: string | undefined;
  hint?: string | undefined;
}

export function isPostgresError(error: unknown): error is PostgresErrorFields & Error {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

/**
 * A Postgres error the way psql shows it: the message, the line of the query with a caret under
 * the character Postgres pointed at, then detail and hint; plus what to do when the query only
 * failed because changes are not allowed.
 */
export function describeQueryError(query: string, error: PostgresErrorFields): string {
  const lines = [`ERROR:  ${error.message}`];
  const position = Number(error.position);
  if (Number.isInteger(position) && position > 0) {
    // Postgres counts characters (1-based), not bytes.
    const chars = [...query];
    const before = chars.slice(0, position - 1).join('');
    const lineNumber = before.split('\n').length;
    const line = query.split('\n')[lineNumber - 1] ?? '';
    const column = [...(before.split('\n').pop() ?? '')].length;
    const prefix = `LINE ${lineNumber}: `;
    lines.push(`${prefix}${line}`, `${' '.repeat(prefix.length + column)}^`);
  }
  if (error.detail) lines.push(`DETAIL:  ${error.detail}`);
  if (error.hint) lines.push(`HINT:  ${error.hint}`);
  if (error.code === '25006') lines.push('Queries run read-only; add --write to allow changes.');
  if (error.code === '42601' && /multiple commands/.test(error.message)) {
    lines.push('Run one statement at a time.');
  }
  return lines.join('\n');
}
