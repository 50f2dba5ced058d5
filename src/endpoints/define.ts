import { getTableName } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { z } from 'zod';
import type { PageShape, Query } from '../hub/types.js';
import type { EndpointDefinition, EndpointRequest, EndpointRequirement, JobDeclaration, Row, Slice, SliceRun, SyncDeps, SyncPlan } from '../sync/context.js';
import { BUILTIN_REQUIREMENTS } from './requirements.js';
import { HubNotFoundError } from '../hub/errors.js';
import { listPages, objectPage, runPageLoop, type CursorStrategy, type PageLoop, type PageLoopSummary } from '../sync/engine.js';
import { entitySpec } from '../sync/entities.js';
import type { EntitySpec } from '../sync/upsert.js';
import { rowMapper, type RowMapper, type RowMapping } from '../sync/mapping.js';
import { runWindowedSlice, type Window, type WindowReader } from '../sync/windows.js';
import type { ParentPartition, RefreshWhen } from '../sync/chaining.js';
import { partitionSlices, type Partition } from '../sync/partition.js';
import { dueOrgSlices, orgReadDue, type AuditTouches } from '../sync/audit-follow.js';
import type { Config } from '../config.js';
import { placeholdersIn, placeholdersOf, renderTemplate, renderValue, valuesResolver } from '../templating/template.js';

/** The parameters of one slice, by name: what `{org}` or `{team}` in the path expand to. */
export type SliceParams<K extends string> = Readonly<Record<K, string>>;

/**
 * Where an endpoint's slices come from (the engine's Partition, typed by the endpoint's
 * parameters):
 * - `per`: one slice per organization, namespace, or the authenticated user of the pass, its
 *   value under the parameter `param`;
 * - `list`: anything else (configured values, conditions on the credential);
 * - `parent`: one slice per live row of a parent endpoint's table (lookup chaining), each
 *   parameter read from a column of it, limited to the pass's organizations or namespaces
 *   through the column `within`, and, with `refreshWhen`, only when the row moved since.
 */
export type SliceSource<K extends string> =
  | { per: 'org' | 'namespace' | 'user'; param: K }
  | {
      list: (plan: SyncPlan, deps: SyncDeps) => Promise<SliceParams<K>[]>;
      params: readonly K[];
      needs?: string;
      copyAs?: { parent: string; params: Partial<Record<NoInfer<K>, string>>; literals?: Partial<Record<NoInfer<K>, string>> };
    }
  | {
      parent: string;
      table: PgTable;
      params: Record<K, string>;
      within: { field: string; plan: 'orgs' | 'namespaces' };
      refreshWhen?: RefreshWhen;
    };

/**
 * Time windows: the listing is read in `{window.from}`/`{window.to}` windows (placeholders of the
 * query), oldest first, growing over empty stretches (sync/windows.ts runWindowedSlice). An
 * endpoint read in windows can also be backfilled (`sync --backfill`).
 */
export interface WindowsCursor {
  windows: {
    /** Base window length, overlap and first-pass look-back (ms), from the config. */
    size: (config: Config) => number;
    overlap: (config: Config) => number;
    initialLookback: (config: Config) => number;
  };
}

/** What a cursor function sees besides the summary: the run, its parameters, when it started, the cursor stored before it. */
export interface ReadContext<K extends string> {
  run: SliceRun;
  params: SliceParams<K>;
  startedAt: string;
  /** The cursor stored before this run (read at its start for a chained endpoint with `refreshWhen`). */
  previous: unknown;
}

/** What a slice's cursor records (see CursorStrategy); a function may also read the run's context. */
export type SpecCursor<K extends string> = Exclude<CursorStrategy, (summary: PageLoopSummary) => unknown> | ((summary: PageLoopSummary, read: ReadContext<K>) => unknown);

/**
 * A read that need not be complete this time (between complete listings, newest first until
 * nothing changed). It never deletes: deletions follow only a complete listing. It records its
 * own cursor, so the complete listing's stays what the spec declares.
 */
export interface PartialRead<K extends string, S extends z.ZodType> {
  /** Whether this run is a partial one. */
  when: (run: SliceRun, params: SliceParams<K>) => Promise<boolean>;
  read: (run: SliceRun, params: SliceParams<K>) => RunParts<S>;
  cursor: (summary: PageLoopSummary) => unknown;
}

