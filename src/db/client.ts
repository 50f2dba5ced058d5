import { existsSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { Logger } from 'pino';
import { describeHolder, ensureWritableDataDir, lockDataDir, type DataDirLock } from './data-dir-lock.js';
import * as schema from './schema/index.js';

export type Schema = typeof schema;
/** The drizzle database, whichever driver is underneath (pg or PGlite). */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export interface Database {
  readonly kind: 'postgres' | 'pglite';
  readonly db: Db;
  /** Where the data lives, without credentials: host/db for Postgres, the folder for PGlite. */
  readonly location: string;
  /**
   * Wait for an advisory lock (used around migrations so replicas starting together queue up).
   * Any role may take advisory locks, so nothing a reader can reach waits on this: slices run
   * under leases (leases.ts) and read-only commands never migrate.
   */
  withBlockingLock<T>(key: string, fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** postgres:// URL; when absent the embedded PGlite under `dataDir` is used. */
  url?: string | undefined;
  dataDir?: string;
  /** In-memory PGlite (tests): nothing touches the disk. */
  memory?: boolean;
  logger?: Logger;
  poolSize?: number;
  applicationName?: string;
  /** How long opening one connection (or waiting for a free one) may take. */
  connectTimeoutMs?: number;
  /** Postgres `statement_timeout` for every session, plus a client-side guard for a silent network. */
  statementTimeoutMs?: number;
  /**
   * For commands that must never write: every transaction read-only (Postgres), and an embedded
   * database that does not exist yet is not created (NoDatabaseError instead).
   */
  readOnly?: boolean;
}

/** A read-only command found no embedded database: nothing was created. */
export class NoDatabaseError extends Error {
  constructor(readonly dataDir: string) {
    super(
      `there is no embedded database in ${dataDir} yet (nothing was created: this command only reads). ` +
        'Run `dockerhub-sync sync` (or `migrate`) to create it, point DATA_DIR at an existing one (e.g. DATA_DIR=data/demo after `dockerhub-sync demo`), or set DATABASE_URL.',
    );
    this.name = 'NoDatabaseError';
  }
}

/** Whether `dataDir` holds an embedded database (PGlite writes PG_VERSION when it creates one). */
export function embeddedDatabaseExists(dataDir: string): boolean {
  return existsSync(path.join(path.resolve(dataDir), 'pglite', 'PG_VERSION'));
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_STATEMENT_TIMEOUT_MS = 5 * 60_000;

/**
 * The server cancels a long statement itself; the client gives up a little later, for the case
 * where the server (or the network) has gone silent and no cancellation can come back.
 */
export function clientQueryTimeoutMs(statementTimeoutMs: number): number {
  return statementTimeoutMs + Math.min(statementTimeoutMs, 5_000);
}

/** A URL safe to print: no password. */
export function describeDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `postgres://${parsed.username ? `${parsed.username}@` : ''}${parsed.host}${parsed.pathname}`;
  } catch {
    return 'postgres (unparseable URL)';
  }
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  if (options.url) return openPostgres(options.url, options);
  return openPglite(options);
}

async function openPostgres(url: string, options: OpenDatabaseOptions): Promise<Database> {
  const { default: pg } = await import('pg');
  const { drizzle } = await import('drizzle-orm/node-postgres');
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const statementTimeoutMs = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  const location = describeDatabaseUrl(url);
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    application_name: options.applicationName ?? 'dockerhub-sync',
    connectionTimeoutMillis: connectTimeoutMs,
    statement_timeout: statementTimeoutMs,
    query_timeout: clientQueryTimeoutMs(statementTimeoutMs),
    ...(options.readOnly ? { options: '-c default_transaction_read_only=on' } : {}),
  });
  // A pg client emits 'error' when its connection dies (server restart, failover,
  // pg_terminate_backend). The pool listens only while a client is idle; a checked-out client
  // (a transaction, a held lock) without a listener would take the whole process down. Every
  // client gets one for its lifetime: its pending statements fail, and the run they belong to
  // fails with them.
  pool.on('connect', (client) => {
    client.on('error', (error) =>
      options.logger?.warn({ err: error, database: location }, 'database connection lost; statements on it fail and the pool opens a new one'),
    );
  });
  // Idle clients also reach the pool's listener; the client's own listener has logged it.
  pool.on('error', () => undefined);
  const db = drizzle({ client: pool, schema }) as unknown as Db;
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end().catch(() => undefined);
    const message = (error as Error).message;
    const reason = /timeout/i.test(message)
      ? `it did not answer within ${connectTimeoutMs} ms (DATABASE_CONNECT_TIMEOUT)`
      : message;
    throw new Error(`Cannot connect to the database at ${location}: ${reason}. Check DATABASE_URL and that Postgres is running.`);
  }

  return {
    kind: 'postgres',
    db,
    location,
    withBlockingLock: async (key, fn) => {
      const result = await advisoryLock(pool, key, true, fn);
      if (!result.acquired) throw new Error('unreachable: blocking lock not acquired');
      return result.value;
    },
    close: () => pool.end(),
  };
}

