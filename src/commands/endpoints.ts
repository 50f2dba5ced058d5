import { UsageError } from '../cli-errors.js';
import { buildRegistry, findIn } from '../custom/registry.js';
import { isCustomEndpoint } from '../custom/compile.js';
import { renderEndpoint } from '../custom/show.js';
import { planJobs } from '../scheduler/jobs.js';
import type { EndpointDefinition } from '../sync/context.js';
import { renderTable } from '../format.js';
import type { CommandContext } from './context.js';

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** `endpoints list` and `endpoints show <name>`: reads the config, writes nothing, sends nothing. */
export async function endpointsCommand(ctx: CommandContext, _values: Values, positionals: string[]): Promise<number> {
  const registry = buildRegistry(ctx.config);
  const [action, name] = positionals;
  if (action === 'list' && name === undefined) {
    ctx.stdout.write(`${renderTable(['endpoint', 'kind', 'parent', 'default schedule', 'title'], listEndpoints(registry))}\n`);
    return 0;
  }
  if (action === 'show' && name !== undefined) {
    const endpoint = findIn(registry, name);
    if (!endpoint) throw new UsageError(`Unknown endpoint "${name}". Endpoints: ${registry.map((e) => e.name).join(', ')}.`);
    ctx.stdout.write(`${renderEndpoint(endpoint)}\n`);
    return 0;
  }
  throw new UsageError('expects `endpoints list` or `endpoints show <name>`.');
}

/** One row per endpoint; the schedule is its job's by default (a chained endpoint's is its parent's). */
function listEndpoints(registry: readonly EndpointDefinition[]): string[][] {
  const plan = planJobs(registry, {});
  const scheduleOf = (name: string) => plan.jobs.find((job) => job.name === plan.jobOf.get(name))?.schedule ?? '-';
  return registry.map((e) => [e.name, isCustomEndpoint(e) ? 'custom' : 'built-in', e.parent ?? '-', scheduleOf(e.name), e.title]);
}
