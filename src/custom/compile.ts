import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { rowsOf, type Database } from '../db/client.js';
import { buildUrl, createHubClient } from '../hub/client.js';
import { HubRequestRefusedError } from '../hub/errors.js';
import { headerProblem } from '../hub/request-rules.js';
import type { Query } from '../hub/types.js';
import type { EndpointDefinition, EndpointRequest, Slice, SliceRun, SyncDeps, SyncPlan } from '../sync/context.js';
import { comparable } from '../sync/chaining.js';
import { partitionSlices, type Partition } from '../sync/partition.js';
import { isTimeMacro, macroResolver, parseMacro, placeholdersIn, renderTemplate, renderValue, valuesResolver } from '../templating/template.js';
import { ABSOLUTE_URL, COLUMN_TYPES, DEFAULT_CUSTOM_SCHEDULE, hubShapeOf, macroNames, parentName, viewPathSegments, type ColumnType, type CustomEndpointConfig } from './config.js';
import { recordSchema } from './records.js';
import { customRecordsSpec, runCustomPages, type CustomSliceState, type PreparedRequest } from './run.js';

/**
 * A user-defined endpoint compiled into the same EndpointDefinition the built-ins are: the
 * runner, the scheduler, `status`, `--only` and metrics treat both alike.
 */
export interface CustomEndpointDefinition extends EndpointDefinition {
  readonly custom: CompiledCustom;
}

export interface CompiledColumn {
  name: string;
  type: ColumnType;
  /** Where the value is in `data` (`_parent` first for a parent's field). */
  segments: string[];
}

export interface CompiledCustom {
  config: CustomEndpointConfig;
  /** What a record must satisfy to be stored (keys present, declared column values that fit). */
  schema: z.ZodType<Record<string, unknown>>;
  /** The endpoint it is chained to, if any (built-in or custom). */
  parent: { name: string; kind: 'builtin'; table: string } | { name: string; kind: 'custom' } | undefined;
  /** Parent fields copied into each record under `_parent`. */
  parentFields: string[];
  /** The slice dimension: one request per organization, per namespace, per parent row, or one. */
  per: 'org' | 'namespace' | 'parent' | 'none';
  keys: string[];
  columns: CompiledColumn[];
  /** Reads a window or a filtered subset (time macros, {cursor}, {last_run}): never decides deletions. */
  windowed: boolean;
  /** The parent field of refreshWhen (`repositories.last_updated` → `last_updated`). */
  refreshField: string | undefined;
}

export function isCustomEndpoint(endpoint: EndpointDefinition): endpoint is CustomEndpointDefinition {
  return 'custom' in endpoint && (endpoint as { custom?: unknown }).custom !== undefined;
}

export interface CompileContext {
  /** The endpoints a custom one may be chained to: the built-ins and the custom ones before it. */
  builtins: readonly EndpointDefinition[];
  /** hub.apiUrl: an absolute path on this origin is a relative one. */
  apiUrl: string;
}

/** Compile the config's endpoints (already checked), parents before their children. */
export function compileCustomEndpoints(entries: readonly CustomEndpointConfig[], context: CompileContext): CustomEndpointDefinition[] {
  const byName = new Map(entries.map((entry) => [entry.name, entry]));
  const ordered: CustomEndpointConfig[] = [];
  const visit = (entry: CustomEndpointConfig, trail: string[]) => {
    if (ordered.includes(entry) || trail.includes(entry.name)) return;
    const parent = parentName(entry);
    const parentEntry = parent ? byName.get(parent) : undefined;
    if (parentEntry) visit(parentEntry, [...trail, entry.name]);
    ordered.push(entry);
  };
  for (const entry of entries) visit(entry, []);
  return ordered.map((entry) => compileCustomEndpoint(entry, context, byName));
}