export interface EndpointSpec<K extends string, S extends z.ZodType> {
  name: string;
  title: string;
  /** Docker Hub API reference. */
  reference: string;
  /**
   * When `serve` runs it: `schedule`, a job of its own named after it; `job`, a job it shares
   * (the organization listings). A chained endpoint has neither: it runs in its parent's job,
   * right after it (`schedules.<name>` in the config takes it out).
   */
  schedule?: string;
  job?: JobDeclaration;
  /** The table its rows go to (other tables it writes: `alsoWrites`). */
  table: PgTable;
  request: {
    /** Relative to the API base; `{param}` expands to a slice parameter, percent-encoded as one segment. */
    path: string;
    query?: Query;
    /** How the answer holds its items: a page shape of the client, or one object. */
    shape: PageShape | 'object';
    /** Default 100; null sends none. */
    pageSize?: number | null;
    /** Extra headers (a token of its own); their values are never logged. */
    headers?: (params: SliceParams<NoInfer<K>>, deps: Pick<SyncDeps, 'config'>) => Record<string, string>;
    /** `none`: the login's token is not sent (the headers carry the credential). */
    auth?: 'none';
  };
  /** Names a slice's listing in logs and errors: `members of {org}`. */
  label: string;
  slices: SliceSource<K>;
  schema: S;
  /** Exceptions to "each column from the API field of the same name" (slice parameters fill same-named columns). */
  mapping?: RowMapping;
  /** Instead of the column mapping: the rows of one item (an item that holds several rows). */
  rows?: (raw: Record<string, unknown>, params: SliceParams<NoInfer<K>>, map: RowMapper) => Row[];
  /**
   * Deletions after a proven-complete listing: the slice parameters (columns of the table) that
   * bound it. The other key columns recognise a listed row. Omitted: never deletes.
   */
  deletes?: { scope: readonly NoInfer<K>[] };
  cursor: SpecCursor<NoInfer<K>> | WindowsCursor;
  /** A read that need not be complete on some runs (see PartialRead). */
  partial?: PartialRead<NoInfer<K>, S>;
  /** See PageLoop.enrich. */
  enrich?: (run: SliceRun, params: SliceParams<NoInfer<K>>) => Promise<((raw: Record<string, unknown>) => Record<string, unknown>) | undefined>;
  /** Tables its hooks write besides `table`, each its own (the images of tags, the pull history of repositories). */
  alsoWrites?: readonly PgTable[];
  /** See PageLoop.completeWhen. */
  completeWhen?: PageLoop['completeWhen'];
  /**
   * What a 404 for the slice means before anything was written: `skip` (the item is gone since
   * its parent was listed; the parent's next complete listing says so), or what to do about it.
   */
  notFound?: 'skip' | ((run: SliceRun, params: SliceParams<NoInfer<K>>) => Promise<void>);
  /** What one run adds to the page loop, decided when it starts: hooks that write the endpoint's other tables. */
  each?: (run: SliceRun, params: SliceParams<NoInfer<K>>) => Promise<RunParts<S>>;
  /** The metrics route of its requests, when not the endpoint's name (see server/hub-routes.ts). */
  route?: string;
  /** A slice's key from its parameters (default: the values joined by `/`). */
  sliceKey?: string;
  /**
   * An organization listing that follows the audit log (sync/audit-follow.ts): a slice is read
   * when an event that `touches` it was stored since its last read (such a read deletes
   * nothing), and completely on the safety-net interval; `org` names the organization parameter.
   */
  followsAudit?: { org: NoInfer<K>; touches: AuditTouches };
  /** Who may read it (default: its row in BUILTIN_REQUIREMENTS, src/endpoints/requirements.ts). */
  requires?: EndpointRequirement;
}

/** See EndpointSpec.each: what a run adds to the page loop. Deletions and the cursor are the spec's. */
export type RunParts<S extends z.ZodType = z.ZodType> = Partial<Pick<PageLoop<S>, 'rows' | 'afterPage' | 'afterListing' | 'stopAfter' | 'what'>> & {
  /** Replaces the request's query for this run. */
  query?: Query;
  /** Names the listing in request errors (default: the rendered label). */
  endpoint?: string;
};

/** A built-in endpoint written as data, compiled to an EndpointDefinition the runner runs. */
export interface DeclaredEndpoint<K extends string = string, S extends z.ZodType = z.ZodType> extends EndpointDefinition {
  readonly spec: EndpointSpec<K, S>;
  /** Rows of one API item for a slice: the column-name mapping with the definition's exceptions. */
  toRows(raw: Record<string, unknown>, params: SliceParams<K>): Row[];
  /** The path of one slice, placeholders expanded and encoded. */
  pathOf(params: SliceParams<K>): string;
}

