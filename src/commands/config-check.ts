import { loadConfig, nearest, type Config, type ConfigCheck, type LoadConfigOptions } from '../config.js';
import { customEndpointProblems, DEFAULT_CUSTOM_SCHEDULE, parentName, type CustomEndpointConfig } from '../custom/config.js';
import { endpoints } from '../endpoints/index.js';
import { scheduleProblems, type ScheduledEndpoint } from '../scheduler/jobs.js';

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
    ...scheduleProblems(input.schedules, [...registry, ...customScheduled(input.endpoints)], now, (key) => where(`schedules.${key}`), nearest),
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
