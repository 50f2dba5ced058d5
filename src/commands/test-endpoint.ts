import { UsageError } from '../cli-errors.js';
import { namespaceFlags } from '../config.js';
import { buildRegistry, findIn } from '../custom/registry.js';
import { isCustomEndpoint } from '../custom/compile.js';
import { adHocEndpoint, openDatabase, tryCustomEndpoint } from '../custom/try.js';
import { databaseOptions } from './context.js';
import { findEndpoint } from '../endpoints/index.js';
import { extractPage } from '../hub/pagination.js';
import { formatIssues } from '../hub/schemas.js';
import type { HubClient } from '../hub/client.js';
import type { EndpointDefinition, EndpointRequest, Slice, SyncPlan } from '../sync/context.js';
import type { CommandContext } from './context.js';
import { hubClientsFromConfig } from './hub.js';
import { namespacesOf, scopeOfSlice } from '../hub/credentials.js';
import { parseWatchedTag } from '../endpoints/watched-tags.js';

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

/** A slice to try without a database: the first namespace/org, or the first item of the parent listing. */
async function sampleSlice(
  endpoint: EndpointDefinition,
  plan: SyncPlan,
  client: HubClient,
  watchedTags: string[],
): Promise<Slice> {
  const namespace = plan.namespaces[0];
  const org = plan.orgs[0] ?? namespace;
  if (endpoint.name === 'watched_tags') {
    const value = watchedTags[0];
    if (!value) throw new UsageError('watched_tags needs DOCKERHUB_WATCHED_TAGS (namespace/repository:tag).');
    return { key: value, params: parseWatchedTag(value) };
  }
  if (endpoint.parent === 'repositories') {
    if (!namespace) throw new UsageError(`${endpoint.name} needs a namespace: --namespace x or DOCKERHUB_NAMESPACES.`);
    const parent = findEndpoint('repositories')!.request({ key: namespace, params: { namespace } }, plan);
    const first = await client.request<{ results?: { name: string }[] }>({
      path: parent.path,
      query: { ...parent.query, page_size: 1 },
      endpoint: `list repositories of ${namespace}`,
    });
    const repository = first.body.results?.[0]?.name;
    if (!repository) throw new UsageError(`${namespace} has no repository to try ${endpoint.name} on.`);
    return { key: `${namespace}/${repository}`, params: { namespace, repository } };
  }
  if (endpoint.parent === 'teams') {
    if (!org) throw new UsageError(`${endpoint.name} needs an organization: --namespace x or DOCKERHUB_ORGS.`);
    // The parent's own request, from its definition.
    const parent = findEndpoint('teams')!.request({ key: org, params: { org } }, plan);
    const first = await client.request<{ results?: { name: string }[] }>({
      path: parent.path,
      query: { ...parent.query, page_size: 1 },
      endpoint: `teams of ${org}`,
    });
    const team = first.body.results?.[0]?.name;
    if (!team) throw new UsageError(`${org} has no team to try ${endpoint.name} on.`);
    return { key: `${org}/${team}`, params: { org, team } };
  }
  if (endpoint.name === 'access_tokens') return { key: plan.user ?? 'me', params: { account: plan.user ?? 'me' } };
  // Repositories are per namespace; everything else is per organization (audit logs included).
  const value = endpoint.name === 'repositories' ? namespace : org;
  if (!value) throw new UsageError(`${endpoint.name} needs a namespace or organization: --namespace x, DOCKERHUB_NAMESPACES or DOCKERHUB_ORGS.`);
  return { key: value, params: { namespace: value, org: value, account: value } };
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
    const slice = await sampleSlice(endpoint, plan, lookup, config.sync.watchedTags);
    const client = clients.forScope(scopeOfSlice(slice)).client;
    const request: EndpointRequest = endpoint.request(slice, plan, { config });
    const pageSize = request.shape === 'object' || request.shape === 'data' ? {} : request.shape === 'scim' ? { count: 100 } : { page_size: 100 };
    const query = { ...request.query, ...pageSize };
    const response = await client.request<unknown>({
      path: request.path,
      query,
      endpoint: `${endpoint.name} (${slice.key})`,
      ...(request.headers ? { headers: request.headers } : {}),
      ...(request.auth ? { auth: request.auth } : {}),
    });
    const page = request.shape === 'object' ? { items: [response.body] } : extractPage(response.body);
    const items = page?.items ?? [];
    let valid = 0;
    const problems: string[] = [];
    for (const [index, item] of items.entries()) {
      const parsed = request.schema.safeParse(item);
      if (parsed.success) valid++;
      else problems.push(`  item ${index}: ${formatIssues(parsed.error.issues)}`);
    }
    const out: string[] = [
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
    ctx.stdout.write(`${out.join('\n')}\n`);
    return problems.length > 0 ? 1 : 0;
  } finally {
    await clients.close();
  }
}