function compileCustomEndpoint(
  entry: CustomEndpointConfig,
  context: CompileContext,
  customs: ReadonlyMap<string, CustomEndpointConfig>,
): CustomEndpointDefinition {
  const names = macroNames(entry);
  const parentEndpoint = parentName(entry);
  let parent: CompiledCustom['parent'];
  if (parentEndpoint) {
    const builtin = context.builtins.find((b) => b.name === parentEndpoint);
    if (builtin) parent = { name: builtin.name, kind: 'builtin', table: builtin.tables[0]! };
    else if (customs.has(parentEndpoint)) parent = { name: parentEndpoint, kind: 'custom' };
  }
  const fieldsUsed = names.filter((n) => n.startsWith(`${parentEndpoint}.`)).map((n) => n.slice(parentEndpoint!.length + 1));
  const refreshField = entry.refreshWhen ? entry.refreshWhen.slice(entry.refreshWhen.indexOf('.') + 1) : undefined;
  const parentFields = [...new Set([...fieldsUsed, ...(refreshField ? [refreshField] : []), ...(entry.includeFromParent ?? [])])];
  const per: CompiledCustom['per'] = parent ? 'parent' : names.includes('org') ? 'org' : names.includes('namespace') ? 'namespace' : 'none';
  const keys = entry.key === undefined ? [] : typeof entry.key === 'string' ? [entry.key] : entry.key;
  const columns: CompiledColumn[] = Object.entries(entry.columns).map(([name, spec]) => {
    const typeText = (typeof spec === 'string' ? spec : spec.type).trim().toLowerCase() as keyof typeof COLUMN_TYPES;
    const path = typeof spec === 'string' ? name : (spec.path ?? name);
    return { name, type: COLUMN_TYPES[typeText], segments: viewPathSegments(path) ?? [name] };
  });
  const expressions = [...placeholdersIn(entry.path), ...placeholdersIn(entry.query), ...placeholdersIn(entry.headers), ...placeholdersIn(entry.body ?? null)];
  const alternatives = expressions.flatMap((e) => parseMacro(e).alternatives);
  const windowed = entry.cursor !== undefined || alternatives.some((a) => isTimeMacro(a) || a === 'cursor' || a === 'last_run');
  const schema = recordSchema({ keys, columns: columns.filter((c) => c.segments[0] !== '_parent') });
  const compiled: CompiledCustom = { config: entry, schema, parent, parentFields, per, keys, columns, windowed, refreshField };

  return {
    name: entry.name,
    title: entry.title ?? `custom endpoint ${entry.method} ${entry.path}`,
    reference: 'https://docs.docker.com/reference/api/hub/latest/',
    tables: ['custom_records'],
    schedule: entry.schedule ?? DEFAULT_CUSTOM_SCHEDULE,
    ...(parent ? { parent: parent.name } : {}),
    custom: compiled,
    // Requests to a relative path are counted under this endpoint's name in the metrics.
    ...(/^https?:\/\//i.test(entry.path) ? {} : { template: { path: entry.path.split('?')[0]!, shape: 'object' as const } }),
    partition: customPartition(compiled),
    slices: (plan, deps) => customSlices(compiled, plan, deps),
    run: (run: SliceRun) => runCustom(compiled, context.apiUrl, run),
    request(slice: Slice): EndpointRequest {
      const prepared = prepareRequest(compiled, slice, { state: undefined, now: new Date(), apiUrl: context.apiUrl });
      return {
        path: prepared.request.path,
        query: prepared.request.query,
        shape: hubShapeOf(entry.pagination),
        schema: z.unknown(),
      };
    },
  };
}

/** One slice of a config endpoint: its request filled in, its pages through the engine (or, orphaned, its records removed). */
async function runCustom(compiled: CompiledCustom, apiUrl: string, run: SliceRun): Promise<void> {
  const { config: entry, schema, keys, parent, windowed, refreshField } = compiled;
  if (run.slice.orphaned) return removeOrphaned(run);
  // --full ignores cursors: {cursor} and {last_run} fall back as on a first pass.
  const stored = await run.getCursor<CustomSliceState>();
  const state = run.plan.full && stored ? { ...stored, cursor: undefined, last_run: undefined } : stored;
  const startedAt = run.now();
  const prepared = prepareRequest(compiled, run.slice, { state, now: new Date(startedAt), apiUrl });
  const foreign = prepared.origin ? createHubClient({ baseUrl: prepared.origin, logger: run.logger, maxResponseBytes: run.deps.config.hub.maxResponseBytes }) : undefined;
  try {
    await runCustomPages(run, {
      request: prepared.request,
      client: foreign ?? run.deps.client,
      pagination: entry.pagination,
      pageSize: entry.pageSize,
      dataPath: entry.dataPath,
      metadataPath: entry.metadataPath,
      schema,
      keys,
      cursorPath: entry.cursor,
      parentFields: parent ? parentFieldsOf(compiled, run.slice) : undefined,
      deletions: !windowed,
      state,
      refresh: refreshField ? comparable(run.slice.parent?.[refreshField]) : undefined,
      startedAt,
      label: `${entry.name}${run.slice.key ? ` (${run.slice.key})` : ''}`,
    });
  } finally {
    await foreign?.close();
  }
}

function parentFieldsOf(compiled: CompiledCustom, slice: Slice): Record<string, unknown> {
  const row = slice.parent ?? {};
  return Object.fromEntries(compiled.parentFields.map((field) => [field, row[field] ?? null]));
}

export interface PrepareOptions {
  state: CustomSliceState | undefined;
  now: Date;
  apiUrl: string;
}

/**
 * The request of one slice with every macro filled in. Path values are percent-encoded as one
 * segment each; an absolute URL on the API's own origin becomes a path, one on an allowed host
 * comes back with its origin (it is sent by an anonymous client: no Docker Hub credentials).
 */
export function prepareRequest(compiled: CompiledCustom, slice: Slice, options: PrepareOptions): { request: PreparedRequest; origin?: string; url: string } {
  const { config } = compiled;
  const row = slice.parent ?? {};
  const values: Record<string, unknown> = {
    ...(slice.params.org !== undefined && compiled.per === 'org' ? { org: slice.params.org } : {}),
    ...(slice.params.namespace !== undefined && compiled.per === 'namespace' ? { namespace: slice.params.namespace } : {}),
    cursor: options.state?.cursor ?? null,
    last_run: options.state?.last_run ?? null,
    ...(compiled.parent ? { [compiled.parent.name]: row } : {}),
  };
  const resolve = macroResolver({ now: options.now, values: valuesResolver(values), timeUnit: config.timeUnit, dateFormat: config.dateFormat });
  const what = (key: string) => `${key} of endpoint ${config.name}`;
  const path = renderTemplate(config.path.trim(), resolve, { encode: 'path', what: what('path') });
  const query: Query = {};
  for (const [key, value] of Object.entries(renderValue(config.query, resolve, { what: what('query') }) as Record<string, unknown>)) {
    query[key] = value === null || value === undefined ? undefined : typeof value === 'object' ? JSON.stringify(value) : (value as string | number | boolean);
  }
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(renderValue(config.headers, resolve, { what: what('headers') }) as Record<string, unknown>)) {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    // The rule the config's headers passed at load, now on the filled-in value (never repeated: it may be a secret).
    const problem = headerProblem(key, text);
    if (problem) throw new HubRequestRefusedError(`${what(`header ${key}`)}: the filled-in value ${problem}; nothing was sent.`);
    headers[key] = text;
  }
  const body = config.body === undefined ? undefined : renderValue(config.body, resolve, { what: what('body') });
  const request: PreparedRequest = { method: config.method, path, query, headers, ...(body !== undefined ? { body } : {}) };
  const api = new URL(options.apiUrl);
  const absolute = ABSOLUTE_URL.exec(path);
  if (absolute) {
    // The path as written, not as URL parsing would normalize it: buildUrl judges it.
    const origin = new URL(absolute[0]).origin;
    request.path = path.slice(absolute[0].length) || '/';
    if (origin !== api.origin) return { request, origin, url: buildUrl(new URL(origin), request.path, request.query).toString() };
    const prefix = api.pathname.replace(/\/+$/, '');
    if (prefix && request.path.startsWith(`${prefix}/`)) request.path = request.path.slice(prefix.length);
  }
  return { request, url: buildUrl(api, request.path, request.query).toString() };
}

