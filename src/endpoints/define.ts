import { sql } from 'drizzle-orm';
import { getTableName } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { z } from 'zod';
import { rowsOf } from '../db/client.js';
import type { PageShape, Query } from '../hub/types.js';
import type { EndpointDefinition, EndpointRequest, Row, Slice, SliceRun, SyncDeps, SyncPlan } from '../sync/context.js';
import { HubNotFoundError } from '../hub/errors.js';
import { listPages, objectPage, runPageLoop, type CursorStrategy, type PageLoop, type PageLoopSummary } from '../sync/engine.js';
import { entitySpec } from '../sync/entities.js';
import { rowMapper, type RowMapper, type RowMapping } from '../sync/mapping.js';
import { backfillStart, incrementalStart, readGrowingWindows, type AuditCursor, type BackfillCursor, type Window } from '../sync/windows.js';
import type { Config } from '../config.js';
import { placeholdersIn, placeholdersOf, renderTemplate, renderValue, valuesResolver } from '../templating/template.js';

/** The parameters of one slice, by name: what `{org}` or `{team}` in the path expand to. */
export type SliceParams<K extends string> = Readonly<Record<K, string>>;

/**
 * Where an endpoint's slices come from:
 * - `per`: one slice per organization, namespace, or the authenticated user of the pass, its
 *   value under the parameter `param`;
 * - `parent`: one slice per live row of a parent endpoint's table (lookup chaining), each
 *   parameter read from a column of it, limited to the pass's organizations or namespaces
 *   through the column named in `within`;
 * - `custom`: anything else (configured values, conditions on the credential).
 */
export type SliceSource<K extends string> =
  | { per: 'org' | 'namespace' | 'user'; param: K }
  | {
      parent: string;
      table: PgTable;
      params: Record<K, string>;
      within: { param: NoInfer<K>; plan: 'orgs' | 'namespaces' };
    }
  | { custom: (plan: SyncPlan, deps: SyncDeps) => Promise<SliceParams<K>[]>; params: readonly K[]; parent?: string };

/**
 * Time windows: the listing is read in `{window.from}`/`{window.to}` windows (placeholders of the
 * query), oldest first, growing over empty stretches; each window's last page stores the cursor
 * `{until}` (or, for a `--backfill` pass, `{from, to, doneUntil}` under `<slice>#backfill`). The
 * next pass starts at the cursor minus the overlap; a key made of the item's own fields makes the
 * re-read overlap idempotent.
 */
export interface WindowsCursor {
  windows: {
    /** Base window length, overlap and first-pass look-back (ms), from the config. */
    size: (config: Config) => number;
    overlap: (config: Config) => number;
    initialLookback: (config: Config) => number;
  };
}

export interface EndpointSpec<K extends string, S extends z.ZodType> {
  name: string;
  title: string;
  /** Docker Hub API reference. */
  reference: string;
  /** Default cron schedule for `serve`. */
  schedule: string;
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
  cursor: CursorStrategy | WindowsCursor;
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
  /**
   * What one run adds to the page loop, decided when it starts: hooks that write the endpoint's
   * other tables, a cursor that records what the run saw, another ordering of the listing.
   */
  each?: (run: SliceRun, params: SliceParams<NoInfer<K>>) => Promise<RunParts<S>>;
  /** The metrics route of its requests, when not the endpoint's name (see server/hub-routes.ts). */
  route?: string;
  /** A slice's key from its parameters (default: the values joined by `/`). */
  sliceKey?: string;
}

/** See EndpointSpec.each: what a run changes in the page loop (`deletes: undefined` turns deletions off). */
export type RunParts<S extends z.ZodType = z.ZodType> = Partial<
  Pick<PageLoop<S>, 'rows' | 'afterPage' | 'afterListing' | 'cursor' | 'stopAfter' | 'deletes' | 'what'>
