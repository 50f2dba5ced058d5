import { cronProblem, nextRunOf } from './cron.js';

/**
 * Which endpoints run together, and when. A job is one croner schedule that runs its endpoints
 * in registry order in one pass, so an endpoint chained from another (`parent`) sees what its
 * parent just wrote. Everything is derived from the registry except the groups below.
 */

/** What the planner needs of a registry entry. */
export interface ScheduledEndpoint {
  name: string;
  /** Default cron schedule. */
  schedule: string;
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

export interface JobGroup {
  name: string;
  /** Endpoints without a parent that share this job; their chained children come along. */
  members: readonly string[];
}

/**
 * Independent endpoints that share one job by default. The organization listings are small
 * (one or two requests per organization each) and read together make one consistent picture of
 * an organization per tick. An endpoint not named here gets a job of its own, named after it.
 */
export const DEFAULT_JOB_GROUPS: readonly JobGroup[] = [
  {
    name: 'organization',
    members: ['org_members', 'teams', 'org_settings', 'access_tokens', 'org_access_tokens', 'org_invites', 'scim_users'],
  },
];

export interface JobPlan {
  jobs: JobSpec[];
  /** endpoint name → job name. */
  jobOf: Map<string, string>;
  /** Every problem with the `schedules` config, each naming its key; empty when usable. */
  problems: string[];
}

/**
 * Build the jobs from the registry and the `schedules` overrides.
 *
 * - `schedules.<job>` sets a job's schedule (`repositories`, `organization`, `audit_logs` …).
 * - `schedules.<endpoint>` for an endpoint that is not its job's name takes it (and the
 *   endpoints chained from it) out into a job of its own, named after it, unless the expression
 *   is the job's own. Chained endpoints find their work in the tables, so they run correctly on
 *   their own schedule too; they just no longer follow their parent immediately.
 */
export function planJobs(
  registry: readonly ScheduledEndpoint[],
  overrides: Readonly<Record<string, string>>,
  groups: readonly JobGroup[] = DEFAULT_JOB_GROUPS,
  now = new Date(),
): JobPlan {
  const problems: string[] = [];
  const byName = new Map(registry.map((endpoint) => [endpoint.name, endpoint]));
  const groupOf = new Map<string, string>();
  for (const group of groups) {
    for (const member of group.members) if (byName.has(member)) groupOf.set(member, group.name);
  }

  // The job each endpoint belongs to before any split: its root's group, or its root.
  const defaultJob = (name: string, seen = new Set<string>()): string => {
    const endpoint = byName.get(name);
    if (endpoint?.parent && byName.has(endpoint.parent) && !seen.has(endpoint.parent)) {
      seen.add(name);
      return defaultJob(endpoint.parent, seen);
    }
    return groupOf.get(name) ?? name;
  };
  const jobNames = new Set(registry.map((endpoint) => defaultJob(endpoint.name)));

  const valid = new Map<string, string>();
  for (const [key, raw] of Object.entries(overrides)) {
    const expression = String(raw).trim();
    if (!byName.has(key) && !jobNames.has(key)) {
      problems.push(
        `schedules.${key}: there is no endpoint or job called "${key}". Endpoints: ${registry.map((e) => e.name).join(', ')}. ` +
          `Jobs: ${[...jobNames].join(', ')}.`,
      );
      continue;
    }
    const problem = cronProblem(expression, now);
    if (problem) {
      problems.push(
        `schedules.${key}: "${expression}" is not a usable cron expression (${problem}). ` +
          'Use 5 fields (minute hour day month weekday, e.g. "*/15 * * * *") or 6 with seconds first.',
      );
      continue;
    }
    valid.set(key, expression);
  }

  const jobs = new Map<string, JobSpec>();
  const jobOf = new Map<string, string>();
  const resolve = (name: string, seen = new Set<string>()): string => {
    const known = jobOf.get(name);
    if (known) return known;
    const endpoint = byName.get(name)!;
    let job: string;
    if (endpoint.parent && byName.has(endpoint.parent) && !seen.has(endpoint.parent)) {
      seen.add(name);
      job = resolve(endpoint.parent, seen);
    } else {
      job = groupOf.get(name) ?? name;
    }
    if (!jobs.has(job)) {
      // The job's first endpoint (its root) gives the default schedule.
      const own = valid.get(job);
      jobs.set(job, {
        name: job,
        schedule: own ?? endpoint.schedule,
        scheduleSource: own ? `schedules.${job}` : `default (${name})`,
        endpoints: [],
      });
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
