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
 *   the repositories job from the rules of "What a pass reads", the other jobs as measured idle;
 * - modelled daily cost of an idle organization before and after its listings followed the audit
 *   log (bench/org-cost.ts), against its target.
 *
 * To add a variant, push a FreshnessVariant onto `freshnessVariants`: its `settings` are config
 * overrides, its `attach` starts what it needs beside the simulated serve and gives the
 * `afterPush` run right after each push (the webhook, bench/webhook.ts, posts the hint there);
 * the report then shows its latency beside these. Another row of the cost table is a `CostRow`
 * pushed onto the rows `freshnessReport` returns (with a `target` of its own, or the idle budget).
 */
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { loadConfig, SERVE_REPOSITORY_LIST_INTERVAL_MS, type Config } from '../src/config.js';
import { rowsOf, type Database } from '../src/db/client.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import { Prng } from '../src/emulator/prng.js';
import { renderTable } from '../src/format.js';
import { longestGapMs, nextRunOf } from '../src/scheduler/cron.js';
import { DEFAULT_ORGANIZATION_MODEL, idleOrganizationDailyCost, type OrganizationModel } from './org-cost.js';
import { shiftedClock, simulateServe, type ShiftedClock, type SimulatedServe, type TickRecord } from './ticks.js';
import { WEBHOOK } from './webhook.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The targets of issue 27: 5% of Hub's 180 requests a minute for an idle account; a push in SQL within 2 minutes (p95). */
export const FRESHNESS_TARGETS = { idleRequestsPerMinute: 9, limitPerMinute: 180, pushToSqlP95Seconds: 120 } as const;

/** Settings of one column of the report: config overrides on top of the defaults. */
export interface FreshnessVariant {
  name: string;
  settings: Record<string, unknown>;
  /** Started on the account after its first pass; its afterPush runs right after each push (a webhook delivery, say). */
  attach?: (account: Account) => Promise<AttachedVariant>;
  /** The p95 push → SQL target (default FRESHNESS_TARGETS.pushToSqlP95Seconds). */
  p95TargetSeconds?: number;
}

export interface AttachedVariant {
  afterPush(push: PushContext): Promise<void>;
  close(): Promise<void>;
}

export interface PushContext {
  serve: SimulatedServe;
  emulator: RunningEmulator;
  database: Database;
  namespace: string;
  repository: string;
  tag: string;
}

/**
 * main's defaults before freshness became the default: hourly repositories job, every listing
 * complete, and every organization listing read completely each hour (no audit-log following).
 */
export const BEFORE: FreshnessVariant = {
  name: 'before (main: hourly complete reads)',
  settings: { 'sync.repositoryListInterval': '0s', 'sync.organizationSafetyNetInterval': '0s', schedules: { repositories: '0 * * * *' } },
};
/** The defaults as they are. */
export const AFTER: FreshnessVariant = { name: 'after (defaults)', settings: {} };

/** The variants the report measures, in order; add yours here. */
export const freshnessVariants: FreshnessVariant[] = [BEFORE, AFTER, WEBHOOK];

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

export interface PushSample {
  repository: string;
  /** Seconds from the push to the end of the tick that stored the tag. */
  seconds: number;
  /** The job whose tick stored it ('' when afterPush did). */
  job: string;
}

/**
 * Pushes a tag `samples` times, each to a seeded random repository at a seeded random second of
 * the next ten minutes (or the repositories job's period, if longer), then lets the simulated `serve` tick until the tag is in SQL (at most `limitMs`).
 */
