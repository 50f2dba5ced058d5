import type { ProgressSink, SyncDeps } from '../sync/context.js';
import { runSync, type SliceReport, type SyncSummary } from '../sync/runner.js';
import { sliceTotals, type SliceTotals } from '../sync/totals.js';
import type { Tick, TickRunner } from './scheduler.js';

/**
 * One scheduled tick = one `runSync` over the job's endpoints, in the tick's run group, with
 * one log line of totals (the runner already logs one line per slice).
 */

export type TickOutcome = 'succeeded' | 'failed' | 'aborted' | 'error';

export type TickTotals = SliceTotals;

/** What metrics (or anything else) learn about ticks and slices as they happen. */
export interface TickObserver {
  tickStarted?(tick: Tick): void;
  sliceFinished?(report: SliceReport): void;
  /** A page of the tick was stored: the tick is making progress. */
  pageFinished?(tick: Tick): void;
  tickFinished?(tick: Tick, outcome: TickOutcome, totals: TickTotals, durationMs: number): void;
}

export const tickTotals = sliceTotals;

export function tickOutcome(totals: TickTotals, aborted: boolean): TickOutcome {
  if (totals.aborted > 0 || aborted) return 'aborted';
  return totals.failed > 0 ? 'failed' : 'succeeded';
}

export function createTickRunner(deps: SyncDeps, observer: TickObserver = {}): TickRunner {
  return async (tick, signal) => {
    const logger = deps.logger.child({ job: tick.job.name, runGroup: tick.runGroup });
    const started = Date.now();
    observer.tickStarted?.(tick);
    logger.info({ reason: tick.reason, endpoints: tick.job.endpoints }, 'job tick starting');
    // Slices are reported as they finish (a first pass can take hours); the few the runner
    // settles without running (locked by another replica, slices that could not be listed) at
    // the end of the tick.
    const reported = new Set<string>();
    const progress: ProgressSink = {
      sliceStart: () => undefined,
      page: () => observer.pageFinished?.(tick),
      sliceEnd: (endpoint, slice, outcome) => {
        reported.add(`${endpoint}\u0000${slice}`);
        observer.sliceFinished?.({ ...outcome, endpoint, slice });
      },
    };
    let summary: SyncSummary | undefined;
    let outcome: TickOutcome;
    let totals = tickTotals([]);
    try {
      summary = await runSync({ ...deps, logger, progress }, { only: tick.job.endpoints, runGroup: tick.runGroup, signal, followAudit: true });
      totals = tickTotals(summary.slices);
      for (const report of summary.slices) {
        if (!reported.has(`${report.endpoint}\u0000${report.slice}`)) observer.sliceFinished?.(report);
      }
      outcome = tickOutcome(totals, signal.aborted);
    } catch (error) {
      outcome = signal.aborted ? 'aborted' : 'error';
      logger.error({ err: error }, `job ${tick.job.name} tick could not run: ${(error as Error).message}`);
    }
    const durationMs = Date.now() - started;
    const line = { reason: tick.reason, outcome, ...totals, durationMs };
    if (outcome === 'succeeded') logger.info(line, 'job tick finished');
    else logger.warn(line, 'job tick finished');
    observer.tickFinished?.(tick, outcome, totals, durationMs);
    return outcome;
  };
}
