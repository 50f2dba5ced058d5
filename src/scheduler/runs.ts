import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { rowsOf } from '../db/client.js';
import type { Database } from '../db/client.js';
import { sliceLeaseKey, withLease } from '../db/leases.js';
import { nextRunOf, previousRunOf } from './cron.js';
import type { JobSpec } from './jobs.js';
import type { TickRunner } from './scheduler.js';

/** What the scheduler reads from and repairs in `sync_runs` when it starts. */

function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  const date = value instanceof Date ? value : new Date(String(value));
  return Number.isNaN(date.getTime()) ? null : date;
}

/**
 * Runs left 'running' by a process that died (killed, crashed, shutdown timeout). A run whose
 * slice lease nobody holds is not running anywhere, so it is marked 'aborted'; a run another
 * replica is still working on keeps its lease and is left alone.
 */
export async function abortInterruptedRuns(database: Database, now: Date): Promise<number> {
  const result = await database.db.execute(sql`
    SELECT DISTINCT endpoint, slice_key FROM dockerhub.sync_runs WHERE status = 'running'`);
  let aborted = 0;
  for (const { endpoint, slice_key } of rowsOf<{ endpoint: string; slice_key: string }>(result)) {
    const locked = await withLease(database, sliceLeaseKey(endpoint, slice_key), async () => {
      const updated = await database.db.execute(sql`
        UPDATE dockerhub.sync_runs
        SET status = 'aborted', finished_at = ${now.toISOString()}::timestamptz,
            error = coalesce(error, 'interrupted: the process ended before the run finished; the next pass resumes from the stored cursors')
        WHERE endpoint = ${endpoint} AND slice_key = ${slice_key} AND status = 'running'
        RETURNING id`);
      return rowsOf<{ id: number }>(updated).length;
    });
    if (locked.acquired) aborted += locked.value;
  }
  return aborted;
}

/**
 * A sync tick runner that repairs runs: a tick that could not finish (the database went away)
 * may have left its run 'running' with nobody to record the end; once the database answers
 * again, the run is marked aborted (at the end of a failed tick, or before the next one).
 */
export function repairingRuns(runTick: TickRunner, database: Database, logger: Logger): TickRunner {
  let repairPending = false;
  const repair = async () => {
    try {
      const count = await abortInterruptedRuns(database, new Date());
      repairPending = false;
      if (count > 0) logger.warn({ runs: count }, 'runs left running by a lost database connection were marked aborted');
    } catch {
      repairPending = true;
    }
  };
  return async (tick, signal) => {
    if (repairPending) await repair();
    const outcome = await runTick(tick, signal);
    if (outcome === 'error' || outcome === 'failed') await repair();
    return outcome;
  };
}

/** No catch-up when the schedule's next tick is closer than this. */
export const CATCH_UP_MIN_LEAD_MS = 60_000;

export interface MissedTick {
  job: string;
  scheduledAt: Date;
}

/**
 * Jobs whose latest scheduled time before `now` has no run of any of their endpoints since:
 * a first start, or a restart that slept through a tick. Running them at once (in that tick's
 * run group, so replicas starting together still run it once) means an hourly or daily job does
 * not wait a whole period after a deployment.
 */
export async function findMissedTicks(
  database: Database,
  jobs: readonly JobSpec[],
  now: Date,
  minLeadMs = CATCH_UP_MIN_LEAD_MS,
): Promise<MissedTick[]> {
  const missed: MissedTick[] = [];
  // A tick due in this very second is croner's to fire.
  const reference = new Date(now.getTime() - 1000);
  for (const job of jobs) {
    const scheduledAt = previousRunOf(job.schedule, reference);
    if (!scheduledAt) continue;
    // The schedule is about to run it anyway; a catch-up now would only overlap that tick.
    const next = nextRunOf(job.schedule, now);
    if (next && next.getTime() - now.getTime() < minLeadMs) continue;
    const result = await database.db.execute(sql`
      SELECT 1 AS found FROM dockerhub.sync_runs
      WHERE endpoint IN (SELECT jsonb_array_elements_text(${JSON.stringify(job.endpoints)}::jsonb))
        AND started_at >= ${scheduledAt.toISOString()}::timestamptz
        -- A webhook's hinted read is no tick of the job.
        AND mode IS DISTINCT FROM 'hint'
      LIMIT 1`);
    if (rowsOf(result).length === 0) missed.push({ job: job.name, scheduledAt });
  }
  return missed;
}

/** When each endpoint last had a successful run (any process), for the metrics at start. */
export async function lastSuccessByEndpoint(database: Database): Promise<Map<string, Date>> {
  const result = await database.db.execute(sql`
    SELECT endpoint, max(finished_at) AS at FROM dockerhub.sync_runs
    WHERE status = 'succeeded' AND mode IS DISTINCT FROM 'hint' GROUP BY endpoint`);
  const out = new Map<string, Date>();
  for (const row of rowsOf<{ endpoint: string; at: unknown }>(result)) {
    const at = toDate(row.at);
    if (at) out.set(row.endpoint, at);
  }
  return out;
}
