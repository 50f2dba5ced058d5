/**
 * Is the service ready? A pure decision over what the server observed, so every rule is a row
 * in a table test. Ready means: not shutting down, the database answers, every migration in
 * the journal is applied, and no job has gone longer without finishing a tick than its schedule
 * allows (twice its longest gap plus a grace period). A job that is running right now is never
 * stale: a first pass over a large account legitimately takes hours. It is stalled, though, when
 * it has finished no page for longer than the stall limit: a tick that makes progress is busy,
 * one that makes none is stuck. A job whose last three ticks all failed is failing: on time,
 * but keeping nothing up to date; one successful tick clears it.
 */

export interface JobHealthInput {
  name: string;
  schedule: string;
  /** Longest gap between two ticks of the schedule; null when it will not fire again. */
  intervalMs: number | null;
  /** When this process last finished a tick of the job (any outcome). */
  lastCompletedAt: Date | null;
  runningSince: Date | null;
  lastOutcome?: string | undefined;
  /** When this process last finished a page of the job (any tick). */
  lastProgressAt?: Date | null | undefined;
  /** Ticks in a row that failed (`failed` or `error`); a success resets it. */
  failedTicks?: number | undefined;
}

/** A job whose last this-many ticks all failed is `failing`, and the service is not ready. */
export const FAILING_AFTER_TICKS = 3;

export interface ReadinessInput {
  now: Date;
  /** When the scheduler started: a job that never ran is measured from here. */
  startedAt: Date;
  graceMs: number;
  shuttingDown: boolean;
  database: { ok: true } | { ok: false; error: string };
  /** null when the database could not be asked. */
  migrations: { applied: number; expected: number } | null;
  jobs: JobHealthInput[];
  /** A running tick that finished no page for longer than this is stalled; absent: never. */
  stallLimitMs?: number | undefined;
}

export type JobReadiness = 'ok' | 'running' | 'pending' | 'stale' | 'stalled' | 'failing';

export interface JobReport {
  name: string;
  schedule: string;
  status: JobReadiness;
  lastCompletedAt: string | null;
  lastOutcome: string | null;
  runningSince: string | null;
  /** The last finished page of the running tick, if any. */
  lastProgressAt: string | null;
  /** After this instant without a finished tick the job counts as stale. */
  staleAfter: string | null;
  /** Ticks in a row that failed, when the job is failing. */
  failedTicks?: number;
}

export interface ReadinessReport {
  ready: boolean;
  /** One sentence per problem; empty when ready. */
  problems: string[];
  database: 'ok' | 'unreachable';
  migrations: { applied: number; expected: number } | null;
  jobs: JobReport[];
}

function describeMs(ms: number): string {
  if (ms < 120_000) return `${Math.round(ms / 1000)}s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)}m`;
  if (ms < 172_800_000) return `${Math.round(ms / 3_600_000)}h`;
  return `${Math.round(ms / 86_400_000)}d`;
}

export function decideReadiness(input: ReadinessInput): ReadinessReport {
  const problems: string[] = [];
  if (input.shuttingDown) problems.push('shutting down');
  if (!input.database.ok) problems.push(`database unreachable: ${input.database.error}`);
  if (input.migrations && input.migrations.applied < input.migrations.expected) {
    problems.push(
      `database schema is behind: ${input.migrations.applied} of ${input.migrations.expected} migrations applied (run \`dockerhub-sync migrate\`)`,
    );
  } else if (input.migrations && input.migrations.applied > input.migrations.expected) {
    problems.push(
      `database schema is newer than this version: ${input.migrations.applied} migrations applied, this build knows ${input.migrations.expected}`,
    );
  }

  const jobs = input.jobs.map((job): JobReport => {
    const base = {
      name: job.name,
      schedule: job.schedule,
      lastCompletedAt: job.lastCompletedAt?.toISOString() ?? null,
      lastOutcome: job.lastOutcome ?? null,
      runningSince: job.runningSince?.toISOString() ?? null,
      lastProgressAt: null as string | null,
    };
    if (job.runningSince) {
      // A page finished before this tick started says nothing about this tick.
      const progressAt =
        job.lastProgressAt && job.lastProgressAt.getTime() >= job.runningSince.getTime() ? job.lastProgressAt : null;
      base.lastProgressAt = progressAt?.toISOString() ?? null;
      const quietMs = input.now.getTime() - (progressAt ?? job.runningSince).getTime();
      if (input.stallLimitMs !== undefined && quietMs > input.stallLimitMs) {
        problems.push(
          `job ${job.name} (${job.schedule}) is running but finished no page for ${describeMs(quietMs)}; it may go at most ${describeMs(input.stallLimitMs)} without one (READYZ_STALL_LIMIT)`,
        );
        return { ...base, status: 'stalled', staleAfter: null };
      }
    }
    // Ticks that finish on time but every one of them in error: the data is not being kept.
    const failed = job.failedTicks ?? 0;
    if (failed >= FAILING_AFTER_TICKS) {
      problems.push(
        `job ${job.name} (${job.schedule}): its last ${failed} ticks failed (last outcome: ${job.lastOutcome ?? 'failed'}); see the log and \`dockerhub-sync status\` for the failing slices. Ready again after a tick succeeds`,
      );
      return { ...base, status: 'failing', failedTicks: failed, staleAfter: null };
    }
    if (job.intervalMs === null) return { ...base, status: job.lastCompletedAt ? 'ok' : 'pending', staleAfter: null };
    const since = job.lastCompletedAt ?? input.startedAt;
    const allowedMs = 2 * job.intervalMs + input.graceMs;
    const staleAfter = new Date(since.getTime() + allowedMs);
    const report = { ...base, staleAfter: staleAfter.toISOString() };
    if (job.runningSince) return { ...report, status: 'running' };
    if (input.now.getTime() <= staleAfter.getTime()) return { ...report, status: job.lastCompletedAt ? 'ok' : 'pending' };
    const age = describeMs(input.now.getTime() - since.getTime());
    problems.push(
      job.lastCompletedAt
        ? `job ${job.name} (${job.schedule}) last finished a tick ${age} ago; it may go at most ${describeMs(allowedMs)}`
        : `job ${job.name} (${job.schedule}) has not finished a tick in the ${age} since start; it may go at most ${describeMs(allowedMs)}`,
    );
    return { ...report, status: 'stale' };
  });

  return {
    ready: problems.length === 0,
    problems,
    database: input.database.ok ? 'ok' : 'unreachable',
    migrations: input.migrations,
    jobs,
  };
}
