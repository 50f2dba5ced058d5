// Write-back jobs in `status`: one row per configured job, shaped like an endpoint slice's row
// (endpoint `writeback:<job>`), from the results of its last run and its unresolved intents.

import { sql } from 'drizzle-orm';
import { rowsOf, type Database } from '../db/client.js';
import type { SliceStatus } from '../db/status.js';

export async function readWritebackStatus(database: Database, jobs: readonly string[]): Promise<SliceStatus[]> {
  if (jobs.length === 0) return [];
  const rows = rowsOf<{ job: string; last_run_at: string | null; sent: number | null; failed: number | null; unknown: number | null; last_success_at: string | null; open: number | null; last_error: string | null }>(
    await database.db.execute(sql`
      WITH jobs AS (SELECT jsonb_array_elements_text(${JSON.stringify(jobs)}::jsonb) AS job),
      last_run AS (
        SELECT DISTINCT ON (job) job, run_id, created_at FROM dockerhub.writeback_results
        WHERE job IN (SELECT job FROM jobs) AND run_id IS NOT NULL ORDER BY job, created_at DESC, id DESC
      ),
      counts AS (
        SELECT r.job,
               max(r.created_at) AS last_run_at,
               -- records, not calls: a batch's record_key is the JSON list of its records' keys
               coalesce(sum(CASE WHEN left(r.record_key, 1) = '[' THEN jsonb_array_length(r.record_key::jsonb) ELSE 1 END)
                        FILTER (WHERE r.outcome IN ('sent', 'confirmed')), 0)::int AS sent,
               count(*) FILTER (WHERE r.outcome = 'failed')::int AS failed,
               count(*) FILTER (WHERE r.outcome = 'unknown')::int AS unknown,
               (array_agg(r.error ORDER BY r.id DESC) FILTER (WHERE r.outcome IN ('failed', 'unknown')))[1] AS last_error
        FROM dockerhub.writeback_results r JOIN last_run l ON l.job = r.job AND l.run_id = r.run_id
        GROUP BY r.job
      )
      SELECT j.job, c.last_run_at, c.sent, c.failed, c.unknown, c.last_error,
             (SELECT max(created_at) FROM dockerhub.writeback_results s WHERE s.job = j.job AND s.outcome IN ('sent', 'confirmed')) AS last_success_at,
             (SELECT count(*)::int FROM dockerhub.writeback_intents i WHERE i.job = j.job AND i.state IN ('pending', 'unknown')) AS open
      FROM jobs j LEFT JOIN counts c ON c.job = j.job
      ORDER BY j.job`),
  );
  return rows.map((r) => ({
    endpoint: `writeback:${r.job}`,
    slice_key: '',
    last_run_at: r.last_run_at === null ? null : new Date(r.last_run_at).toISOString(),
    last_status: r.last_run_at === null ? null : (r.failed ?? 0) > 0 ? 'failed' : (r.unknown ?? 0) > 0 || (r.open ?? 0) > 0 ? 'unknown' : 'succeeded',
    last_error: r.last_error,
    rows_written: r.sent,
    last_success_at: r.last_success_at === null ? null : new Date(r.last_success_at).toISOString(),
    cursor: (r.open ?? 0) > 0 ? { unresolved_calls: r.open } : null,
  }));
}