export async function measurePushLatency(account: Account, attached: AttachedVariant | undefined, input: { samples: number; seed: number; limitMs?: number }): Promise<PushSample[]> {
  const prng = new Prng(input.seed);
  const random = () => prng.next();
  const repositories = Object.values(account.emulator.snapshot({ tags: false }).repositories).flat();
  const job = account.serve.jobs.find((j) => j.name === 'repositories')!;
  const window = Math.max(10 * MINUTE, longestGapMs(job.schedule, account.clock.date()) ?? HOUR);
  const out: PushSample[] = [];
  for (let i = 0; i < input.samples; i++) {
    const repo = repositories[Math.floor(random() * repositories.length)]!;
    const tag = `fresh-${input.seed}-${i}`;
    // A random second of the next `window`: uniform within the repositories job's period (the
    // previous sample ended right after one of its ticks), and over the samples the pushes walk
    // through the hour, landing before, between and after every kind of tick.
    await account.serve.runUntil(new Date(account.clock.now() + Math.floor(random() * window)));
    const pushedAt = account.clock.now();
    account.emulator.state.addTag(repo.namespace, repo.name, tag);
    await attached?.afterPush({ serve: account.serve, emulator: account.emulator, database: account.database, namespace: repo.namespace, repository: repo.name, tag });
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

/** An account with activity, modelled (issue 27: 10k repositories, 50 pulled and 5 pushed an hour). */
export interface ActiveAccountModel {
  repositories: number;
  namespaces: number;
  pulledPerHour: number;
  pushedPerHour: number;
  /** Average tag pages per repository (100 tags a page), from the emulator. */
  tagPagesPerRepository: number;
  tagRefreshDays: number;
}

/** How a variant runs the repositories job: a tick every `tickMinutes`, a complete listing every `completeEveryMinutes`. */
export interface RepositoriesRule {
  tickMinutes: number;
  completeEveryMinutes: number;
}

export interface ActiveDailyCost {
  list: number;
  details: number;
  tags: number;
  /** The other jobs (audit windows, organization listings, logins …) as measured on the idle account. */
  otherJobs: number;
  requestsPerDay: number;
  requestsPerMinute: number;
}

const pages = (n: number) => Math.max(1, Math.ceil(n / 100));

/**
 * The daily cost of the repositories job by the rules of "What a pass reads": a complete listing
 * reads every page of every namespace; a newest-first tick reads one page per namespace (a page
 * holds 100 repositories, far more than are pushed in a minute); a detail per pushed repository
 * (an upper bound: only a moved last_modified needs one); tags of every pushed repository, of
 * every repository pulled since the last complete listing (pull counts show there only), and the
 * safety net, every repository once per TAG_REFRESH_INTERVAL. Pushes and pulls are assumed to hit
 * different repositories each hour (an upper bound).
 */
export function activeDailyCost(model: ActiveAccountModel, rule: RepositoriesRule, otherJobsPerDay: number): ActiveDailyCost {
  const ticks = (24 * 60) / rule.tickMinutes;
  const complete = (24 * 60) / rule.completeEveryMinutes;
  const perNamespace = model.repositories / model.namespaces;
  const list = Math.round(complete * model.namespaces * pages(perNamespace) + (ticks - complete) * model.namespaces);
  const details = 24 * model.pushedPerHour;
  const pulledPerListing = Math.min(model.repositories, (model.pulledPerHour * rule.completeEveryMinutes) / 60);
  const tagReads = 24 * model.pushedPerHour + complete * pulledPerListing + model.repositories / model.tagRefreshDays;
  const tags = Math.round(tagReads * model.tagPagesPerRepository);
  const requestsPerDay = list + details + tags + otherJobsPerDay;
  return { list, details, tags, otherJobs: otherJobsPerDay, requestsPerDay, requestsPerMinute: requestsPerDay / 1440 };
}

/** The repositories rule a variant's config gives `serve`. */
export function repositoriesRuleOf(account: Account): RepositoriesRule {
  const job = account.serve.jobs.find((j) => j.name === 'repositories')!;
  const tickMinutes = 1440 / ticksPerDay(job.schedule, account.clock.date());
  const interval = account.config.sync.repositoryListInterval ?? SERVE_REPOSITORY_LIST_INTERVAL_MS;
  return { tickMinutes, completeEveryMinutes: Math.max(tickMinutes, Math.ceil(interval / MINUTE / tickMinutes) * tickMinutes) };
}

/** One line of the report's figure table (bench/run.ts adds these to its own). */
export interface FreshnessFigure {
  figure: string;
  value: number | null;
  measured: string;
  target: string;
  pass: boolean | null;
}

/** One row of the cost table: a variant (or anything else) on one scenario, per day. */
export interface CostRow {
  scenario: string;
  variant: string;
  requestsPerDay: number;
  requestsPerMinute: number;
  detail: string;
  /** Its own target (default: the idle budget, FRESHNESS_TARGETS.idleRequestsPerMinute). */
  target?: { requestsPerDay: number; text: string } | undefined;
}

export interface VariantResult {
  variant: string;
  p95Target: number;
  latency: PushSample[];
  p50: number;
  p95: number;
  idle: Omit<IdleCost, 'ticks'>;
  active: ActiveDailyCost;
}

export interface FreshnessReport {
  model: ActiveAccountModel;
  variants: VariantResult[];
  rows: CostRow[];
  figures: FreshnessFigure[];
  lines: string[];
}

export interface FreshnessInput {
  quick: boolean;
  seed: number;
  /** A fresh, migrated database per variant (closed by the caller's close()). */
  database: () => Promise<Database>;
  logger: Logger;
  progress?: (message: string) => void;
  tagPagesPerRepository?: number;
  variants?: readonly FreshnessVariant[];
}

async function measureVariant(input: FreshnessInput, variant: FreshnessVariant, model: ActiveAccountModel): Promise<VariantResult> {
  const database = await input.database();
  const account = await freshAccount({ seed: input.seed, scale: 1, database, logger: input.logger, settings: variant.settings });
  let attached: AttachedVariant | undefined;
  try {
    input.progress?.(`freshness, ${variant.name}: an idle hour of ticks`);
    const { ticks: _ticks, ...idle } = await measureIdleCost(account, 1);
    const slow = variant === BEFORE;
    const samples = input.quick ? (slow ? 3 : 8) : slow ? 8 : 30;
    input.progress?.(`freshness, ${variant.name}: ${samples} pushes`);
    attached = await variant.attach?.(account);
    const latency = await measurePushLatency(account, attached, { samples, seed: input.seed });
    const seconds = latency.map((s) => s.seconds);
    const otherJobs = idle.jobs.filter((j) => j.job !== 'repositories').reduce((n, j) => n + j.requestsPerDay, 0);
    const active = activeDailyCost(model, repositoriesRuleOf(account), otherJobs);
    const p95Target = variant.p95TargetSeconds ?? FRESHNESS_TARGETS.pushToSqlP95Seconds;
    return { variant: variant.name, p95Target, latency, p50: percentile(seconds, 50), p95: percentile(seconds, 95), idle, active };
  } finally {
    await attached?.close();
    await account.close();
    await database.close();
  }
}

/** Every freshness figure for every variant, as figure rows, cost rows and printable lines. */
export async function freshnessReport(input: FreshnessInput): Promise<FreshnessReport> {
  const model: ActiveAccountModel = {
    repositories: 10_000,
    namespaces: 1,
    pulledPerHour: 50,
    pushedPerHour: 5,
    tagPagesPerRepository: input.tagPagesPerRepository ?? 1,
    tagRefreshDays: 7,
  };
  const variants: VariantResult[] = [];
  for (const variant of input.variants ?? freshnessVariants) variants.push(await measureVariant(input, variant, model));
  const rows: CostRow[] = variants.flatMap((v) => [
    {
      scenario: 'idle account',
      variant: v.variant,
      requestsPerDay: v.idle.requestsPerDay,
      requestsPerMinute: v.idle.requestsPerMinute,
      detail: v.idle.jobs.map((j) => `${j.job} ${j.requestsPerDay}`).join(', '),
    },
    {
      scenario: `${model.repositories / 1000}k repositories`,
      variant: v.variant,
      requestsPerDay: v.active.requestsPerDay,
      requestsPerMinute: v.active.requestsPerMinute,
      detail: `list ${v.active.list}, details ${v.active.details}, tags ${v.active.tags}, other jobs ${v.active.otherJobs}`,
    },
  ]);
  rows.push(...organizationRows(DEFAULT_ORGANIZATION_MODEL));
  return { model, variants, rows, figures: figuresOf(variants, rows), lines: linesOf(model, variants, rows) };
}

/** An idle organization's day before and after its listings followed the audit log (modelled, bench/org-cost.ts), each against its target. */
export function organizationRows(model: OrganizationModel): CostRow[] {
  const label = { before: 'before (hourly complete reads)', after: 'after (audit log, daily safety net)' } as const;
  return (['before', 'after'] as const).map((rule) => {
    const cost = idleOrganizationDailyCost(model, rule);
    return {
      scenario: `idle organization (modelled, ${model.completeReadRequests} requests a complete read)`,
      variant: label[rule],
      requestsPerDay: cost.requestsPerDay,
      requestsPerMinute: cost.requestsPerDay / 1440,
      detail: `audit windows ${cost.auditRequests}, listings ${cost.listingRequests}; ${fmt(cost.shareOfLimit * 100, 2)}% of ${model.limitPerMinute}/min`,
      target: { requestsPerDay: cost.target, text: `≤ ${cost.target} a day (its audit windows and one safety-net read)` },
    };
  });
}

const fmt = (n: number, digits = 1) => n.toFixed(digits);

function figuresOf(variants: readonly VariantResult[], rows: readonly CostRow[]): FreshnessFigure[] {
  const { idleRequestsPerMinute: budget } = FRESHNESS_TARGETS;
  const figures: FreshnessFigure[] = [];
  for (const v of variants) {
    figures.push({
      figure: `push → SQL p50 / p95, ${v.variant}`,
      value: v.p95,
      measured: `${fmt(v.p50)} s / ${fmt(v.p95)} s (${v.latency.length} pushes)`,
      target: `p95 ≤ ${v.p95Target} s`,
      pass: v.p95 <= v.p95Target,
    });
  }
  for (const row of rows) {
    figures.push({
      figure: `requests a minute, ${row.scenario}, ${row.variant}`,
      value: row.requestsPerMinute,
      measured: `${fmt(row.requestsPerMinute, 2)} (${row.requestsPerDay} a day)`,
      target: row.target?.text ?? `≤ ${budget} (5% of ${FRESHNESS_TARGETS.limitPerMinute})`,
      pass: row.target ? row.requestsPerDay <= row.target.requestsPerDay : row.requestsPerMinute <= budget,
    });
  }
  for (const v of variants) {
    const b = v.idle.busiestMinute;
    figures.push({
      figure: `busiest idle minute, ${v.variant}`,
      value: b.requests,
      measured: `${b.requests} at :${b.at.slice(3)} (${b.jobs.join(', ')})`,
      target: `informational (the idle budget: ${budget} a minute on average)`,
      pass: null,
    });
  }
  return figures;
}

function linesOf(model: ActiveAccountModel, variants: readonly VariantResult[], rows: readonly CostRow[]): string[] {
  const table = (head: string[], body: (string | number)[][]) => renderTable(head, body).split('\n');
  return [
    'Freshness (emulator scale 1 over HTTP, serve\'s jobs on a shifted clock; idle: a first pass, then an hour of ticks with nothing happening):',
    ...table(
      ['variant', 'job', 'schedule', 'ticks a day', 'requests (ticks seen)', 'requests a day'],
      variants.flatMap((v) => v.idle.jobs.map((j) => [v.variant, j.job, j.schedule, j.ticksPerDay, `${j.requests} (${j.ticks})`, j.requestsPerDay])),
    ),
    '',
    `Daily cost: the idle account measured (logins fall in whichever job's tick finds the token expired); ${model.repositories} repositories in ${model.namespaces} namespace, ${model.pulledPerHour} pulled and ${model.pushedPerHour} pushed an hour, ` +
      `${fmt(model.tagPagesPerRepository, 2)} tag pages a repository, tags safety net every ${model.tagRefreshDays} d, modelled (other jobs as measured idle):`,
    ...table(['scenario', 'variant', 'requests a day', 'a minute', 'of which'], rows.map((r) => [r.scenario, r.variant, r.requestsPerDay, fmt(r.requestsPerMinute, 2), r.detail])),
  ];
}
