/**
 * `serve`'s sync jobs on a clock the caller moves, so minutes and hours of schedule pass in
 * seconds. The jobs are planned as `serve` plans them (the registry's declarations and the
 * config's `schedules`), each tick runs through `serve`'s tick runner, and the sync, the Hub
 * client and the emulator all read one shifted clock: real time plus an offset that jumps to
 * each tick's scheduled time. Within a tick time runs at the wall clock's pace, so the time a
 * tick takes is real. Ticks due at the same time run one after the other (serve runs them side
 * by side), so each tick's requests are counted apart; a tick time that passes while any tick
 * runs is missed (serve misses only the busy job's).
 */
import type { Logger } from 'pino';
import { serveConfig, type Config } from '../src/config.js';
import type { Database } from '../src/db/client.js';
import type { RunningEmulator } from '../src/emulator/index.js';
import { hubClientsFromConfig } from '../src/commands/hub.js';
import { buildRegistry, scheduleOverrides } from '../src/custom/registry.js';
import type { HubClientSet } from '../src/hub/client-set.js';
import { nextRunOf } from '../src/scheduler/cron.js';
import { planJobs, type JobSpec } from '../src/scheduler/jobs.js';
import { runGroupOf } from '../src/scheduler/scheduler.js';
import { createTickRunner } from '../src/scheduler/tick.js';
import { systemClock } from '../src/hub/clock.js';
import type { SyncDeps } from '../src/sync/context.js';

/** Real time shifted by an offset; `jump` sets the offset so that now is `to`. */
export function shiftedClock(start: Date) {
  let offset = start.getTime() - Date.now();
  return {
    now: () => Date.now() + offset,
    date: () => new Date(Date.now() + offset),
    jump(to: Date) {
      offset = to.getTime() - Date.now();
    },
  };
}
export type ShiftedClock = ReturnType<typeof shiftedClock>;

export interface TickRecord {
  job: string;
  scheduledAt: Date;
  /** The shifted clock when the tick ended. */
  endedAt: Date;
  outcome: string;
  /** Requests the emulator answered during the tick, in all and by route. */
  requests: number;
  byRoute: Record<string, number>;
  /** Wall-clock time the tick took. */
  ms: number;
}

export interface SimulatedServe {
  readonly clock: ShiftedClock;
  readonly jobs: readonly JobSpec[];
  /** What its ticks run with (the clients, the clock, the registry): a hint queue shares them, as in serve. */
  readonly deps: SyncDeps;
  /** Runs, in time order, every tick due after now and at or before `until`; the clock ends at `until` (or later, if a tick ran past it). */
  runUntil(until: Date, afterTick?: (tick: TickRecord) => Promise<void> | void): Promise<TickRecord[]>;
  /** One tick of a job now, outside its schedule (a first pass). */
  runNow(job: string): Promise<TickRecord>;
  close(): Promise<void>;
}

/** The next tick of any job after `after`: its time and the jobs due then, in plan order. */
function nextTicks(jobs: readonly JobSpec[], after: Date): { at: Date; jobs: JobSpec[] } | null {
  let at: Date | null = null;
  let due: JobSpec[] = [];
  for (const job of jobs) {
    const next = nextRunOf(job.schedule, after);
    if (!next) continue;
    if (!at || next.getTime() < at.getTime()) {
      at = next;
      due = [job];
    } else if (next.getTime() === at.getTime()) due.push(job);
  }
  return at ? { at, jobs: due } : null;
}

export function simulateServe(input: { config: Config; database: Database; emulator: RunningEmulator; logger: Logger; clock: ShiftedClock }): SimulatedServe {
  const { config, database, emulator, logger, clock } = input;
  const registry = buildRegistry(config);
  const plan = planJobs(registry, scheduleOverrides(config, registry), clock.date());
  if (plan.problems.length > 0) throw new Error(plan.problems.join('; '));
  const hubClock = { now: clock.now, sleep: systemClock.sleep };
  const clients: HubClientSet = hubClientsFromConfig(config, {}, logger, { clock: hubClock });
  const deps: SyncDeps = {
    database,
    client: clients.fallback.client,
    clients,
    logger,
    config: serveConfig(config),
    namespaceKinds: new Map(),
    registry,
    clock: { now: clock.date },
  };
  const runTick = createTickRunner(deps);
  const signal = new AbortController().signal;
  const run = async (job: JobSpec, scheduledAt: Date): Promise<TickRecord> => {
    emulator.requests.reset();
    const started = performance.now();
    const outcome = await runTick({ job, scheduledAt, runGroup: runGroupOf(job.name, scheduledAt), reason: 'schedule' }, signal);
    const record = {
      job: job.name,
      scheduledAt,
      endedAt: clock.date(),
      outcome,
      requests: emulator.requests.total,
      byRoute: emulator.requests.counts,
      ms: performance.now() - started,
    };
    return record;
  };
  // Ticks are due after `through` (the last tick run, or the last `until`); the clock itself
  // moves on between calls, and a tick that falls in those milliseconds is still due. A tick
  // time that passed while ticks were running (`busyUntil`) was missed, as in serve.
  let through = clock.date();
  let busyUntil = clock.now();
  return {
    clock,
    jobs: plan.jobs,
    deps,
    async runUntil(until, afterTick) {
      const out: TickRecord[] = [];
      for (let next = nextTicks(plan.jobs, through); next && next.at.getTime() <= until.getTime(); next = nextTicks(plan.jobs, through)) {
        through = next.at;
        if (next.at.getTime() < busyUntil) continue;
        clock.jump(next.at);
        for (const job of next.jobs) {
          const record = await run(job, next.at);
          out.push(record);
          await afterTick?.(record);
        }
        busyUntil = clock.now();
      }
      if (until.getTime() > through.getTime()) through = until;
      if (clock.now() < until.getTime()) clock.jump(until);
      return out;
    },
    async runNow(name) {
      const job = plan.jobs.find((j) => j.name === name);
      if (!job) throw new RangeError(`no job called "${name}"`);
      const record = await run(job, new Date(Math.floor(clock.now() / 1000) * 1000));
      busyUntil = Math.max(busyUntil, clock.now());
      return record;
    },
    close: () => clients.close(),
  };
}
