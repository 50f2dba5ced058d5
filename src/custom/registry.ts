import type { Config } from '../config.js';
import { endpoints as builtinEndpoints } from '../endpoints/index.js';
import type { EndpointDefinition } from '../sync/context.js';
import type { Logger } from 'pino';
import type { Database } from '../db/client.js';
import { compileCustomEndpoints, isCustomEndpoint } from './compile.js';
import { DEFAULT_CUSTOM_SCHEDULE } from './config.js';
import { cronProblem, longestGapMs } from '../scheduler/cron.js';
import { syncCustomViews, type ViewSyncResult } from './views.js';

/**
 * The registry of one process: the built-in endpoints, then the config's own (parents before the
 * endpoints chained from them). Commands build it once from the config and pass it on: the
 * runner (`SyncDeps.registry`), the scheduler's job plan, `status`, `test-endpoint`.
 */
export function buildRegistry(config: Pick<Config, 'endpoints' | 'hub'>, builtins: readonly EndpointDefinition[] = builtinEndpoints): EndpointDefinition[] {
  return [...builtins, ...compileCustomEndpoints(config.endpoints ?? [], { builtins, apiUrl: config.hub.apiUrl })];
}

/** The schedule of the job a chained endpoint would run in: its parents', up to the first one that has one. */
function parentJobSchedule(registry: readonly EndpointDefinition[], schedules: Readonly<Record<string, string>>, parent: string | undefined): string | undefined {
  const seen = new Set<string>();
  for (let name = parent; name && !seen.has(name); ) {
    seen.add(name);
    if (schedules[name]) return schedules[name];
    const endpoint = findIn(registry, name);
    if (!endpoint) return undefined;
    if (!endpoint.parent) return schedules[endpoint.job?.name ?? endpoint.name] ?? endpoint.job?.schedule ?? endpoint.schedule;
    name = endpoint.parent;
  }
  return undefined;
}

/**
 * `schedules` as the job planner takes them, with the schedule a chained custom endpoint names
 * itself (it then runs on its own schedule instead of right after its parent). A chained custom
 * endpoint without `refreshWhen` reads every parent row each run, so under a parent ticking more
 * often than hourly (the repositories job ticks every minute) it runs hourly instead, in a job of
 * its own. An entry in `schedules` wins over the endpoint's own.
 */
export function scheduleOverrides(config: Pick<Config, 'schedules'>, registry: readonly EndpointDefinition[], now = new Date()): Record<string, string> {
  const out: Record<string, string> = {};
  for (const endpoint of registry) {
    if (!isCustomEndpoint(endpoint) || !endpoint.parent) continue;
    if (endpoint.custom.config.schedule) {
      out[endpoint.name] = endpoint.custom.config.schedule;
      continue;
    }
    if (endpoint.custom.config.refreshWhen) continue;
    const parentSchedule = parentJobSchedule(registry, { ...out, ...config.schedules }, endpoint.parent);
    const gap = parentSchedule && !cronProblem(parentSchedule, now) ? longestGapMs(parentSchedule, now) : null;
    if (gap !== null && gap < 3_600_000) out[endpoint.name] = DEFAULT_CUSTOM_SCHEDULE;
  }
  return { ...out, ...config.schedules };
}

/** An endpoint by name, or undefined. */
export function findIn(registry: readonly EndpointDefinition[], name: string): EndpointDefinition | undefined {
  return registry.find((endpoint) => endpoint.name === name);
}

/**
 * After migrations, at `sync` and `serve` start: the custom_* views follow the config (failures
 * are logged, not fatal). Only a config with an `endpoints:` section speaks for the views: a run
 * without one (a plain `sync` without --config, a config of other settings) leaves them alone.
 */
export async function applyCustomViews(
  database: Database,
  registry: readonly EndpointDefinition[],
  config: Pick<Config, 'databaseReaderRole' | 'endpoints'>,
  logger: Logger,
): Promise<ViewSyncResult> {
  if (config.endpoints === undefined) return { created: [], dropped: [], unchanged: [], failed: [] };
  return syncCustomViews(database, registry.filter(isCustomEndpoint), { readerRole: config.databaseReaderRole, logger });
}
