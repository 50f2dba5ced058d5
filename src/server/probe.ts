import type { Database } from '../db/client.js';
import { ping } from '../db/client.js';
import { appliedMigrationCount } from '../db/migrate.js';
import { longestGapMs } from '../scheduler/cron.js';
import { decideReadiness, type ReadinessReport } from '../scheduler/readiness.js';
import type { Scheduler } from '../scheduler/scheduler.js';

/** Gathers what /readyz decides on: a database round trip, the migration count, the jobs' state. */

export interface ReadinessProbeOptions {
  database: Database;
  scheduler: Scheduler;
  /** Migrations this build ships (the journal's length). */
  expectedMigrations: number;
  /** Extra time a job may take beyond twice its longest gap. */
  graceMs?: number;
  /** A database that takes longer than this to answer counts as unreachable. */
  timeoutMs?: number;
  now?: () => Date;
  shuttingDown: () => boolean;
  /** When a job last finished a page, for telling a busy tick from a stuck one. */
  lastProgress?: (jobName: string) => Date | undefined;
  /** A running tick with no finished page for longer than this makes the service unready. */
  stallLimitMs?: number;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export function createReadinessProbe(options: ReadinessProbeOptions): () => Promise<ReadinessReport> {
  const now = options.now ?? (() => new Date());
  const timeoutMs = options.timeoutMs ?? 3_000;
  return async () => {
    let database: { ok: true } | { ok: false; error: string } = { ok: true };
    let migrations: { applied: number; expected: number } | null = null;
    try {
      await withTimeout(ping(options.database), timeoutMs, 'the database');
      const applied = await withTimeout(appliedMigrationCount(options.database), timeoutMs, 'the database');
      migrations = { applied, expected: options.expectedMigrations };
    } catch (error) {
      database = { ok: false, error: (error as Error).message };
    }
    const at = now();
    const jobs = options.scheduler.states().map((state) => ({
      name: state.job.name,
      schedule: state.job.schedule,
      intervalMs: longestGapMs(state.job.schedule, at),
      lastCompletedAt: state.lastCompleted?.at ?? null,
      lastOutcome: state.lastCompleted?.outcome,
      runningSince: state.running?.since ?? null,
      lastProgressAt: options.lastProgress?.(state.job.name) ?? null,
      failedTicks: state.failedTicks,
    }));
    return decideReadiness({
      now: at,
      startedAt: options.scheduler.startedAt ?? at,
      graceMs: options.graceMs ?? 60_000,
      shuttingDown: options.shuttingDown(),
      database,
      migrations,
      jobs,
      stallLimitMs: options.stallLimitMs,
    });
  };
}
