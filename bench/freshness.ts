/**
 * Freshness: how long a push takes to reach SQL, and what keeping an account fresh costs, with
 * `serve`'s default settings ("after") and with main's defaults before they changed ("before":
 * the repositories job hourly, every pass a complete listing).
 *
 * Everything runs against the emulator over HTTP on a shifted clock (bench/ticks.ts): the jobs
 * tick on their real schedules, minutes pass in milliseconds, each tick takes the real time it
 * takes. Figures:
 *
 * - push → SQL latency p50/p95: a tag is pushed at a seeded random second, the simulated `serve`
 *   ticks on, the latency is the clock when the tick that stored the tag ended minus the push.
 * - idle cost: after a first pass, `hours` of ticks with nothing happening; per job its ticks a
 *   day (from its schedule) × its measured requests a tick, and the busiest minute.
 * - modelled daily cost of 10k repositories, 50 pulled and 5 pushed an hour (dailyFreshnessCost):
 *   the repositories job from the rules of "What a pass reads", the other jobs as measured idle.
 *
 * To add a variant (a webhook, say), push a FreshnessVariant onto `freshnessVariants`: its
 * `settings` are config overrides, its `afterPush` runs right after each push (post the hint
 * there); the report then shows its latency beside these. Another row of the cost table is a
 * `CostRow` pushed onto the rows `freshnessReport` returns.
 */
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { loadConfig, type Config } from '../src/config.js';
import { rowsOf, type Database } from '../src/db/client.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import { nextRunOf } from '../src/scheduler/cron.js';
import { shiftedClock, simulateServe, type ShiftedClock, type SimulatedServe, type TickRecord } from './ticks.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The targets of issue 27: 5% of Hub's 180 requests a minute for an idle account; a push in SQL within 2 minutes (p95). */
export const FRESHNESS_TARGETS = { idleRequestsPerMinute: 9, limitPerMinute: 180, pushToSqlP95Seconds: 120 } as const;

/** Settings of one column of the report: config overrides on top of the defaults. */
export interface FreshnessVariant {
  name: string;
  settings: Record<string, unknown>;
  /** Runs right after each push in the latency measurement (a webhook delivery, say). */
  afterPush?: (push: PushContext) => Promise<void>;
}

export interface PushContext {
  serve: SimulatedServe;
  emulator: RunningEmulator;
  database: Database;
  namespace: string;
  repository: string;
  tag: string;
}

/** main's defaults before freshness became the default: hourly repositories job, every listing complete. */
export const BEFORE: FreshnessVariant = {
  name: 'before (main: hourly complete listing)',
  settings: { 'sync.repositoryListInterval': '0s', schedules: { repositories: '0 * * * *' } },
};
/** The defaults as they are. */
export const AFTER: FreshnessVariant = { name: 'after (defaults)', settings: {} };

/** The variants the report measures, in order; add yours here. */
export const freshnessVariants: FreshnessVariant[] = [BEFORE, AFTER];

export interface Account {
  emulator: RunningEmulator;
  database: Database;
  config: Config;
  clock: ShiftedClock;
  serve: SimulatedServe;
  namespaces: string[];
  close(): Promise<void>;
}

/**
 * The emulator on a shifted clock, `serve`'s jobs over it with `settings` on top of the defaults
 * (only the API URL, the credential and the namespaces are set), and a first pass: every job
 * once. The clock then stands at the first pass's end.
 */
export async function freshAccount(input: { seed: number; scale: number; database: Database; logger: Logger; settings?: Record<string, unknown>; start?: Date }): Promise<Account> {
  const clock = shiftedClock(input.start ?? new Date());
  const emulator = await startEmulator({ seed: input.seed, scale: input.scale, clock: { now: clock.now } });
  const namespaces = [emulator.credentials.username, ...emulator.credentials.oat.map((o) => o.org)];
  const config = loadConfig({
    env: {},
    overrides: {
      'hub.apiUrl': emulator.url,
      'hub.username': emulator.credentials.username,
      'hub.password': emulator.credentials.password,
      namespaces,
      logLevel: 'warn',
      ...input.settings,
    },
  });
  const serve = simulateServe({ config, database: input.database, emulator, logger: input.logger, clock });
  try {
    for (const job of serve.jobs) {
      const tick = await serve.runNow(job.name);
      if (tick.outcome !== 'succeeded') throw new Error(`first pass: job ${job.name} ended ${tick.outcome}`);
    }
  } catch (error) {
    await serve.close();
    await emulator.close();
    throw error;
  }
  return {
    emulator,
    database: input.database,
    config,
    clock,
    serve,
    namespaces,
    close: async () => {
      await serve.close();
      await emulator.close();
    },
  };
}

/** Whether the tag is live in dockerhub.tags. */
export async function tagStored(database: Database, namespace: string, repository: string, tag: string): Promise<boolean> {
  const result = await database.db.execute(sql`
    SELECT 1 FROM dockerhub.tags WHERE namespace = ${namespace} AND repository = ${repository} AND name = ${tag} AND deleted_at IS NULL`);
  return rowsOf(result).length > 0;
}

/** A deterministic generator in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface PushSample {
  repository: string;
  /** Seconds from the push to the end of the tick that stored the tag. */
  seconds: number;
  /** The job whose tick stored it ('' when afterPush did). */
  job: string;
}