function checkPlaceholders(name: string, template: string, params: readonly string[]): void {
  for (const expression of placeholdersOf(template)) {
    if (!params.includes(expression)) {
      throw new Error(`endpoint ${name}: {${expression}} in "${template}" is not a slice parameter (${params.join(', ') || 'none'})`);
    }
  }
}

function paramNames<K extends string>(source: SliceSource<K>): K[] {
  if ('per' in source) return [source.param];
  if ('table' in source) return Object.keys(source.params) as K[];
  return [...source.params];
}

/** The spec's slices as the engine's partition. */
function partitionOf<K extends string>(source: SliceSource<K>, sliceKey: string | undefined): Partition {
  if ('per' in source) return { per: source.per, param: source.param };
  if ('list' in source) {
    const { list, params, needs, copyAs } = source;
    return { list, params, sliceKey, needs, copyAs: copyAs as Extract<Partition, { list: unknown }>['copyAs'] };
  }
  const parent: ParentPartition = {
    endpoint: source.parent,
    rows: { table: getTableName(source.table) },
    params: source.params,
    within: source.within,
    refreshWhen: source.refreshWhen,
  };
  return { parent };
}

/**
 * When `serve` runs it, as declared: exactly one of `schedule` and `job`, or neither for a chained
 * endpoint. A declaration the job plan would not use is refused when the registry loads.
 */
function checkSchedule<K extends string, S extends z.ZodType>(spec: EndpointSpec<K, S>): void {
  const chained = 'parent' in spec.slices;
  if (chained && (spec.schedule !== undefined || spec.job !== undefined)) {
    throw new Error(
      `endpoint ${spec.name}: a chained endpoint runs in its parent's job, right after it; its own schedule would never be used ` +
        `(a config can take it out with schedules.${spec.name})`,
    );
  }
  if (!chained && (spec.schedule === undefined) === (spec.job === undefined)) {
    throw new Error(`endpoint ${spec.name}: declare either a schedule (a job of its own) or the job it shares`);
  }
}

/** The spec's checks, run when the registry loads rather than in the middle of a sync. */
function checkSpec<K extends string, S extends z.ZodType>(spec: EndpointSpec<K, S>, params: readonly K[], entity: EntitySpec): string[] {
  checkPlaceholders(spec.name, spec.request.path, params);
  checkPlaceholders(spec.name, spec.label, params);
  if (spec.sliceKey) checkPlaceholders(spec.name, spec.sliceKey, params);
  checkSchedule(spec);
  if (spec.partial && !spec.deletes) throw new Error(`endpoint ${spec.name}: a partial read is the alternative to a complete listing that deletes; it deletes nothing`);
  const keyColumns = spec.deletes ? entity.keys.filter((key) => !spec.deletes!.scope.includes(key as K)) : [];
  if (spec.deletes && keyColumns.length === 0) throw new Error(`endpoint ${spec.name}: the deletion scope covers the whole key`);
  return keyColumns;
}

/** How a spec's request is filled in for one slice (and, for a windowed one, one window). */
function requestOf<K extends string, S extends z.ZodType>(spec: EndpointSpec<K, S>) {
  const pathOf = (values: SliceParams<K>) => renderTemplate(spec.request.path, valuesResolver(values), { encode: 'path', what: `path of endpoint ${spec.name}` });
  const queryOf = (values: SliceParams<K>, window?: Window) => {
    if (!spec.request.query) return undefined;
    // Without a window (test-endpoint's sample request), the window's own parameters are left out.
    const query = window
      ? spec.request.query
      : Object.fromEntries(Object.entries(spec.request.query).filter(([, value]) => !placeholdersIn(value).some((p) => p.startsWith('window.'))));
    if (Object.keys(query).length === 0) return undefined;
    return renderValue(query, valuesResolver({ ...values, ...(window ? { window } : {}) })) as Query;
  };
  const labelOf = (values: SliceParams<K>) => renderTemplate(spec.label, valuesResolver(values));
  return { pathOf, queryOf, labelOf };
}

type Compiled<K extends string, S extends z.ZodType> = {
  spec: EndpointSpec<K, S>;
  entity: EntitySpec;
  keyColumns: string[];
  toRows: (raw: Record<string, unknown>, values: SliceParams<K>) => Row[];
} & ReturnType<typeof requestOf<K, S>>;

