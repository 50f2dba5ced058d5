import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import type { HubClientSet } from '../hub/client-set.js';
import { resolveJob } from '../writeback/job.js';
import { runFailed } from '../writeback/report.js';
import { runJob, type RunSummary } from '../writeback/runner.js';
import type { JobSpec } from './jobs.js';
import type { TickRunner } from './scheduler.js';
import { tickTotals, type TickObserver, type TickOutcome } from './tick.js';

/**
 * Write-back jobs with a `schedule` run beside the sync jobs, named `writeback:<job>`: one tick
 * is one run of the job, with one log line of its totals.
 */

const PREFIX = 'writeback:';

export const isWritebackJob = (name: string) => name.startsWith(PREFIX);

export function writebackJobs(config: Config): JobSpec[] {
  return config.writeback.flatMap((job, i) =>
    job.schedule ? [{ name: `${PREFIX}${job.name}`, schedule: job.schedule, scheduleSource: `writeback[${i}].schedule`, endpoints: [] }] : [],
  );
}

export interface WritebackTickDeps {
  database: Database;
  clients: HubClientSet;
  config: Config;
  logger: Logger;
}

export interface WritebackObserver extends Pick<TickObserver, 'tickStarted' | 'tickFinished'> {
  runFinished?(summary: RunSummary): void;
}

export function createWritebackTickRunner(deps: WritebackTickDeps, observer: WritebackObserver = {}): TickRunner {
  const { database, clients, config } = deps;
  const runnerDeps = {
    database,
    clientFor: (scope: string | undefined) => (scope ? clients.forScope(scope) : clients.fallback).client,
    baseUrl: new URL(config.hub.apiUrl),
    readOnly: { readerRole: config.databaseReaderRole, statementTimeoutMs: config.databaseStatementTimeout },
  };
  return async (tick, signal) => {
    const entry = config.writeback.find((job) => `${PREFIX}${job.name}` === tick.job.name)!;
    const log = deps.logger.child({ job: tick.job.name, runGroup: tick.runGroup });
    const started = Date.now();
    observer.tickStarted?.(tick);
    let outcome: TickOutcome;
    try {
      const summary = await runJob({ ...runnerDeps, logger: log }, resolveJob(entry), { signal });
      observer.runFinished?.(summary);
      outcome = signal.aborted ? 'aborted' : runFailed(summary) ? 'failed' : 'succeeded';
      const { plan: _plan, failures, ...totals } = summary;
      (outcome === 'succeeded' ? log.info.bind(log) : log.warn.bind(log))({ ...totals, failures: failures.slice(0, 20) }, 'write-back tick finished');
    } catch (error) {
      outcome = signal.aborted ? 'aborted' : 'error';
      log.error({ err: error }, `write-back job ${entry.name} could not run: ${(error as Error).message}`);
    }
    observer.tickFinished?.(tick, outcome, tickTotals([]), Date.now() - started);
    return outcome;
  };
}

/** Ticks of `writeback:<job>` go to the write-back runner, the others to the sync runner. */
export function routeTicks(sync: TickRunner, writeback: TickRunner): TickRunner {
  return (tick, signal) => (isWritebackJob(tick.job.name) ? writeback : sync)(tick, signal);
}