> & {
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

async function parentSlices<K extends string>(
  source: Extract<SliceSource<K>, { table: PgTable }>,
  plan: SyncPlan,
  deps: SyncDeps,
): Promise<SliceParams<K>[]> {
  const entries = Object.entries(source.params) as [K, string][];
  const columns = entries.map(([, column]) => column);
  const scopeColumn = source.params[source.within.param];
  const select = sql.raw(entries.map(([param, column]) => `"${column}" AS "${param}"`).join(', '));
  const notNull = sql.raw(columns.map((column) => `"${column}" IS NOT NULL`).join(' AND '));
  const order = sql.raw(columns.map((column) => `"${column}"`).join(', '));
  const result = await deps.database.db.execute(sql`
    SELECT DISTINCT ${select} FROM ${sql.raw(`"dockerhub"."${getTableName(source.table)}"`)}
    WHERE deleted_at IS NULL AND ${notNull}
      AND ${sql.raw(`"${scopeColumn}"`)} IN (SELECT jsonb_array_elements_text(${JSON.stringify(plan[source.within.plan])}::jsonb))
    ORDER BY ${order}`);
  return rowsOf<Record<K, unknown>>(result).map((row) => Object.fromEntries(entries.map(([param]) => [param, String(row[param])])) as SliceParams<K>);
}

/**
 * Compile a declarative endpoint into the runner's EndpointDefinition. Everything about the
 * endpoint lives in `spec`; the loop itself is the engine's (runPageLoop). Placeholders and
 * mapping exceptions are checked here, when the registry loads, not in the middle of a sync.
 */
export function defineEndpoint<K extends string, S extends z.ZodType>(spec: EndpointSpec<K, S>): DeclaredEndpoint<K, S> {
  const params = paramNames(spec.slices);
  checkPlaceholders(spec.name, spec.request.path, params);
  checkPlaceholders(spec.name, spec.label, params);
  if (spec.sliceKey) checkPlaceholders(spec.name, spec.sliceKey, params);
  const entity = entitySpec(spec.table);
  const map = rowMapper(spec.table, spec.mapping);
  const keyColumns = spec.deletes ? entity.keys.filter((key) => !spec.deletes!.scope.includes(key as K)) : [];
  if (spec.deletes && keyColumns.length === 0) throw new Error(`endpoint ${spec.name}: the deletion scope covers the whole key`);
  const parent = 'parent' in spec.slices ? spec.slices.parent : undefined;

  const sliceOf = (values: SliceParams<K>): Slice => {
    const own = Object.values(values) as string[];
    const key = spec.sliceKey ? renderTemplate(spec.sliceKey, valuesResolver(values)) : own.length > 0 ? own.join('/') : spec.name;
    return { key, params: { ...values } };
  };
  const paramsOf = (slice: Slice): SliceParams<K> => sliceParams(slice, params);
  const pathOf = (values: SliceParams<K>) => renderTemplate(spec.request.path, valuesResolver(values), { encode: 'path', what: `path of endpoint ${spec.name}` });
  const windowed = typeof spec.cursor === 'object';
  const queryOf = (values: SliceParams<K>, window?: Window) => {
    if (!spec.request.query) return undefined;
    // Without a window (test-endpoint's sample request), the window's own parameters are left out.
    const query = window
      ? spec.request.query
      : Object.fromEntries(Object.entries(spec.request.query).filter(([, value]) => !placeholdersIn(value).some((p) => p.startsWith('window.'))));
    if (Object.keys(query).length === 0) return undefined;
    return renderValue(query, valuesResolver({ ...values, ...(window ? { window } : {}) })) as Query;
  };
  const toRows = (raw: Record<string, unknown>, values: SliceParams<K>) => (spec.rows ? spec.rows(raw, values, map) : [map(raw, values)]);

  const endpoint: DeclaredEndpoint<K, S> = {
    spec,
    toRows,
    pathOf,
    name: spec.name,
    title: spec.title,
    reference: spec.reference,
    tables: [spec.table, ...(spec.alsoWrites ?? [])].map((table) => getTableName(table)),
    schedule: spec.schedule,
    ...(parent ? { parent } : {}),
    template: {
      path: spec.request.path,
      ...(spec.request.query ? { query: spec.request.query } : {}),
      shape: spec.request.shape,
      ...(spec.route ? { route: spec.route } : {}),
    },
    async slices(plan, deps) {
      const source = spec.slices;
      let values: SliceParams<K>[];
      if ('custom' in source) values = await source.custom(plan, deps);
      else if ('table' in source) values = await parentSlices(source, plan, deps);
      else {
        const list = source.per === 'org' ? plan.orgs : source.per === 'namespace' ? plan.namespaces : plan.user ? [plan.user] : [];
        values = list.map((value) => ({ [source.param]: value }) as SliceParams<K>);
      }
      return values.map(sliceOf);
    },
    request(slice, _plan, deps): EndpointRequest {
      const values = paramsOf(slice);
      const query = queryOf(values);
      const headers = deps ? spec.request.headers?.(values, deps) : undefined;
      return {
        path: pathOf(values),
        ...(query ? { query } : {}),
        shape: spec.request.shape,
        schema: spec.schema,
        ...(headers ? { headers } : {}),
        ...(spec.request.auth ? { auth: spec.request.auth } : {}),
      };
    },
    async run(run: SliceRun): Promise<void> {
      const values = paramsOf(run.slice);
      if (windowed) return runWindows(run, values);
      const { query: ownQuery, endpoint: named, ...parts } = (await spec.each?.(run, values)) ?? {};
      const path = pathOf(values);
      const query = ownQuery ?? queryOf(values);
      const what = renderTemplate(spec.label, valuesResolver(values));
      const headers = spec.request.headers?.(values, run.deps);
      const common = {
        path,
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
      const scope = spec.deletes ? Object.fromEntries(spec.deletes.scope.map((param) => [param, values[param]])) : undefined;
      let wrote = false;
      const afterPage = parts.afterPage;
      const loop: PageLoop<S> = {
        spec: entity,
        pages,
        schema: spec.schema,
        rows: (item) => toRows(item.raw, values),
        deletes: scope ? { scope, keyColumns: keyColumns.length === 1 ? keyColumns[0]! : keyColumns } : undefined,
        cursor: spec.cursor as CursorStrategy,
        ...(spec.enrich ? { enrich: () => spec.enrich!(run, values) } : {}),
        ...(spec.completeWhen ? { completeWhen: spec.completeWhen } : {}),
        what,
        ...parts,
        afterPage: async (tx, written) => {
          wrote ||= written.items.length > 0;
          await afterPage?.(tx, written);
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
    },
  };

  /** One window: its pages through the engine; the cursor moves past it with its last page. */
  const readWindow = async (run: SliceRun, values: SliceParams<K>, window: Window, grown: boolean, cursor: { value: unknown; sliceKey?: string }) => {
    const query = queryOf(values, window);
    const what = renderTemplate(spec.label, valuesResolver(values));
    const summary = await runPageLoop(run, {
      spec: entity,
      pages: listPages(run, { path: pathOf(values), ...(query ? { query } : {}), shape: spec.request.shape as PageShape, endpoint: what }),
      schema: spec.schema,
      rows: (item) => toRows(item.raw, values),
      cursor: () => cursor.value,
      cursorSliceKey: cursor.sliceKey,
      completeWhen: 'always',
      onePageOnly: grown,
      what,
    });
    return summary.spilled ? 'spilled' : summary.items === 0 ? 'empty' : 'events';
  };

  const runWindows = async (run: SliceRun, values: SliceParams<K>): Promise<void> => {
    const { windows } = spec.cursor as WindowsCursor;
    const { config } = run.deps;
    const nowMs = Date.parse(run.now());
    const windowMs = windows.size(config);
    if (run.plan.backfill) {
      const { from, to } = run.plan.backfill;
      const sliceKey = `${run.slice.key}#backfill`;
      const stored = await run.getCursor<BackfillCursor>(sliceKey);
      const start = backfillStart(stored, from, to);
      const read = await readGrowingWindows(start, Date.parse(to), windowMs, (window, grown) =>
        readWindow(run, values, window, grown, { value: { from, to, doneUntil: window.to } satisfies BackfillCursor, sliceKey }),
      );
      run.logger.info({ ...(values as Record<string, string>), from, to, resumedAt: new Date(start).toISOString(), ...read }, `${spec.name} backfill`);
      return;
    }
    const stored = await run.getCursor<AuditCursor>();
    const start = incrementalStart(stored, nowMs, { overlapMs: windows.overlap(config), initialLookbackMs: windows.initialLookback(config), full: run.plan.full });
    await readGrowingWindows(start, nowMs, windowMs, (window, grown) => {
      // A full re-read never moves the cursor backwards.
      const until = stored && run.plan.full && Date.parse(stored.until) > Date.parse(window.to) ? stored.until : window.to;
      return readWindow(run, values, window, grown, { value: { until } satisfies AuditCursor });
    });
  };
  return endpoint;
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