/** The run's parts: a partial read's, or the spec's own hooks with its deletions and cursor. */
async function partsOf<K extends string, S extends z.ZodType>(c: Compiled<K, S>, run: SliceRun, values: SliceParams<K>) {
  const { spec } = c;
  const startedAt = run.now();
  if (spec.partial && (await spec.partial.when(run, values))) {
    return { parts: spec.partial.read(run, values), deletes: undefined, cursor: spec.partial.cursor as CursorStrategy, partial: true };
  }
  // A read an event made due stores what it shows; only the complete read deletes.
  const partial = spec.followsAudit !== undefined && (await auditRead(spec.followsAudit, run, values));
  const parts = (await spec.each?.(run, values)) ?? {};
  const scope = spec.deletes && !partial ? Object.fromEntries(spec.deletes.scope.map((param) => [param, values[param]])) : undefined;
  const deletes = scope ? { scope, keyColumns: c.keyColumns.length === 1 ? c.keyColumns[0]! : c.keyColumns } : undefined;
  const declared = spec.cursor as SpecCursor<K>;
  if (typeof declared !== 'function') return { parts, deletes, cursor: declared, partial };
  const chained = 'parent' in spec.slices && spec.slices.refreshWhen !== undefined;
  const previous = chained ? await run.getCursor() : undefined;
  return { parts, deletes, cursor: (summary: PageLoopSummary) => declared(summary, { run, params: values, startedAt, previous }), partial };
}

/** Is this run of an audit-following listing one an event made due (rather than a complete read)? */
async function auditRead<K extends string>(follows: { org: K; touches: AuditTouches }, run: SliceRun, values: SliceParams<K>): Promise<boolean> {
  const read = await orgReadDue(run.deps, { endpoint: run.endpoint, slice: run.slice, org: values[follows.org], plan: run.plan, touches: follows.touches });
  // Not due any more (a replica read it meanwhile): read it as an event would have, deleting nothing.
  return read?.kind !== 'complete';
}

/** One run of a listing (or one object): its pages through the engine's page loop. */
async function runListing<K extends string, S extends z.ZodType>(c: Compiled<K, S>, run: SliceRun, values: SliceParams<K>): Promise<void> {
  const { spec } = c;
  const { parts, deletes, cursor, partial } = await partsOf(c, run, values);
  const { query: ownQuery, endpoint: named, ...hooks } = parts;
  const query = ownQuery ?? c.queryOf(values);
  const what = c.labelOf(values);
  const headers = spec.request.headers?.(values, run.deps);
  const common = {
    path: c.pathOf(values),
    ...(query ? { query } : {}),
    endpoint: named ?? what,
    ...(headers ? { headers } : {}),
    ...(spec.request.auth ? { auth: spec.request.auth } : {}),
  };
  const shape = spec.request.shape;
  const pages =
    shape === 'object'
      ? objectPage(run, common)
      : listPages(run, { ...common, shape, ...(spec.request.pageSize !== undefined ? { pageSize: spec.request.pageSize } : {}) });
  let wrote = false;
  const loop: PageLoop<S> = {
    spec: c.entity,
    pages,
    schema: spec.schema,
    rows: (item) => c.toRows(item.raw, values),
    deletes,
    cursor,
    ...(spec.enrich ? { enrich: () => spec.enrich!(run, values) } : {}),
    ...(partial ? { completeWhen: 'never' as const } : spec.completeWhen ? { completeWhen: spec.completeWhen } : {}),
    what,
    ...hooks,
    afterPage: async (tx, written) => {
      wrote ||= written.items.length > 0;
      await hooks.afterPage?.(tx, written);
    },
  };
  try {
    await runPageLoop(run, loop);
  } catch (error) {
    if (!(error instanceof HubNotFoundError) || !spec.notFound || wrote) throw error;
    if (spec.notFound !== 'skip') return spec.notFound(run, values);
    // Gone since its parent was listed: the parent's next complete listing marks it deleted.
    run.logger.info({ slice: run.slice.key }, `${what}: no longer exists; skipped`);
  }
}

/** One run of a windowed listing: the engine's window loop, each window's pages through the page loop. */
async function runWindows<K extends string, S extends z.ZodType>(c: Compiled<K, S>, run: SliceRun, values: SliceParams<K>): Promise<void> {
  const { windows } = c.spec.cursor as WindowsCursor;
  const { config } = run.deps;
  const what = c.labelOf(values);
  const read: WindowReader = async (window, grown, cursor) => {
    const query = c.queryOf(values, window);
    const summary = await runPageLoop(run, {
      spec: c.entity,
      pages: listPages(run, { path: c.pathOf(values), ...(query ? { query } : {}), shape: c.spec.request.shape as PageShape, endpoint: what }),
      schema: c.spec.schema,
      rows: (item) => c.toRows(item.raw, values),
      cursor: () => cursor.value,
      cursorSliceKey: cursor.sliceKey,
      completeWhen: 'always',
      onePageOnly: grown,
      what,
    });
    return summary.spilled ? 'spilled' : summary.items === 0 ? 'empty' : 'events';
  };
  await runWindowedSlice(run, { sizeMs: windows.size(config), overlapMs: windows.overlap(config), initialLookbackMs: windows.initialLookback(config) }, read);
}

