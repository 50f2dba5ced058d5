// The read-only role of a deployment. Its name is configurable (DATABASE_READER_ROLE) because
// roles belong to the whole server while the schema belongs to one database: two deployments
// on one server each give their own dashboards their own role. migrations/0003 creates the
// default `dockerhub_reader`; this brings whichever role is configured up to date after every
// migration run, and takes the migration lock only when something is missing.

import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { rowsOf, type Database } from './client.js';

export const DEFAULT_READER_ROLE = 'dockerhub_reader';
const SCHEMA = 'dockerhub';
const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** A role name as an SQL identifier; only names config validation accepts get this far. */
export function quoteRole(name: string): string {
  if (!ROLE_NAME.test(name) || name.startsWith('pg_')) throw new RangeError(`"${name}" is not a usable reader role name`);
  return `"${name.replaceAll('"', '""')}"`;
}

interface RoleGrants {
  exists: boolean;
  /** USAGE on the schema and SELECT on every table and view in it. */
  complete: boolean;
  /** Has any access to the schema (for the default role when another one is configured). */
  any: boolean;
  /** The migrating user may take the role (`SET ROLE`), as read-only queries do. */
  takeable: boolean;
}

async function grantsOf(database: Database, role: string): Promise<RoleGrants> {
  const row = rowsOf<{ exists: boolean; usage: boolean; missing: number; takeable: boolean }>(
    await database.db.execute(sql`
      SELECT r.oid IS NOT NULL AS exists,
        CASE WHEN r.oid IS NULL THEN false ELSE has_schema_privilege(r.oid, ${SCHEMA}, 'USAGE') END AS usage,
        CASE WHEN r.oid IS NULL THEN 0 ELSE (
          SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = ${SCHEMA} AND c.relkind IN ('r', 'v', 'm', 'p') AND NOT has_table_privilege(r.oid, c.oid, 'SELECT')
        ) END AS missing,
        CASE WHEN r.oid IS NULL THEN false
          ELSE (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) OR pg_has_role(current_user, r.oid, 'MEMBER') END AS takeable
      FROM (SELECT (SELECT oid FROM pg_roles WHERE rolname = ${role}) AS oid) AS r`),
  )[0];
  const exists = Boolean(row?.exists);
  const usage = Boolean(row?.usage);
  const takeable = Boolean(row?.takeable);
  return { exists, complete: exists && usage && takeable && Number(row?.missing ?? 0) === 0, any: usage, takeable };
}

function pgCode(error: unknown): string | undefined {
  const e = error as { code?: string; cause?: { code?: string } };
  return e.cause?.code ?? e.code;
}

/**
 * Make `role` (NOLOGIN) read every table and view of the schema, now and later (default
 * privileges); when it is not the default role, take the default role's access to this schema
 * away, so that members of `dockerhub_reader` (another deployment's dashboards) cannot read it.
 */
export async function ensureReaderRole(database: Database, role: string, logger?: Logger): Promise<void> {
  const quoted = quoteRole(role);
  const staleDefault = role !== DEFAULT_READER_ROLE && (await grantsOf(database, DEFAULT_READER_ROLE)).any;
  if ((await grantsOf(database, role)).complete && !staleDefault) return;
  await database.withBlockingLock('dockerhub-sync:migrate', async () => {
    const run = (statement: string) => database.db.execute(sql.raw(statement));
    try {
      if (!(await grantsOf(database, role)).exists) {
        await run(`CREATE ROLE ${quoted} NOLOGIN`);
        logger?.info({ role }, 'read-only role created');
      }
    } catch (error) {
      const code = pgCode(error);
      // 42710: it exists; 23505: another database of the server created it at the same moment.
      if (code === '42501') {
        logger?.warn({ role }, `role ${role} not created: the migrating user lacks CREATEROLE; see "Read-only access" in the README`);
      } else if (code !== '42710' && code !== '23505') {
        throw error;
      }
    }
    if ((await grantsOf(database, role)).exists) {
      await run(`GRANT USAGE ON SCHEMA "${SCHEMA}" TO ${quoted}`);
      await run(`GRANT SELECT ON ALL TABLES IN SCHEMA "${SCHEMA}" TO ${quoted}`);
      await run(`ALTER DEFAULT PRIVILEGES IN SCHEMA "${SCHEMA}" GRANT SELECT ON TABLES TO ${quoted}`);
      // Read-only queries (`sql`, write-back sources) run `SET LOCAL ROLE` to it.
      if (!(await grantsOf(database, role)).takeable) {
        try {
          await run(`GRANT ${quoted} TO CURRENT_USER`);
        } catch (error) {
          if (pgCode(error) !== '42501') throw error;
          logger?.warn({ role }, `this user may not take the role ${role}: read-only queries fail until GRANT ${role} TO it; see "Read-only access" in the README`);
        }
      }
    }
    if (staleDefault) {
      const dflt = quoteRole(DEFAULT_READER_ROLE);
      await run(`ALTER DEFAULT PRIVILEGES IN SCHEMA "${SCHEMA}" REVOKE SELECT ON TABLES FROM ${dflt}`);
      await run(`REVOKE SELECT ON ALL TABLES IN SCHEMA "${SCHEMA}" FROM ${dflt}`);
      await run(`REVOKE USAGE ON SCHEMA "${SCHEMA}" FROM ${dflt}`);
      logger?.info({ role, revoked: DEFAULT_READER_ROLE }, `read access moved from ${DEFAULT_READER_ROLE} to ${role}`);
    }
  });
}
