import { UsageError } from '../cli-errors.js';
import { namespaceFlags } from '../config.js';
import { buildRegistry, findIn } from '../custom/registry.js';
import { isCustomEndpoint } from '../custom/compile.js';
import { adHocEndpoint, openDatabase, tryCustomEndpoint } from '../custom/try.js';
import { databaseOptions } from './context.js';
import { extractPage } from '../hub/pagination.js';
import { formatIssues } from '../hub/schemas.js';
import type { HubClient } from '../hub/client.js';
import type { HubClientSet } from '../hub/client-set.js';
import type { EndpointDefinition, EndpointRequest, Slice, SyncDeps, SyncPlan } from '../sync/context.js';
import type { ParentPartition } from '../sync/chaining.js';
import { perValues, sliceOf } from '../sync/partition.js';
import type { CommandContext } from './context.js';
import { hubClientsFromConfig } from './hub.js';
import { namespacesOf, scopeOfSlice } from '../hub/credentials.js';

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/**
 * JSONPath-style paths to every array of objects in a body, with how many items each holds:
 * where the records of an unfamiliar response live.
 */
export function suggestDataPaths(body: unknown, base = '$', depth = 0): { path: string; items: number; fields: string[] }[] {
  const out: { path: string; items: number; fields: string[] }[] = [];
  if (depth > 4 || body === null || typeof body !== 'object') return out;
  if (Array.isArray(body)) {
    const objects = body.filter((item) => item !== null && typeof item === 'object' && !Array.isArray(item)) as Record<string, unknown>[];
    if (objects.length > 0) {
      const fields = [...new Set(objects.flatMap((item) => Object.keys(item)))];
      out.push({ path: `${base}[*]`, items: body.length, fields });
      out.push(...suggestDataPaths(objects[0], `${base}[*]`, depth + 1));
    }
    return out;
  }
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    const path = /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${base}.${key}` : `${base}['${key}']`;
    out.push(...suggestDataPaths(value, path, depth + 1));
  }
  return out;
}

interface Sampling {
  registry: readonly EndpointDefinition[];
  plan: SyncPlan;
  /** Reads a parent's first item (the credential that serves the first namespace). */
  client: HubClient;
  deps: Pick<SyncDeps, 'config' | 'logger' | 'clients'>;
}

/**
 * A slice to try without a database, from the endpoint's partition: the first namespace,
 * organization or listed value of the pass, or (chained) the first item of its parent's listing.
 */
async function sampleSlice(endpoint: EndpointDefinition, sampling: Sampling): Promise<Slice> {
  const { partition } = endpoint;
  const { plan } = sampling;
  if (!partition) throw new UsageError(`${endpoint.name} declares no slices to try.`);
  if ('parent' in partition) return sampleChild(endpoint, partition.parent, sampling);
  if ('list' in partition) {
    const first = (await partition.list(plan, sampling.deps as SyncDeps))[0];
    if (first) return sliceOf(first, partition.sliceKey);
    throw new UsageError(`${endpoint.name} has nothing to try with this configuration${partition.needs ? `; it needs ${partition.needs}` : ''}.`);
  }
  if (partition.per === 'pass') return { key: '', params: {} };
  const value = partition.per === 'org' ? (plan.orgs[0] ?? plan.namespaces[0]) : perValues(partition.per, plan)[0];
  if (!value) {
    const where = { namespace: 'a namespace: --namespace x or DOCKERHUB_NAMESPACES', org: 'an organization: --namespace x or DOCKERHUB_ORGS', user: 'a login: DOCKERHUB_USERNAME' };
    throw new UsageError(`${endpoint.name} needs ${where[partition.per]}.`);
  }
  return sliceOf({ [partition.param]: value });
}

/** A chained endpoint's slice: its parameters from the first item of a sample of its parent (and the parent's own parameters). */
async function sampleChild(endpoint: EndpointDefinition, chain: ParentPartition, sampling: Sampling): Promise<Slice> {
  const parent = sampling.registry.find((e) => e.name === chain.endpoint);
  if (!parent) throw new UsageError(`${endpoint.name} is chained to ${chain.endpoint}, which is not an endpoint here.`);
  const parentSlice = await sampleSlice(parent, sampling);
  // The parent's own request, from its definition.
  const request = parent.request(parentSlice, sampling.plan);
  const first = await sampling.client.request<unknown>({
    path: request.path,
    query: { ...request.query, page_size: 1 },
    endpoint: `${parent.name} of ${parentSlice.key}`,
  });
  const item = (request.shape === 'object' ? first.body : extractPage(first.body)?.items[0]) as Record<string, unknown> | undefined;
  const row: Record<string, unknown> = { ...parentSlice.params, ...(item ?? {}) };
  const params = Object.entries(chain.params).map(([param, field]) => [param, row[field]] as const);
  if (!item || params.some(([, value]) => typeof value !== 'string' && typeof value !== 'number')) {
    throw new UsageError(`${parentSlice.key} has no ${parent.name} item to try ${endpoint.name} on.`);
  }
  return sliceOf(Object.fromEntries(params.map(([param, value]) => [param, String(value)])));
}

/** What `test-endpoint` prints about one answer: its records, how many are valid, where the data is. */
function describeAnswer(
  endpoint: EndpointDefinition,
  request: EndpointRequest,
  response: { body: unknown; url: string; status: number },
  limit: number,
): { lines: string[]; ok: boolean } {
  const page = request.shape === 'object' ? { items: [response.body] } : extractPage(response.body);
  const items = page?.items ?? [];
  let valid = 0;
  const problems: string[] = [];
  for (const [index, item] of items.entries()) {
    const parsed = request.schema.safeParse(item);
    if (parsed.success) valid++;
    else problems.push(`  item ${index}: ${formatIssues(parsed.error.issues)}`);
  }
  const lines: string[] = [
    `${endpoint.name}: ${endpoint.title}`,
    `GET ${response.url} → ${response.status}`,
    `Reference: ${endpoint.reference}`,
    `Tables: ${endpoint.tables.join(', ')}`,
    '',
    `${items.length} record(s) on this page${page && 'count' in page && page.count !== undefined ? ` of ${page.count}` : ''}; ${valid} valid, ${items.length - valid} invalid.`,
    ...problems.slice(0, 10),
    '',
    'Data paths in the response:',
    ...suggestDataPaths(response.body).map((p) => `  ${p.path}  (${p.items} item(s); fields: ${p.fields.slice(0, 12).join(', ')}${p.fields.length > 12 ? ', …' : ''})`),
    '',
    `Sample record(s) (first ${Math.min(limit, items.length)}):`,
    JSON.stringify(items.slice(0, limit), null, 2),
    '',
    'Nothing was written.',
  ];
  return { lines, ok: problems.length === 0 };
}

/** The Hub client of the credential serving `scope`, or its Enterprise Data API client for a request to that API. */
function clientFor(clients: HubClientSet, scope: string, request: EndpointRequest): HubClient {
  const credential = clients.forScope(scope);
  if (request.api !== 'data') return credential.client;
  if (!credential.data) {
    throw new UsageError(`${scope} is not served by an organization access token: the Enterprise Data API takes only an organization access token with Report Read (hub.credentials, kind: oat).`);
  }
  return credential.data;
}

export async function testEndpointCommand(ctx: CommandContext, values: Values, positionals: string[]): Promise<number> {
  const registry = buildRegistry(ctx.config);
  // `test-endpoint /v2/...` (or a URL) is the same as `--path /v2/...`.
  const looksLikePath = positionals[0] !== undefined && /^(\/|https?:\/\/)/i.test(positionals[0]);
  const name = looksLikePath ? undefined : positionals[0];
  if (looksLikePath && typeof values.path === 'string') throw new UsageError('give the path once: as the argument or as --path.');
  const adHocPath = looksLikePath ? positionals[0] : typeof values.path === 'string' ? values.path : undefined;
  if (name !== undefined && adHocPath !== undefined) throw new UsageError('give an endpoint name or --path, not both.');
  if (name === undefined && adHocPath === undefined) throw new UsageError('expects <name> (an endpoint), or --path /v2/... for an ad-hoc request.');
  if (adHocPath === undefined && (values['data-path'] !== undefined || values.query !== undefined || values['metadata-path'] !== undefined || values.method !== undefined)) {
    throw new UsageError('--data-path, --metadata-path, --query and --method go with --path (a configured endpoint has its own).');
  }
  const endpoint = adHocPath !== undefined
    ? adHocEndpoint(
        {
          path: adHocPath,
          method: typeof values.method === 'string' ? values.method : undefined,
          dataPath: typeof values['data-path'] === 'string' ? values['data-path'] : undefined,
          metadataPath: typeof values['metadata-path'] === 'string' ? values['metadata-path'] : undefined,
          query: Array.isArray(values.query) ? values.query.map(String) : [],
        },
        ctx.config,
        registry.filter((e) => !isCustomEndpoint(e)),
      )
    : findIn(registry, name!);
  if (!endpoint) {
    throw new UsageError(`Unknown endpoint "${name}". Endpoints: ${registry.map((e) => e.name).join(', ')}.`);
  }
  const limit = values.limit === undefined ? 3 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit "${String(values.limit)}" must be a positive whole number.`);
  const { config } = ctx;
  const flagged = Array.isArray(values.namespace) ? namespaceFlags(values.namespace) : [];
  const listed = [...new Set([...config.namespaces, ...config.hub.credentials.flatMap(namespacesOf)])];
  const namespaces = flagged.length > 0 ? flagged : listed.length > 0 ? listed : config.hub.username ? [config.hub.username] : [];
  const plan: SyncPlan = {
    namespaces,
    orgs: flagged.length > 0 ? flagged : (config.orgs ?? namespaces),
    user: config.hub.username,
    full: false,
    dryRun: true,
    backfill: undefined,
  };
  // Like the npm library: reads are cached for a few minutes, so trying again is free.
  const clients = hubClientsFromConfig(config, ctx.env, ctx.logger, { cache: { ttlMs: 5 * 60_000 } });
  try {
    if (isCustomEndpoint(endpoint)) {
      const tried = await tryCustomEndpoint(endpoint, {
        config,
        plan,
        clientFor: (slice) => clients.forScope(scopeOfSlice(slice)).client,
        openDatabase: () => openDatabase({ ...databaseOptions(ctx), readOnly: true }),
        limit,
        suggest: (body) => suggestDataPaths(body),
      });
      ctx.stdout.write(`${tried.lines.join('\n')}\n`);
      return tried.ok ? 0 : 1;
    }
    // With a credential per namespace, the one serving the namespace tried.
    const lookup = clients.forScope(plan.namespaces[0] ?? plan.orgs[0] ?? '').client;
    const slice = await sampleSlice(endpoint, { registry, plan, client: lookup, deps: { config, logger: ctx.logger, clients } });
    const request: EndpointRequest = endpoint.request(slice, plan, { config });
    const client = clientFor(clients, scopeOfSlice(slice), request);
    const pageSize = request.shape === 'object' || request.shape === 'data' ? {} : request.shape === 'scim' ? { count: 100 } : { page_size: 100 };
    const query = { ...request.query, ...pageSize };
    const response = await client.request<unknown>({
      path: request.path,
      query,
      endpoint: `${endpoint.name} (${slice.key})`,
      ...(request.headers ? { headers: request.headers } : {}),
      ...(request.auth ? { auth: request.auth } : {}),
    });
    const { lines, ok } = describeAnswer(endpoint, request, response, limit);
    ctx.stdout.write(`${lines.join('\n')}\n`);
    return ok ? 0 : 1;
  } finally {
    await clients.close();
  }
}
