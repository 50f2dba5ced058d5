import { UsageError } from '../cli-errors.js';
import type { Config } from '../config.js';
import { openDatabase, type Database } from '../db/client.js';
import type { HubClient } from '../hub/client.js';
import { HubError } from '../hub/errors.js';
import type { EndpointDefinition, Slice, SyncDeps, SyncPlan } from '../sync/context.js';
import { customEndpointProblems, customEndpointSchema, paginatorOf, type CustomEndpointConfig } from './config.js';
import { firstPageAsk } from '../hub/pagination.js';
import { compileCustomEndpoints, customSlices, prepareRequest, type CustomEndpointDefinition } from './compile.js';
import { metadataOf, recordKeyOf, recordsOf } from './records.js';
import { createHubClient } from '../hub/client.js';

/**
 * `test-endpoint` for user-defined endpoints and for an ad-hoc `--path`: one request with the
 * macros filled in, then what the endpoint would store of it. Nothing is written.
 */

export interface AdHocFlags {
  path: string;
  method?: string | undefined;
  dataPath?: string | undefined;
  metadataPath?: string | undefined;
  query: string[];
  key?: string | undefined;
}

/** `--path /v2/... --query k=v --data-path ...` as an endpoint entry, checked like the config's. */
export function adHocEndpoint(flags: AdHocFlags, config: Config, builtins: readonly EndpointDefinition[]): CustomEndpointDefinition {
  const query: Record<string, string> = {};
  for (const pair of flags.query) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--query "${pair}" is not key=value.`);
    query[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const raw: Record<string, unknown> = {
    name: 'test',
    method: (flags.method ?? 'GET').toUpperCase(),
    path: flags.path,
    query,
    pagination: 'none',
    ...(flags.dataPath ? { dataPath: flags.dataPath } : {}),
    ...(flags.metadataPath ? { metadataPath: flags.metadataPath } : {}),
    ...(flags.key ? { key: flags.key } : {}),
  };
  const parsed = customEndpointSchema.safeParse(raw);
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map((i) => `--${String(i.path[0])}: ${i.message}`)),
    ...customEndpointProblems([raw], { builtins, apiUrl: config.hub.apiUrl, now: new Date() }).map((p) =>
      p.replace(/^endpoints\[0\]\.path/, '--path').replace(/^endpoints\[0\]\.query/, '--query').replace(/^endpoints\[0\]\.dataPath/, '--data-path').replace(/^endpoints\[0\]\.metadataPath/, '--metadata-path').replace(/^endpoints\[0\]\./, '--'),
    ),
  ];
  if (problems.length > 0 || !parsed.success) throw new UsageError(`cannot try this request:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  const entry: CustomEndpointConfig = parsed.data;
  return compileCustomEndpoints([...(config.endpoints ?? []), entry].filter((e, i, all) => e.name !== 'test' || i === all.length - 1), { builtins, apiUrl: config.hub.apiUrl }).find((e) => e.name === 'test')!;
}

export interface TryContext {
  config: Config;
  plan: SyncPlan;
  /** The client of the namespace tried. */
  clientFor: (slice: Slice) => HubClient;
  openDatabase?: () => Promise<Database>;
  limit: number;
  suggest: (body: unknown) => { path: string; items: number; fields: string[] }[];
}

