import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { rowsOf, type Database } from '../db/client.js';
import { quoteRole } from '../db/reader-role.js';
import { hashOf } from '../sync/hash.js';
import type { CompiledColumn, CustomEndpointDefinition } from './compile.js';

/**
 * One view per user-defined endpoint, `dockerhub.custom_<name>`: the records of that endpoint with
 * the columns it declares, typed, so SQL users query it like a built-in table. The views follow
 * the config: at every `sync` and `serve` start (after migrations) a view whose definition
 * changed is re-created, and views of endpoints that left the config are dropped. Only views
 * this program made (named custom_*, marked in their comment) are ever dropped or replaced.
 */

const MARKER = 'dockerhub-sync custom endpoint';

/** The cast functions of migrations/0010_custom_view_safe_casts.sql: NULL for a value the type cannot hold. */
const SAFE_CAST: Record<Exclude<CompiledColumn['type'], 'text' | 'jsonb' | 'timestamptz'>, string> = {
  integer: 'try_cast_integer',
  bigint: 'try_cast_bigint',
  numeric: 'try_cast_numeric',
  'double precision': 'try_cast_double',
  boolean: 'try_cast_boolean',
  date: 'try_cast_date',
};

/**
 * The SQL expression that reads one declared column from `r.data`. Values are checked on the way
 * in (src/custom/pg-input.ts), and the view casts safely as well, so a value stored before that
 * check (or one the database reads differently) makes its cell NULL, never the view fail.
 */
export function columnExpression(column: CompiledColumn): string {
  const path = `'{${column.segments.join(',')}}'`;
  const text = `(r.data #>> ${path})`;
  switch (column.type) {
    case 'text':
      return text;
    case 'jsonb':
      return `(r.data #> ${path})`;
    case 'timestamptz':
      // Unix seconds (a JSON number) or a timestamp in text.
      return `CASE WHEN jsonb_typeof(r.data #> ${path}) = 'number' THEN "dockerhub"."try_cast_unix_seconds"(${text}) ELSE "dockerhub"."try_cast_timestamptz"(${text}) END`;
    default:
      return `"dockerhub"."${SAFE_CAST[column.type]}"(${text})`;
  }
}

export function viewName(endpoint: string): string {
  return `custom_${endpoint}`;
}

/** The CREATE VIEW statement of one endpoint. */
export function viewDefinition(endpoint: CustomEndpointDefinition): string {
  const columns = endpoint.custom.columns.map((column) => `${columnExpression(column)} AS "${column.name}"`);
  return [
    `CREATE VIEW "dockerhub"."${viewName(endpoint.name)}" AS`,
    `SELECT r.record_key, r.slice_key,${columns.length > 0 ? `\n  ${columns.join(',\n  ')},` : ''}`,
    '  r.data, r.metadata, r.first_seen_at, r.last_seen_at, r.deleted_at',
    `FROM "dockerhub"."custom_records" r WHERE r.endpoint = '${endpoint.name}'`,
  ].join('\n');
}

export interface ViewSyncResult {
  created: string[];
  dropped: string[];
  unchanged: string[];
  /** Views that could not be changed, with why (a view of the user's own depends on one …). */
  failed: { view: string; error: string }[];
}

/** Bring the custom_* views in line with the configured endpoints. */
export async function syncCustomViews(
  database: Database,
  endpoints: readonly CustomEndpointDefinition[],
  options: { readerRole?: string | undefined; logger?: Logger | undefined } = {},
): Promise<ViewSyncResult> {
  const wanted = new Map(
    endpoints.map((endpoint) => {
      const definition = viewDefinition(endpoint);
      return [viewName(endpoint.name), { definition, comment: `${MARKER} ${endpoint.name} ${hashOf(definition)}` }];
    }),
  );
  const result: ViewSyncResult = { created: [], dropped: [], unchanged: [], failed: [] };
  const readExisting = async () =>
    new Map(
      rowsOf<{ name: string; comment: string | null }>(
        await database.db.execute(sql`
          SELECT c.relname AS name, obj_description(c.oid, 'pg_class') AS comment
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'dockerhub' AND c.relkind = 'v' AND c.relname LIKE 'custom\\_%'`),
      ).map((row) => [row.name, row.comment]),
    );
  const isOurs = (comment: string | null | undefined) => Boolean(comment?.startsWith(`${MARKER} `));
  const pending = (existing: Map<string, string | null>) =>
    [...wanted].some(([name, view]) => existing.get(name) !== view.comment) || [...existing].some(([name, comment]) => !wanted.has(name) && isOurs(comment));
  if (!pending(await readExisting())) {
    result.unchanged.push(...wanted.keys());
    return result;
  }
  // Replicas starting together: one changes the views, the others find them done.
  await database.withBlockingLock('dockerhub-sync:migrate', async () => {
    const existing = await readExisting();
    const role = options.readerRole ? await roleToGrant(database, options.readerRole) : undefined;
    for (const [name, comment] of existing) {
      if (wanted.has(name) || !isOurs(comment)) continue;
      await change(name, () => database.db.execute(sql.raw(`DROP VIEW "dockerhub"."${name}"`)), result.dropped);
    }
    for (const [name, view] of wanted) {
      const current = existing.get(name);
      if (current === view.comment) {
        result.unchanged.push(name);
        continue;
      }
      if (existing.has(name) && !isOurs(current)) {
        result.failed.push({ view: name, error: `dockerhub.${name} exists and was not made by dockerhub-sync; rename the endpoint or drop that view` });
        continue;
      }
      await change(
        name,
        () =>
          database.db.transaction(async (tx) => {
            await tx.execute(sql.raw(`DROP VIEW IF EXISTS "dockerhub"."${name}"`));
            await tx.execute(sql.raw(view.definition));
            await tx.execute(sql.raw(`COMMENT ON VIEW "dockerhub"."${name}" IS '${view.comment.replace(/'/g, "''")}'`));
            if (role) await tx.execute(sql.raw(`GRANT SELECT ON "dockerhub"."${name}" TO ${role}`));
          }),
        result.created,
      );
    }
  });
  for (const failure of result.failed) options.logger?.error(failure, `custom view not brought up to date: ${failure.error}`);
  if (result.created.length > 0 || result.dropped.length > 0) options.logger?.info({ created: result.created, dropped: result.dropped }, 'custom endpoint views updated');
  return result;

  async function change(name: string, fn: () => Promise<unknown>, done: string[]): Promise<void> {
    try {
      await fn();
      done.push(name);
    } catch (error) {
      const cause = (error as { cause?: { message?: string } }).cause;
      result.failed.push({ view: name, error: cause?.message ?? (error as Error).message });
    }
  }
}

/** The reader role, quoted, when it exists (it may not: a migrating user without CREATEROLE). */
async function roleToGrant(database: Database, role: string): Promise<string | undefined> {
  const found = rowsOf<{ present: boolean }>(await database.db.execute(sql`SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${role}) AS present`))[0];
  return found?.present ? quoteRole(role) : undefined;
}
