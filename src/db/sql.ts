import type { PGlite, Transaction } from '@electric-sql/pglite';
import { DEFAULT_STATEMENT_TIMEOUT_MS, type Database } from './client.js';
import { DEFAULT_READER_ROLE, quoteRole } from './reader-role.js';

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
  /** Allow INSERT/UPDATE/DELETE/DDL; otherwise the statement runs read-only (see `ReadOnlyLimits`). */
  write: boolean;
  /** How a read-only query is held in (the role it runs as, its statement timeout). */
  readOnly?: Partial<ReadOnlyLimits>;
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

/**
 * What "read-only" means for a query a person or a config gives us (`sql` without `--write`, a
 * write-back source, `push --plan`): the query text is sent alone through the extended protocol
 * (so it is exactly one statement, never spliced into other SQL), inside a READ ONLY transaction
 * that is always rolled back, as the read-only role (`SET LOCAL ROLE`), with its own statement
 * timeout. A superuser DATABASE_URL then lends the query nothing the dashboards' role lacks:
 * no large objects, no COPY TO PROGRAM, no signalling other sessions, no server files.
 */
export interface ReadOnlyLimits {
  /** The role the query runs as (DATABASE_READER_ROLE, `dockerhub_reader` by default). */
  readerRole: string;
  /** Postgres `statement_timeout` for the query (PGlite cannot interrupt a statement). */
  statementTimeoutMs: number;
}

function limitsOf(options: Partial<ReadOnlyLimits> | undefined): ReadOnlyLimits {
  return {
    readerRole: options?.readerRole ?? DEFAULT_READER_ROLE,
    statementTimeoutMs: options?.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS,
  };
}

/** The statements that open a read-only query's transaction, after BEGIN. */
function readOnlyFrame(limits: ReadOnlyLimits): string[] {
  return [
    'SET TRANSACTION READ ONLY',
    `SET LOCAL ROLE ${quoteRole(limits.readerRole)}`,
    `SET LOCAL statement_timeout = ${Math.max(1, Math.floor(limits.statementTimeoutMs))}`,
    SESSION_SETUP,
  ];
}

/** The role could not be taken: say which role, and how to make it usable. */
function roleError(limits: ReadOnlyLimits, error: unknown): Error {
  const code = (error as { code?: string }).code;
  if (code !== '42704' && code !== '42501' && code !== '22023') return error as Error;
  const why = code === '42704' || /does not exist/.test((error as Error).message) ? 'does not exist' : 'cannot be taken by the user of DATABASE_URL';
  return new Error(
    `read-only queries run as the role ${limits.readerRole}, which ${why}: run \`dockerhub-sync migrate\` (it creates the role; ` +
      `the migrating user needs CREATEROLE) and GRANT ${limits.readerRole} TO the user of DATABASE_URL, or set DATABASE_READER_ROLE; ` +
      `see "Read-only access" in the README (${(error as Error).message}).`,
    { cause: error },
  );
}

/**
 * Run `text` read-only (see `ReadOnlyLimits`) on a pg client the caller owns. The transaction is
 * rolled back whatever happens; what it cannot roll back (session advisory locks, prepared
 * statements) goes with the connection, which the caller closes or destroys afterwards.
 */
export async function readOnlyOnClient<R>(
  client: { query: (config: never) => Promise<unknown> } & { query(text: string): Promise<unknown> },
  text: string,
  config: Record<string, unknown>,
  limits: ReadOnlyLimits,
): Promise<R> {
  await client.query('BEGIN');
  try {
    for (const statement of readOnlyFrame(limits)) {
      try {
        await client.query(statement);
      } catch (error) {
        throw roleError(limits, error);
      }
    }
    // Extended protocol: exactly one statement, so a `;` cannot end the read-only transaction.
    return (await client.query({ ...config, text, queryMode: 'extended' } as never)) as R;
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
  }
}

/**
 * The same on the embedded database, in one PGlite transaction (the sync cannot run inside it).
 * The session is shared, so what a rollback leaves behind (session advisory locks) is released.
 */
export async function readOnlyOnPglite<R>(
  pglite: PGlite,
  run: (tx: Transaction) => Promise<R>,
  limits: ReadOnlyLimits,
): Promise<R> {
  try {
    return await pglite.transaction(async (tx) => {
      for (const statement of readOnlyFrame(limits)) {
        try {
          await tx.exec(statement);
        } catch (error) {
          throw roleError(limits, error);
        }
      }
      try {
        return await run(tx);
      } finally {
        await tx.rollback();
      }
    });
  } finally {
    await pglite.exec('SELECT pg_catalog.pg_advisory_unlock_all()').catch(() => undefined);
  }
}

export async function runQuery(target: QueryTarget, text: string, options: QueryOptions): Promise<QueryResult> {
  return target.kind === 'pglite' ? runOnPglite(target.pglite, text, options) : runOnPostgres(target.url, text, options);
}

async function runOnPglite(pglite: PGlite, text: string, options: QueryOptions): Promise<QueryResult> {
  // Identity parsers for every type PGlite knows: values stay text.
  const parsers = Object.fromEntries(Object.keys(pglite.parsers).map((oid) => [oid, (value: string) => value]));
  const run = async (tx: Transaction) => {
    // `query` uses the extended protocol: exactly one statement.
    const result = await tx.query<unknown[]>(text, [], { rowMode: 'array', parsers });
    return {
      fields: result.fields.map((field) => ({ name: field.name, typeId: field.dataTypeID })),
      rows: result.rows.map((row) => row.map((value) => (value === null || value === undefined ? null : String(value)))),
      command: result.fields.length > 0 ? '' : commandTag(text, result.affectedRows ?? 0),
    };
  };
  if (!options.write) return readOnlyOnPglite(pglite, run, limitsOf(options.readOnly));
  return pglite.transaction(async (tx) => {
    await tx.exec(SESSION_SETUP);
    return run(tx);
  });
}

async function runOnPostgres(url: string, text: string, options: QueryOptions): Promise<QueryResult> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url, application_name: 'dockerhub-sync sql' });
  // A connection that dies while the query runs fails the query, not the process.
  client.on('error', () => undefined);
  await client.connect();
  const config = { rowMode: 'array', types: { getTypeParser: () => (value: string) => value } };
  try {
    let result: import('pg').QueryArrayResult<unknown[]>;
    if (options.write) {
      await client.query('BEGIN');
      try {
        await client.query(SESSION_SETUP);
        result = await client.query({ ...config, text, queryMode: 'extended' } as never);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    } else {
      result = await readOnlyOnClient(client as never, text, config, limitsOf(options.readOnly));
    }
    return {
      fields: result.fields.map((field) => ({ name: field.name, typeId: field.dataTypeID })),
      rows: (result.rows as unknown[][]).map((row) => row.map((value) => (value === null ? null : String(value)))),
      command: result.fields.length > 0 ? '' : [result.command, result.rowCount ?? ''].filter((p) => p !== '').join(' '),
    };
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
