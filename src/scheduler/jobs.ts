import { cronProblem, nextRunOf } from './cron.js';

/**
 * Which endpoints run together, and when. A job is one croner schedule that runs its endpoints
 * in registry order in one pass, so an endpoint chained from another (`parent`) sees what its
 * parent just wrote. Everything is derived from the registry's declarations.
 */

/** What the planner needs of a registry entry (see EndpointDefinition: schedule, job, parent). */
export interface ScheduledEndpoint {
  name: string;
  /** Default cron schedule of the job it starts, named after it. */
  schedule?: string | undefined;
  /** The job it shares with other endpoints, and that job's default schedule. */
  job?: { name: string; schedule: string } | undefined;
  /** A chained endpoint runs in its parent's job. */
  parent?: string | undefined;
}

export interface JobSpec {
  /** Stable name: in run groups, logs, metrics and `schedules` keys. */
  name: string;
  schedule: string;
  /** Where the schedule came from: `default (<endpoint>)` or `schedules.<key>`. */
  scheduleSource: string;
  /** Registry order: parents before the endpoints chained from them. */
  endpoints: string[];
}

export interface JobPlan {
  jobs: JobSpec[];
  /** endpoint name → job name. */
  jobOf: Map<string, string>;
  /** Every problem with the `schedules` config, each naming its key; empty when usable. */
  problems: string[];
}

/** The endpoint a chained one follows, while it is in the registry (and not a loop). */
function parentIn(byName: ReadonlyMap<string, ScheduledEndpoint>, name: string, seen: Set<string>): ScheduledEndpoint | undefined {
  const parent = byName.get(name)?.parent;
  if (!parent || !byName.has(parent) || seen.has(parent)) return undefined;
  seen.add(name);
  return byName.get(parent);
}

/** The job an endpoint belongs to by its declarations: its root's shared job, or its root's own. */
function declaredJob(byName: ReadonlyMap<string, ScheduledEndpoint>, name: string): { job: string; schedule: string | undefined; root: string } {
  const seen = new Set<string>();
  let root = byName.get(name)!;
  for (let parent = parentIn(byName, name, seen); parent; parent = parentIn(byName, root.name, seen)) root = parent;
  return { job: root.job?.name ?? root.name, schedule: root.job?.schedule ?? root.schedule, root: root.name };
}

/** The jobs the declarations make, without overrides: what `schedules` may name besides endpoints. */
export function jobNamesOf(registry: readonly ScheduledEndpoint[]): string[] {
  const byName = new Map(registry.map((endpoint) => [endpoint.name, endpoint]));
  return [...new Set(registry.map((endpoint) => declaredJob(byName, endpoint.name).job))];
}

/**
 * The one check of `schedules`: each key must name an endpoint or a job, and each expression
 * must be cron that croner runs and that fires at all. `where` names a key in messages (its file
 * or variable); `suggest` proposes a near name. Run on the raw input by loadConfig (a key such as
 * `__proto__` would not survive being copied), and by planJobs on what it is given.
 */
export function scheduleProblems(
  raw: unknown,
  registry: readonly ScheduledEndpoint[],
  now: Date,
  where: (key: string) => string = (key) => `schedules.${key}`,
  suggest?: (key: string, names: readonly string[]) => string | undefined,
): string[] {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return [];
  const endpointNames = registry.map((e) => e.name);
  const jobNames = jobNamesOf(registry).filter((n) => !endpointNames.includes(n));
  const names = [...endpointNames, ...jobNames];
  const problems: string[] = [];
  for (const key of Object.keys(raw)) {
    const expression = (raw as Record<string, unknown>)[key];
    if (!names.includes(key)) {
      const near = suggest?.(key, names);
      problems.push(
        `${where(key)}: there is no endpoint or job called "${key}". Endpoints: ${endpointNames.join(', ')}. Jobs: ${jobNames.join(', ')}.` +
          (near ? ` Did you mean "${near}"?` : ''),
      );
      continue;
    }
    if (typeof expression !== 'string') continue; // the schema reports the type
    const problem = cronProblem(expression.trim(), now);
    if (problem) {
      problems.push(
        `${where(key)}: "${expression.trim()}" is not a usable cron expression (${problem}). ` +
          'Use 5 fields (minute hour day month weekday, e.g. "*/15 * * * *") or 6 with seconds first.',
      );
    }
  }
  return problems;
}

