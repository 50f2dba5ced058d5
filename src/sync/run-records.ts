import { eq, sql } from 'drizzle-orm';
import { rowsOf, type Database } from '../db/client.js';
import { syncErrors, syncRuns } from '../db/schema/index.js';
import { storableCopy } from '../hub/schemas.js';
import { scrubSecrets } from '../logger.js';
import type { Clock, SyncDeps, SyncOptions, SyncPlan } from './context.js';
import type { SliceCounters, SliceOutcome } from './totals.js';
import type { Executor } from './upsert.js';

/**
 * The bookkeeping of a slice run, apart from the work: its sync_runs row (opened, closed with
 * the counters), its sync_errors rows, and the one line that describes an error.
 */

/** The slice a run belongs to, and its sync_runs id (null in a dry run, which records nothing). */
export interface RunRef {
  endpoint: string;
  sliceKey: string;
  runId: number | null;
}

/**
 * Another process already did this slice: in this tick (a replica of the same schedule), or
 * completely since this pass began (an overlapping pass). An aborted run is done again.
 */
export async function doneElsewhere(database: Database, endpoint: string, sliceKey: string, options: SyncOptions): Promise<boolean> {
  const conditions = [];
  if (options.runGroup) conditions.push(sql`(run_group = ${options.runGroup} AND status IN ('succeeded', 'failed'))`);
  // A hinted read wrote no cursor: it never stands in for a pass's read.
  if (options.passStartedAt) conditions.push(sql`(status = 'succeeded' AND started_at >= ${options.passStartedAt}::timestamptz AND mode IS DISTINCT FROM 'hint')`);
  if (conditions.length === 0) return false;
  const done = await database.db.execute(sql`
    SELECT 1 FROM dockerhub.sync_runs
    WHERE endpoint = ${endpoint} AND slice_key = ${sliceKey} AND (${sql.join(conditions, sql` OR `)})
    LIMIT 1`);
  return rowsOf(done).length > 0;
}

/** The sync_runs row of a run, `running`; returns its id. */
export async function openRun(database: Database, endpoint: string, sliceKey: string, plan: SyncPlan, options: SyncOptions, clock: Clock): Promise<number | null> {
  const { db } = database;
  // Holding the lease, no other process runs this slice: a run still 'running' belongs to one
  // that died before it could say so.
  await db.execute(sql`
    UPDATE dockerhub.sync_runs
    SET status = 'aborted', finished_at = ${clock.now().toISOString()}::timestamptz,
        error = coalesce(error, 'interrupted: the process ended before the run finished; the next pass resumes from the stored cursors')
    WHERE endpoint = ${endpoint} AND slice_key = ${sliceKey} AND status = 'running'`);
  const inserted = await db
    .insert(syncRuns)
    .values({
      run_group: options.runGroup ?? null,
      endpoint,
      slice_key: sliceKey,
      mode: plan.hints ? 'hint' : plan.backfill ? 'backfill' : plan.full ? 'full' : 'incremental',
      status: 'running',
      started_at: clock.now().toISOString(),
    })
    .returning({ id: syncRuns.id });
  return inserted[0]?.id ?? null;
}

/** The end of a run: its status, counters and error. */
export async function closeRun(database: Database, runId: number, outcome: Pick<SliceOutcome, 'status' | 'error'>, counters: SliceCounters, clock: Clock): Promise<void> {
  await database.db
    .update(syncRuns)
    .set({
      status: outcome.status,
      finished_at: clock.now().toISOString(),
      requests: counters.requests,
      pages: counters.pages,
      rows_inserted: counters.inserted,
      rows_updated: counters.updated,
      rows_deleted: counters.deleted,
      rows_invalid: counters.invalid,
      rate_limit_wait_ms: counters.waitedMs,
      error: outcome.error ?? null,
    })
    .where(eq(syncRuns.id, runId));
}

/** A sync_errors row: payload, issues and message made storable (what was refused may be a NUL byte). */
export interface RunError {
  kind: string;
  message: string;
  url?: string | undefined;
  payload?: unknown;
  issues?: unknown;
}

export async function recordRunErrors(tx: Executor, run: RunRef, errors: readonly RunError[]): Promise<void> {
  await tx.insert(syncErrors).values(
    errors.map((error) => ({
      run_id: run.runId,
      endpoint: run.endpoint,
      slice_key: run.sliceKey,
      kind: error.kind,
      url: error.url,
      payload: 'payload' in error ? storableCopy(error.payload ?? null) : undefined,
      issues: 'issues' in error ? storableCopy(error.issues) : undefined,
      message: storableCopy(error.message) as string,
    })),
  );
}

const MAX_ERROR_LENGTH = 2000;

/** An error reported by Postgres (pg's DatabaseError, also what PGlite throws): it has an SQLSTATE. */
function isDatabaseError(error: unknown): error is Error & { code: string } {
  if (!(error instanceof Error) || !('severity' in error)) return false;
  const code: unknown = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

function secretsOf(deps: SyncDeps): string[] {
  const { hub } = deps.config;
  return [hub.token, hub.password, hub.jwt, hub.scimToken, ...(deps.clients?.secrets ?? [])].filter((s): s is string => Boolean(s));
}

/**
 * One line for sync_runs and the log. A failed statement is described by the database's own
 * error, not by drizzle's dump of the query and its parameters (which repeats whole payloads).
 * The text is made storable: an error quoting a NUL byte must not fail the recording of the run.
 */
export function describeError(error: unknown, deps: SyncDeps): string {
  const cause = error instanceof Error ? (error as Error & { cause?: unknown }).cause : undefined;
  const database = [error, cause].find(isDatabaseError);
  let message = database
    ? `database error ${database.code}: ${database.message}`
    : error instanceof Error
      ? error.message
      : String(error);
  if (message.length > MAX_ERROR_LENGTH) message = `${message.slice(0, MAX_ERROR_LENGTH)}… (${message.length - MAX_ERROR_LENGTH} more characters)`;
  return storableCopy(scrubSecrets(message, secretsOf(deps))) as string;
}