/** Fetch one page of a custom endpoint and describe it; returns the lines to print. */
export async function tryCustomEndpoint(endpoint: CustomEndpointDefinition, context: TryContext): Promise<{ lines: string[]; ok: boolean }> {
  const { custom } = endpoint;
  const { config } = custom;
  const slice = await sampleSlice(endpoint, context);
  const prepared = prepareRequest(custom, slice, { state: undefined, now: new Date(), apiUrl: context.config.hub.apiUrl });
  const foreign = prepared.origin ? createHubClient({ baseUrl: prepared.origin, maxResponseBytes: context.config.hub.maxResponseBytes }) : undefined;
  const client = foreign ?? context.clientFor(slice);
  const paginated = config.pagination !== 'none';
  const paginator = paginatorOf(config.pagination);
  const query = paginator
    ? (firstPageAsk({ path: prepared.request.path, query: prepared.request.query, shape: 'auto', paginator, ...(config.pageSize !== undefined ? { pageSize: config.pageSize } : {}) }, new URL(prepared.origin ?? context.config.hub.apiUrl)).query ?? {})
    : { ...prepared.request.query, ...(paginated && config.pageSize !== null && !('page_size' in prepared.request.query) ? { page_size: config.pageSize ?? 100 } : {}) };
  let response;
  try {
    response = await client.request<unknown>({
      method: config.method,
      path: prepared.request.path,
      query,
      headers: prepared.request.headers,
      ...(prepared.request.body !== undefined ? { body: prepared.request.body } : {}),
      endpoint: `${endpoint.name}${slice.key ? ` (${slice.key})` : ''}`,
      cache: false,
    });
  } catch (error) {
    if (error instanceof HubError) {
      return { ok: false, lines: [`${config.method} ${prepared.url}`, `→ ${error.message}`, '', 'Nothing was written.'] };
    }
    throw error;
  } finally {
    await foreign?.close();
  }
  const records = recordsOf(response.body, config.dataPath);
  const metadata = metadataOf(response.body, config.metadataPath);
  const problems: string[] = [];
  const parsed = records.map((record, index) => {
    const checked = endpointSchema(endpoint).safeParse(record);
    if (!checked.success) problems.push(`  record ${index}: ${checked.error.issues.map((i) => i.message).join('; ')}`);
    return record;
  });
  const suggestions = context.suggest(response.body);
  const lines = [
    `${endpoint.name === 'test' ? 'ad-hoc request' : `${endpoint.name}: ${endpoint.title}`}`,
    `${config.method} ${response.url} → ${response.status}`,
    ...(prepared.origin ? [`(sent to ${prepared.origin} without the Docker Hub credentials)`] : []),
    `Data path: ${config.dataPath ?? '(default: the list in the response, or the whole object)'}`,
    '',
    `${records.length} record(s) in this response; ${records.length - problems.length} would be stored, ${problems.length} refused.`,
    ...problems.slice(0, 10),
    ...(custom.keys.length > 0 && parsed[0] ? [`First record key: ${JSON.stringify('key' in recordKeyOf(parsed[0], custom.keys) ? (recordKeyOf(parsed[0], custom.keys) as { key: string }).key : null)}`] : []),
    '',
    'Suggested data paths:',
    ...(suggestions.length > 0
      ? suggestions.map((p) => `  ${p.path}  (${p.items} item(s); fields: ${p.fields.slice(0, 12).join(', ')}${p.fields.length > 12 ? ', …' : ''})`)
      : response.body !== null && typeof response.body === 'object'
        ? ['  $  (the whole response is one record)']
        : ['  (none: the response holds no JSON records)']),
    '',
    `Metadata${config.metadataPath ? ` (${config.metadataPath})` : ' (set metadataPath to keep some)'}:`,
    JSON.stringify(metadata, null, 2),
    '',
    `Sample record(s) (first ${Math.min(context.limit, records.length)}):`,
    JSON.stringify(records.slice(0, context.limit), null, 2),
    '',
    'Nothing was written.',
  ];
  return { lines, ok: response.status < 300 };
}

function endpointSchema(endpoint: CustomEndpointDefinition) {
  return endpoint.custom.schema;
}

/** The first slice of a sync pass: the first organization or namespace, or the first live parent row. */
async function sampleSlice(endpoint: CustomEndpointDefinition, context: TryContext): Promise<Slice> {
  const { per } = endpoint.custom;
  if (per === 'org') {
    const org = context.plan.orgs[0];
    if (!org) throw new UsageError(`${endpoint.name} reads {org}: give --namespace <org> or set DOCKERHUB_ORGS / DOCKERHUB_NAMESPACES.`);
    return { key: org, params: { org } };
  }
  if (per === 'namespace') {
    const namespace = context.plan.namespaces[0];
    if (!namespace) throw new UsageError(`${endpoint.name} reads {namespace}: give --namespace <x> or set DOCKERHUB_NAMESPACES.`);
    return { key: namespace, params: { namespace } };
  }
  if (per === 'none') return { key: '', params: {} };
  const parent = endpoint.custom.parent!.name;
  if (!context.openDatabase) throw new UsageError(`${endpoint.name} is chained to ${parent}: its values come from the database.`);
  const database = await context.openDatabase();
  try {
    const slices = await customSlices(endpoint.custom, { ...context.plan, full: true }, { database } as SyncDeps);
    const first = slices[0];
    if (!first) throw new UsageError(`${endpoint.name} is chained to ${parent}, and the database holds no ${parent} row in these namespaces yet: run \`dockerhub-sync sync --only ${parent}\` first.`);
    return first;
  } finally {
    await database.close();
  }
}

export { openDatabase };
