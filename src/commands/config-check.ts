import { loadConfig, nearest, type Config, type ConfigCheck, type LoadConfigOptions } from '../config.js';
import { customEndpointProblems, DEFAULT_CUSTOM_SCHEDULE, parentName, type CustomEndpointConfig } from '../custom/config.js';
import { endpoints } from '../endpoints/index.js';
import { cronProblem } from '../scheduler/cron.js';
import { planJobs, type ScheduledEndpoint } from '../scheduler/jobs.js';

/**
 * The checks of the configuration that need the endpoint registry: the names `schedules` may
 * use (endpoints and jobs) and what custom endpoints may be chained to or collide with. They run
 * inside loadConfig (its `check`), so every problem of a configuration is listed at once.
 */

/** An entry of the registry as the checks see it. */
export type RegisteredEndpoint = ScheduledEndpoint & { tables?: readonly string[] };

/** The checks against `registry` (the built-ins; the config's own custom endpoints are added to them). */
export function registryCheck(registry: readonly RegisteredEndpoint[]): ConfigCheck {
  return ({ input, now, where }) => [
    ...scheduleProblems(input.schedules, [...registry, ...customScheduled(input.endpoints)], now, (key) => where(`schedules.${key}`)),
    ...customEndpointProblems(
      input.endpoints,
      {
        builtins: registry.map((b) => ({ name: b.name, tables: b.tables ?? [] })),
        apiUrl: typeof (input.hub as { apiUrl?: unknown } | undefined)?.apiUrl === 'string' ? String((input.hub as { apiUrl: string }).apiUrl) : 'https://hub.docker.com',
        now,
      },
      where,
    ),
  ];
}

/** The configuration as every command reads it: loadConfig with the checks against the built-in endpoints. */
export function loadCommandConfig(options: Omit<LoadConfigOptions, 'check'> = {}): Config {
  return loadConfig({ ...options, check: registryCheck(endpoints) });
}

/** The config's custom endpoints as the scheduler sees them (for the names `schedules` may use). */
function customScheduled(raw: unknown): ScheduledEndpoint[] {
  if (!Array.isArray(raw)) return [];
  return raw
    .filter((item): item is CustomEndpointConfig => item !== null && typeof item === 'object' && typeof (item as { name?: unknown }).name === 'string' && typeof (item as { path?: unknown }).path === 'string')
    .map((item) => ({ name: item.name, schedule: typeof item.schedule === 'string' ? item.schedule : DEFAULT_CUSTOM_SCHEDULE, parent: parentName(item) }));
}

/**
 * Schedule keys must name an endpoint or a job, and their expressions must be cron that croner
 * runs and that fires at all. Checked on the raw input: a key such as `__proto__` would not
 * survive being copied into a plain object.
 */
function scheduleProblems(
  raw: unknown,
  registry: readonly ScheduledEndpoint[],
  now: Date,
  where: (key: string) => string,
): string[] {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return [];
  const endpointNames = registry.map((e) => e.name);
  const jobNames = planJobs(registry, {}, undefined, now).jobs.map((j) => j.name).filter((n) => !endpointNames.includes(n));
  const names = [...endpointNames, ...jobNames];
  const problems: string[] = [];
  for (const key of Object.keys(raw)) {
    const expression = (raw as Record<string, unknown>)[key];
    if (!names.includes(key)) {
      const near = nearest(key, names);
      problems.push(
        `${where(key)}: there is no endpoint or job called "${key}"${near ? `; did you mean "${near}"?` : '.'} ` +
          `Endpoints: ${endpointNames.join(', ')}. Jobs: ${jobNames.join(', ')}.`,
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