/** Run fn holding a session advisory lock on a connection of its own; without blocking, give up when another holds it. */
async function advisoryLock<T>(pool: import('pg').Pool, key: string, blocking: boolean, fn: () => Promise<T>) {
  const client = await pool.connect();
  let released = false;
  try {
    if (blocking) {
      await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [key]);
    } else {
      const result = await client.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked',
        [key],
      );
      if (!result.rows[0]?.locked) {
        client.release();
        released = true;
        return { acquired: false as const };
      }
    }
    try {
      return { acquired: true as const, value: await fn() };
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]).catch((error: unknown) => {
        // A broken connection releases the lock anyway; drop the client instead of reusing it.
        client.release(error as Error);
        released = true;
      });
    }
  } finally {
    if (!released) client.release();
  }
}

async function openPglite(options: OpenDatabaseOptions): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  let dataDir: string | undefined;
  let lock: DataDirLock | undefined;
  if (!options.memory) {
    if (options.readOnly && !embeddedDatabaseExists(options.dataDir ?? './data')) throw new NoDatabaseError(path.resolve(options.dataDir ?? './data'));
    // PGlite is a single-process database: a second process on the same folder would corrupt it.
    const root = path.resolve(options.dataDir ?? './data');
    dataDir = ensureWritableDataDir(root);
    lock = lockDataDir(root);
    if (lock.previous) {
      options.logger?.warn(
        { previous: lock.previous },
        `the embedded database in ${root} was last held by ${describeHolder(lock.previous, lock.holder)}, which ended without closing it; PGlite recovers it on open`,
      );
    }
  }
  let client;
  try {
    client = dataDir ? await PGlite.create(dataDir) : await PGlite.create();
  } catch (error) {
    lock?.release();
    throw error;
  }
  const db = drizzle({ client, schema }) as unknown as Db;
  const held = new Set<string>();

  // One process owns PGlite, so an in-process set is an exact lock table; the SQL lock keeps
  // the semantics identical to Postgres for code that inspects pg_locks.
  async function lockOn<T>(key: string, fn: () => Promise<T>) {
    if (held.has(key)) return { acquired: false as const };
    held.add(key);
    try {
      return { acquired: true as const, value: await fn() };
    } finally {
      held.delete(key);
    }
  }

  return {
    kind: 'pglite',
    db,
    location: dataDir ? `embedded PGlite in ${dataDir}` : 'embedded PGlite in memory',
    withBlockingLock: async (key, fn) => {
      while (held.has(key)) await new Promise((resolve) => setTimeout(resolve, 50));
      const result = await lockOn(key, fn);
      if (!result.acquired) throw new Error('unreachable: blocking lock not acquired');
      return result.value;
    },
    close: async () => {
      try {
        await client.close();
      } finally {
        lock?.release();
      }
    },
  };
}

// SQLSTATE classes and driver messages that mean the connection itself is gone, not the statement.
const CONNECTION_LOST_SQLSTATE = /^(08|57P0[1-3])/;
const CONNECTION_LOST_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const CONNECTION_LOST_MESSAGE = /Connection terminated|not queryable|Query read timeout|timeout exceeded when trying to connect/i;

/**
 * When `error` (or one of its causes) says the database connection was lost, the driver's own
 * words for it, on one line; otherwise undefined. drizzle wraps driver errors in a "Failed query"
 * error that carries the SQL: the cause is what an operator needs.
 */
export function connectionLossOf(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (
      (typeof code === 'string' && (CONNECTION_LOST_SQLSTATE.test(code) || CONNECTION_LOST_CODES.has(code))) ||
      CONNECTION_LOST_MESSAGE.test(e.message)
    ) {
      return e.message.split('\n')[0];
    }
    if (e instanceof AggregateError && e.errors.length > 0) return connectionLossOf(e.errors[0]);
  }
  return undefined;
}

/** `SELECT 1` through drizzle, for readiness checks. */
export async function ping(database: Database): Promise<void> {
  await database.db.execute(sql`SELECT 1`);
}

/** Rows of a `db.execute` result, whichever driver produced it (their result types differ). */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}
