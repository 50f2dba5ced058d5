import { sql } from 'drizzle-orm';
import { rowsOf } from '../db/client.js';
import type { SyncDeps, SyncPlan } from './context.js';

/**
 * A live repository of the pass's namespaces, with what a chained endpoint stored for it: the
 * slice `namespace/name` of that endpoint in sync_state. Chaining state lives there, written by
 * the chained endpoint itself in the transaction of its last page, so the parent's table is
 * written by the parent alone and a pass that stopped half-way resumes exactly where it was.
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
  /** When the chained endpoint last read it completely (null: never). */
  last_complete_at: string | null;
}

const iso = (column: string) => sql.raw(`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`);

/** Every live repository of the plan's namespaces, in key order, with `endpoint`'s state for it. */
export async function chainedRepositories<C>(deps: SyncDeps, plan: SyncPlan, endpoint: string): Promise<ChainedRepository<C>[]> {
  const namespaces = JSON.stringify(plan.namespaces);
  const result = await deps.database.db.execute(sql`
    SELECT r.namespace, r.name, ${iso('r.last_updated')} AS last_updated, ${iso('r.last_modified')} AS last_modified,
      r.pull_count::float8 AS pull_count, coalesce(t.n, 0)::int AS live_tags,
      s.cursor, ${iso('s.last_complete_at')} AS last_complete_at
    FROM dockerhub.repositories r
    LEFT JOIN dockerhub.sync_state s ON s.endpoint = ${endpoint} AND s.slice_key = r.namespace || '/' || r.name
    LEFT JOIN (
      SELECT namespace, repository, count(*) AS n FROM dockerhub.tags
      WHERE deleted_at IS NULL AND namespace IN (SELECT jsonb_array_elements_text(${namespaces}::jsonb))
      GROUP BY namespace, repository
    ) t ON t.namespace = r.namespace AND t.repository = r.name
    WHERE r.deleted_at IS NULL AND r.namespace IN (SELECT jsonb_array_elements_text(${namespaces}::jsonb))
    ORDER BY r.namespace, r.name`);
  return rowsOf<Omit<ChainedRepository<C>, 'cursor'> & { cursor: unknown }>(result).map((row) => ({
    ...row,
    pull_count: row.pull_count === null ? null : Number(row.pull_count),
    live_tags: Number(row.live_tags),
    cursor: (row.cursor === null || row.cursor === undefined ? undefined : typeof row.cursor === 'string' ? JSON.parse(row.cursor) : row.cursor) as C | undefined,
  }));
}

/** The parent's fields as the chained read last saw them, read in the chained read's own transaction. */
export async function repositoryNow(
  tx: { execute: SyncDeps['database']['db']['execute'] },
  namespace: string,
  name: string,
): Promise<{ last_updated: string | null; last_modified: string | null; pull_count: number | null } | undefined> {
  const row = rowsOf<{ last_updated: string | null; last_modified: string | null; pull_count: number | null }>(
    await tx.execute(sql`
      SELECT ${iso('last_updated')} AS last_updated, ${iso('last_modified')} AS last_modified, pull_count::float8 AS pull_count
      FROM dockerhub.repositories WHERE namespace = ${namespace} AND name = ${name}`),
  )[0];
  return row ? { ...row, pull_count: row.pull_count === null ? null : Number(row.pull_count) } : undefined;
}