/**
 * The config's slice dimension as the engine's partition: one slice per organization or
 * namespace of the plan, one per live parent row (in the plan's namespaces and organizations),
 * or a single one. With refreshWhen, a parent row whose field has not moved since its slice was
 * last read is left out (a full pass reads all). Records read for a parent row that has since
 * been deleted go with it (as tags go with their repository): one slice each that reads nothing
 * and marks them deleted, also on a full pass.
 */
export function customPartition(compiled: CompiledCustom): Partition {
  switch (compiled.per) {
    case 'org':
      return { per: 'org', param: 'org' };
    case 'namespace':
      return { per: 'namespace', param: 'namespace' };
    case 'none':
      return { per: 'pass' };
    case 'parent':
      break;
  }
  const parent = compiled.parent!;
  const identity = [
    ...new Set(
      macroNames(compiled.config)
        .filter((n) => n.startsWith(`${parent.name}.`))
        .map((n) => n.slice(parent.name.length + 1)),
    ),
  ];
  const field = compiled.refreshField;
  return {
    parent: {
      endpoint: parent.name,
      rows: parent.kind === 'builtin' ? { table: parent.table, apiFields: true } : { records: true },
      // What the credential that serves a slice is chosen by.
      params: { namespace: 'namespace', org: 'org' },
      key: identity,
      fields: compiled.parentFields,
      within: 'namespace-or-org',
      refreshWhen: field
        ? {
            moved: [{ reason: 'moved', fields: [field] }],
            lastRead: (cursor) => (cursor !== null && typeof cursor === 'object' && 'refresh' in cursor ? { values: { moved: (cursor as { refresh: unknown }).refresh } } : undefined),
          }
        : undefined,
      orphans: liveSliceKeys,
    },
  };
}

/** The slices of one pass (see customPartition). */
export function customSlices(compiled: CompiledCustom, plan: SyncPlan, deps: SyncDeps): Promise<Slice[]> {
  return partitionSlices(customPartition(compiled), compiled.config.name, plan, deps);
}

/** Slices of an endpoint that hold live records. */
async function liveSliceKeys(database: Database, endpoint: string): Promise<Set<string>> {
  const result = await database.db.execute(sql`SELECT DISTINCT slice_key FROM dockerhub.custom_records WHERE endpoint = ${endpoint} AND deleted_at IS NULL`);
  return new Set(rowsOf<{ slice_key: string }>(result).map((r) => r.slice_key));
}

/**
 * The slice of a parent row that was deleted: its records are marked deleted (each in `changes`),
 * and its state is forgotten so that a parent that comes back is read again in full.
 */
async function removeOrphaned(run: SliceRun): Promise<void> {
  await run.transaction(async (tx) => {
    const deleted = await run.markMissing(tx, customRecordsSpec, { endpoint: run.endpoint, slice_key: run.slice.key }, 'record_key', []);
    await tx.execute(sql`DELETE FROM dockerhub.sync_state WHERE endpoint = ${run.endpoint} AND slice_key = ${run.slice.key}`);
    run.logger.info({ deleted: deleted.length }, `${run.endpoint} ${run.slice.key}: its parent row was deleted; its ${deleted.length} record(s) are marked deleted`);
  });
}