/**
 * Build the jobs from the registry's declarations and the `schedules` overrides.
 *
 * - An endpoint with a `schedule` starts a job named after it; one with a `job` shares that job
 *   (its schedule is the job's); a chained endpoint runs in its parent's job, right after it.
 * - `schedules.<job>` sets a job's schedule (`repositories`, `organization`, `audit_logs` …).
 * - `schedules.<endpoint>` for an endpoint that is not its job's name takes it (and the
 *   endpoints chained from it) out into a job of its own, named after it, unless the expression
 *   is the job's own. Chained endpoints find their work in the tables, so they run correctly on
 *   their own schedule too; they just no longer follow their parent immediately.
 */
export function planJobs(registry: readonly ScheduledEndpoint[], overrides: Readonly<Record<string, string>>, now = new Date()): JobPlan {
  const byName = new Map(registry.map((endpoint) => [endpoint.name, endpoint]));
  const problems = scheduleProblems(overrides, registry, now);
  const valid = new Map(Object.entries(overrides).filter(([key]) => !problems.some((p) => p.startsWith(`schedules.${key}:`))).map(([key, raw]) => [key, String(raw).trim()]));
  const jobs = new Map<string, JobSpec>();
  const jobOf = new Map<string, string>();
  const resolve = (name: string, seen = new Set<string>()): string => {
    const known = jobOf.get(name);
    if (known) return known;
    const parent = parentIn(byName, name, seen);
    let job = parent ? resolve(parent.name, seen) : declaredJob(byName, name).job;
    if (!jobs.has(job)) {
      const declared = declaredJob(byName, name);
      const own = valid.get(job);
      if (declared.schedule === undefined && own === undefined) problems.push(`endpoint ${name}: no schedule is declared for its job "${job}"`);
      jobs.set(job, { name: job, schedule: own ?? declared.schedule ?? '', scheduleSource: own ? `schedules.${job}` : `default (${name})`, endpoints: [] });
    }
    const override = valid.get(name);
    if (override !== undefined && name !== job && override !== jobs.get(job)!.schedule) {
      job = name;
      jobs.set(job, { name: job, schedule: override, scheduleSource: `schedules.${name}`, endpoints: [] });
    }
    jobOf.set(name, job);
    return job;
  };
  for (const endpoint of registry) jobs.get(resolve(endpoint.name))!.endpoints.push(endpoint.name);
  for (const endpoint of registry) {
    const shared = endpoint.job && jobs.get(endpoint.job.name);
    if (shared && shared.scheduleSource.startsWith('default') && endpoint.job!.schedule !== shared.schedule) {
      problems.push(`endpoint ${endpoint.name}: job "${endpoint.job!.name}" is declared with "${endpoint.job!.schedule}" here and "${shared.schedule}" elsewhere`);
    }
  }
  return { jobs: [...jobs.values()].filter((job) => job.endpoints.length > 0), jobOf, problems };
}

export interface EndpointSchedule {
  job: string;
  schedule: string;
  nextRun: Date | null;
}

/** When each endpoint runs next under `plan` (for `status`; computed, nothing is started). */
export function endpointSchedules(plan: JobPlan, now: Date): Map<string, EndpointSchedule> {
  const out = new Map<string, EndpointSchedule>();
  for (const job of plan.jobs) {
    const nextRun = nextRunOf(job.schedule, now);
    for (const endpoint of job.endpoints) out.set(endpoint, { job: job.name, schedule: job.schedule, nextRun });
  }
  return out;
}
