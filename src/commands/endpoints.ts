import { UsageError } from '../cli-errors.js';
import { buildRegistry, findIn } from '../custom/registry.js';
import { listEndpoints, renderEndpoint } from '../custom/show.js';
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
