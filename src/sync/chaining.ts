import { sql } from 'drizzle-orm';
import { rowsOf } from '../db/client.js';
import type { Executor } from './context.js';

/**
 * A live repository with what a chained endpoint stored for it: the slice `namespace/name` of
 * that endpoint in sync_state. Chaining state lives there, written by the chained endpoint itself
 * in the transaction of its last page (never in the list's rows), so a pass that stopped
 * half-way resumes exactly where it was.
 */
export interface ChainedRepository<C> {
  namespace: string;
  name: string;
  last_updated: string | null;
  last_modified: string | null;
  pull_count: number | null;
  /** Live tags stored for it now. */
  live_tags: number;
  /** The chained endpoint's cursor for this repository (undefined: never read). */
  cursor: C | undefined;
}

/** A timestamptz column as ISO 8601 text in UTC with microseconds (what the API's values normalize to). */
export const isoText = (column: string) => sql.raw(`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`);

/**
 * The live repositories of some namespaces (or one repository), in key order, with `endpoint`'s
 * state for each: what the chained endpoint's slices are chosen from, and what one slice reads
 * when it starts.
 */
export async function chainedRepositories<C>(
  db: Pick<Executor, 'execute'>,
  endpoint: string,
  which: { namespaces: readonly string[] } | { namespace: string; name: string },
): Promise<ChainedRepository<C>[]> {
  const namespaces = JSON.stringify('namespaces' in which ? which.namespaces : [which.namespace]);
  const only = 'name' in which ? sql`AND r.name = ${which.name}` : sql``;
  const result = await db.execute(sql`
    SELECT r.namespace, r.name, ${isoText('r.last_updated')} AS last_updated, ${isoText('r.last_modified')} AS last_modified,
      r.pull_count::float8 AS pull_count, s.cursor,
      -- One range of the tags' primary key per repository.
      (SELECT count(*) FROM dockerhub.tags t
       WHERE t.namespace = r.namespace AND t.repository = r.name AND t.deleted_at IS NULL)::int AS live_tags
    FROM dockerhub.repositories r
    LEFT JOIN dockerhub.sync_state s ON s.endpoint = ${endpoint} AND s.slice_key = r.namespace || '/' || r.name
    WHERE r.deleted_at IS NULL AND r.namespace IN (SELECT jsonb_array_elements_text(${namespaces}::jsonb)) ${only}
    ORDER BY r.namespace, r.name`);
  return rowsOf<Omit<ChainedRepository<C>, 'cursor'> & { cursor: unknown }>(result).map((row) => ({
    ...row,
    pull_count: row.pull_count === null ? null : Number(row.pull_count),
    live_tags: Number(row.live_tags),
    cursor: (row.cursor === null || row.cursor === undefined ? undefined : typeof row.cursor === 'string' ? JSON.parse(row.cursor) : row.cursor) as C | undefined,
  }));
}