/**
 * Pushes a tag `samples` times, each to a seeded random repository at a seeded random second of
 * the next ten minutes, then lets the simulated `serve` tick until the tag is in SQL (at most `limitMs`).
 */
export async function measurePushLatency(account: Account, variant: FreshnessVariant, input: { samples: number; seed: number; limitMs?: number }): Promise<PushSample[]> {
  const random = seededRandom(input.seed);
  const repositories = Object.values(account.emulator.snapshot({ tags: false }).repositories).flat();
  const out: PushSample[] = [];
  for (let i = 0; i < input.samples; i++) {
    const repo = repositories[Math.floor(random() * repositories.length)]!;
    const tag = `fresh-${input.seed}-${i}`;
    // A random second of the next ten minutes: over the samples the pushes walk through the
    // hour, landing before, between and after every kind of tick (complete listing, org job).
    await account.serve.runUntil(new Date(account.clock.now() + Math.floor(random() * 10 * MINUTE)));
    const pushedAt = account.clock.now();
    account.emulator.state.addTag(repo.namespace, repo.name, tag);
    await variant.afterPush?.({ serve: account.serve, emulator: account.emulator, database: account.database, namespace: repo.namespace, repository: repo.name, tag });
    out.push(await waitForTag(account, { namespace: repo.namespace, repository: repo.name, tag, pushedAt, limitMs: input.limitMs ?? 2 * HOUR }));
  }
  return out;
}

async function waitForTag(account: Account, push: { namespace: string; repository: string; tag: string; pushedAt: number; limitMs: number }): Promise<PushSample> {
  const key = `${push.namespace}/${push.repository}`;
  if (await tagStored(account.database, push.namespace, push.repository, push.tag)) return { repository: key, seconds: (account.clock.now() - push.pushedAt) / 1000, job: '' };
  let found: { at: number; job: string } | undefined;
  const stored = async (tick: TickRecord) => {
    if (!found && (await tagStored(account.database, push.namespace, push.repository, push.tag))) found = { at: tick.endedAt.getTime(), job: tick.job };
  };
  // Minute by minute, so the simulation stops soon after the tag arrived.
  for (let until = push.pushedAt + MINUTE; !found && until <= push.pushedAt + push.limitMs; until += MINUTE) {
    await account.serve.runUntil(new Date(until), stored);
  }
  if (!found) throw new Error(`the tag ${key}:${push.tag} was not in SQL ${push.limitMs / 1000} s after its push`);
  return { repository: key, seconds: (found.at - push.pushedAt) / 1000, job: found.job };
}

/** The p-th percentile (0..100) by the nearest-rank method. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export interface JobCost {
  job: string;
  schedule: string;
  ticksPerDay: number;
  /** Ticks seen in the simulated window, and their requests. */
  ticks: number;
  requests: number;
  requestsPerDay: number;
}

export interface IdleCost {
  hours: number;
  jobs: JobCost[];
  requestsPerDay: number;
  requestsPerMinute: number;
  /** The most requests any one minute of the window saw, and when. */
  busiestMinute: { requests: number; at: string; jobs: string[] };
  ticks: TickRecord[];
}

/** Times `schedule` fires in the day after `from`. */
export function ticksPerDay(schedule: string, from: Date): number {
  let n = 0;
  for (let at = nextRunOf(schedule, from); at && at.getTime() <= from.getTime() + DAY; at = nextRunOf(schedule, at)) n++;
  return n;
}

/**
 * `hours` of ticks from the next full hour with nothing happening on the account. A job that did
 * not tick in the window (a daily one) is measured by one tick of its own.
 */
export async function measureIdleCost(account: Account, hours: number): Promise<IdleCost> {
  const from = new Date(Math.ceil((account.clock.now() + 1) / HOUR) * HOUR - 1);
  await account.serve.runUntil(from);
  const ticks = await account.serve.runUntil(new Date(from.getTime() + hours * HOUR));
  const jobs: JobCost[] = [];
  for (const job of account.serve.jobs) {
    let own = ticks.filter((t) => t.job === job.name);
    if (own.length === 0) own = [await account.serve.runNow(job.name)];
    const requests = own.reduce((n, t) => n + t.requests, 0);
    const perDay = ticksPerDay(job.schedule, from);
    jobs.push({ job: job.name, schedule: job.schedule, ticksPerDay: perDay, ticks: own.length, requests, requestsPerDay: Math.round((requests / own.length) * perDay) });
  }
  const requestsPerDay = jobs.reduce((n, j) => n + j.requestsPerDay, 0);
  return { hours, jobs, requestsPerDay, requestsPerMinute: requestsPerDay / 1440, busiestMinute: busiestMinute(ticks), ticks };
}

function busiestMinute(ticks: readonly TickRecord[]): IdleCost['busiestMinute'] {
  const minutes = new Map<number, TickRecord[]>();
  for (const tick of ticks) {
    const minute = Math.floor(tick.scheduledAt.getTime() / MINUTE);
    minutes.set(minute, [...(minutes.get(minute) ?? []), tick]);
  }
  let best: IdleCost['busiestMinute'] = { requests: 0, at: '', jobs: [] };
  for (const [minute, list] of minutes) {
    const requests = list.reduce((n, t) => n + t.requests, 0);
    if (requests > best.requests) best = { requests, at: new Date(minute * MINUTE).toISOString().slice(11, 16), jobs: list.filter((t) => t.requests > 0).map((t) => t.job) };
  }
  return best;
}
