import { Cron } from 'croner';
import type { Logger } from 'pino';
import { SCHEDULE_TIMEZONE, scheduledTimeOf } from './cron.js';
import type { JobSpec } from './jobs.js';

/**
 * One croner job per JobSpec. A tick never overlaps the previous tick of the same job (croner's
 * `protect`, plus our own flag for catch-up ticks started outside croner): a tick that comes
 * while the job is still busy is logged as missed, never queued. Different jobs may run at the
 * same time; they share the client's rate-limit pacing.
 */

export interface Tick {
  job: JobSpec;
  /** The schedule's time for this tick, whole seconds: identical on every replica. */
  scheduledAt: Date;
  /** `<job>@<scheduledAt>`: slices already run in this group (by any replica) are skipped. */
  runGroup: string;
  reason: 'schedule' | 'catch-up';
}

/** Runs one tick; resolves to its outcome (never rejects: failures are outcomes). */
export type TickRunner = (tick: Tick, signal: AbortSignal) => Promise<string>;

export interface JobState {
  job: JobSpec;
  running: { since: Date; runGroup: string } | null;
  lastCompleted: { at: Date; runGroup: string; outcome: string } | null;
  missedTicks: number;
  /** Ticks in a row that ended `failed` or `error` (a success resets it; an aborted tick leaves it). */
  failedTicks?: number;
}

export interface SchedulerOptions {
  jobs: readonly JobSpec[];
  runTick: TickRunner;
  logger: Logger;
  now?: () => Date;
  /** A tick came while the previous one was still running (an overrun). */
  onMissedTick?: (job: JobSpec, scheduledAt: Date) => void;
}

export interface StopResult {
  /** Every running tick finished within the timeout. */
  drained: boolean;
  /** Jobs still running when the timeout ran out. */
  stillRunning: string[];
}

export interface Scheduler {
  readonly startedAt: Date | null;
  readonly stopping: boolean;
  start(): void;
  /** Run one tick now, outside the timer (catch-up); skipped when the job is busy. */
  runNow(jobName: string, scheduledAt: Date, reason?: Tick['reason']): Promise<void>;
  states(): JobState[];
  nextRun(jobName: string): Date | null;
  /** Stop scheduling, abort running ticks (they stop between pages), wait up to `timeoutMs`. */
  stop(timeoutMs: number): Promise<StopResult>;
}

export function runGroupOf(jobName: string, scheduledAt: Date): string {
  return `${jobName}@${scheduledAt.toISOString().replace(/\.\d{3}Z$/, 'Z')}`;
}

export function createScheduler(options: SchedulerOptions): Scheduler {
  const { logger } = options;
  const now = options.now ?? (() => new Date());
  const controller = new AbortController();
  const states = new Map<string, JobState>(
    options.jobs.map((job) => [job.name, { job, running: null, lastCompleted: null, missedTicks: 0, failedTicks: 0 }]),
  );
  const crons = new Map<string, Cron>();
  const inFlight = new Set<Promise<void>>();
  let startedAt: Date | null = null;
  let stopping = false;

  // One warning per overrunning tick (see missedTick); the count and the metric see every one.
  const warned = new Set<string>();
  const missed = (state: JobState, scheduledAt: Date) => missedTick(options, state, scheduledAt, warned);

  const execute = (state: JobState, scheduledAt: Date, reason: Tick['reason']): Promise<void> => {
    if (stopping) return Promise.resolve();
    if (state.running) {
      missed(state, scheduledAt);
      return Promise.resolve();
    }
    const tick: Tick = { job: state.job, scheduledAt, runGroup: runGroupOf(state.job.name, scheduledAt), reason };
    state.running = { since: now(), runGroup: tick.runGroup };
    const work = runAndRecord(options, state, tick, controller.signal, now);
    inFlight.add(work);
    void work.finally(() => {
      inFlight.delete(work);
      warned.delete(tick.runGroup);
    });
    return work;
  };

  return {
    get startedAt() {
      return startedAt;
    },
    get stopping() {
      return stopping;
    },
    start() {
      if (startedAt) return;
      startedAt = now();
      for (const state of states.values()) {
        const { job } = state;
        const cron = new Cron(
          job.schedule,
          {
            timezone: SCHEDULE_TIMEZONE,
            // croner keeps currentRun() on the tick still running; the missed one is now.
            protect: () => missed(state, scheduledTimeOf(job.schedule, now())),
            catch: (error) => logger.error({ err: error, job: job.name }, 'scheduled tick threw'),
          },
          (self) => execute(state, scheduledTimeOf(job.schedule, self.currentRun() ?? now()), 'schedule'),
        );
        crons.set(job.name, cron);
      }
    },
    runNow(jobName, scheduledAt, reason = 'catch-up') {
      const state = states.get(jobName);
      if (!state) return Promise.reject(new RangeError(`no job called "${jobName}"`));
      return execute(state, scheduledAt, reason);
    },
    states: () => [...states.values()].map((state) => ({ ...state })),
    nextRun(jobName) {
      return crons.get(jobName)?.nextRun() ?? null;
    },
    async stop(timeoutMs) {
      stopping = true;
      for (const cron of crons.values()) cron.stop();
      controller.abort();
      if (inFlight.size === 0 || (await settledWithin([...inFlight], timeoutMs))) return { drained: true, stillRunning: [] };
      return { drained: false, stillRunning: [...states.values()].filter((state) => state.running).map((state) => state.job.name) };
    },
  };
}

/**
 * A tick that found its job's previous tick still running: counted and reported. One warning per
 * overrunning tick: an every-minute job whose first pass takes hours would otherwise warn every
 * minute of it; the later ones are logged at debug level.
 */
function missedTick(options: SchedulerOptions, state: JobState, scheduledAt: Date, warned: Set<string>): void {
  state.missedTicks++;
  const runGroup = state.running?.runGroup;
  const first = runGroup === undefined || !warned.has(runGroup);
  if (runGroup !== undefined) warned.add(runGroup);
  options.logger[first ? 'warn' : 'debug'](
    { job: state.job.name, scheduledAt: scheduledAt.toISOString(), runningSince: state.running?.since.toISOString(), runGroup },
    'tick missed: the previous tick of this job is still running (ticks are skipped, not queued)',
  );
  options.onMissedTick?.(state.job, scheduledAt);
}

/** Runs a tick and records in the job's state how it ended; never rejects. */
async function runAndRecord(options: SchedulerOptions, state: JobState, tick: Tick, signal: AbortSignal, now: () => Date): Promise<void> {
  let outcome: string;
  try {
    outcome = await options.runTick(tick, signal);
  } catch (error) {
    // The runner reports failures as outcomes; this is a bug guard, not a code path.
    options.logger.error({ err: error, job: state.job.name, runGroup: tick.runGroup }, 'tick runner threw');
    outcome = 'error';
  }
  state.lastCompleted = { at: now(), runGroup: tick.runGroup, outcome };
  if (outcome === 'failed' || outcome === 'error') state.failedTicks = (state.failedTicks ?? 0) + 1;
  else if (outcome === 'succeeded') state.failedTicks = 0;
  state.running = null;
}

/** Whether every promise settled within `timeoutMs`. */
async function settledWithin(promises: readonly Promise<unknown>[], timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const settled = await Promise.race([Promise.allSettled(promises).then(() => true), timedOut]);
  clearTimeout(timer);
  return settled;
}