/** The first request of a slice, for `test-endpoint`. */
function sampleRequest<K extends string, S extends z.ZodType>(c: Compiled<K, S>, slice: Slice, deps?: Pick<SyncDeps, 'config'>): EndpointRequest {
  const { spec } = c;
  const values = sliceParams(slice, paramNames(spec.slices));
  const query = c.queryOf(values);
  const headers = deps ? spec.request.headers?.(values, deps) : undefined;
  return {
    path: c.pathOf(values),
    ...(query ? { query } : {}),
    shape: spec.request.shape,
    schema: spec.schema,
    ...(headers ? { headers } : {}),
    ...(spec.request.auth ? { auth: spec.request.auth } : {}),
  };
}

/**
 * Compile a declarative endpoint into the runner's EndpointDefinition. Everything about the
 * endpoint lives in `spec`; the loops are the engine's (runPageLoop, runWindowedSlice), and so
 * are its slices (the partition). Placeholders, mapping exceptions and schedules are checked
 * here, when the registry loads, not in the middle of a sync.
 */
export function defineEndpoint<K extends string, S extends z.ZodType>(spec: EndpointSpec<K, S>): DeclaredEndpoint<K, S> {
  const params = paramNames(spec.slices);
  const entity = entitySpec(spec.table);
  const keyColumns = checkSpec(spec, params, entity);
  const map = rowMapper(spec.table, spec.mapping);
  const toRows = (raw: Record<string, unknown>, values: SliceParams<K>) => (spec.rows ? spec.rows(raw, values, map) : [map(raw, values)]);
  const compiled: Compiled<K, S> = { spec, entity, keyColumns, toRows, ...requestOf(spec) };
  const partition = partitionOf(spec.slices, spec.sliceKey);
  const windowed = typeof spec.cursor === 'object';
  const requires = spec.requires ?? BUILTIN_REQUIREMENTS[spec.name];
  return {
    spec,
    toRows,
    pathOf: compiled.pathOf,
    name: spec.name,
    title: spec.title,
    reference: spec.reference,
    tables: [spec.table, ...(spec.alsoWrites ?? [])].map((table) => getTableName(table)),
    ...(spec.schedule !== undefined ? { schedule: spec.schedule } : {}),
    ...(spec.job ? { job: spec.job } : {}),
    ...('parent' in partition ? { parent: partition.parent.endpoint } : {}),
    ...(windowed ? { backfill: true } : {}),
    ...(requires ? { requires } : {}),
    partition,
    template: {
      path: spec.request.path,
      ...(spec.request.query ? { query: spec.request.query } : {}),
      shape: spec.request.shape,
      ...(spec.route ? { route: spec.route } : {}),
    },
    slices: async (plan, deps) => {
      const slices = await partitionSlices(partition, spec.name, plan, deps);
      const follows = spec.followsAudit;
      return follows ? dueOrgSlices(deps, spec.name, plan, slices, follows.touches, follows.org) : slices;
    },
    request: (slice, _plan, deps) => sampleRequest(compiled, slice, deps),
    run: (run) => (windowed ? runWindows : runListing)(compiled, run, sliceParams(run.slice, params)),
  };
}

export type { CursorStrategy, PageLoopSummary };

/**
 * A path template for a request a definition makes besides its own (org settings' registry
 * access management): checked like the definition's, each value percent-encoded as one segment.
 */
export function pathTemplate<K extends string>(template: string, params: readonly K[]): { template: string; render(values: SliceParams<K>): string } {
  checkPlaceholders(template, template, params);
  return { template, render: (values) => renderTemplate(template, valuesResolver(values), { encode: 'path', what: template }) };
}

/** The named parameters of a slice, typed; a missing one is a bug in the slices, reported by name. */
export function sliceParams<K extends string>(slice: Slice, names: readonly K[]): SliceParams<K> {
  for (const name of names) {
    if (typeof slice.params[name] !== 'string') throw new Error(`slice ${slice.key} has no parameter "${name}"`);
  }
  return slice.params as SliceParams<K>;
}
