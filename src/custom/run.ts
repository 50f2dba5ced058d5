import type { z } from 'zod';
import { customRecords } from '../db/schema/index.js';
import { storableCopy } from '../hub/schemas.js';
import type { HubClient } from '../hub/client.js';
import type { HubPage, ListingEnd, Query } from '../hub/types.js';
import type { EntitySpec, SliceRun } from '../sync/context.js';
import { runPageLoop } from '../sync/engine.js';
import type { Pagination } from './config.js';
import { dataPathProblem, maxCursor, metadataOf, recordKeyOf, recordsOf, selectOne } from './records.js';

/** custom_records as an entity: every insert, update, restore and delete is recorded in `changes`. */
export const customRecordsSpec: EntitySpec = { entity: 'custom_records', table: customRecords, keys: ['endpoint', 'slice_key', 'record_key'] };

/** What sync_state keeps per slice of a custom endpoint. */
export interface CustomSliceState {
  /** The largest value of the endpoint's `cursor` field stored so far ({cursor}). */
  cursor?: unknown;
  /** The parent's refreshWhen value when this slice was last read. */
  refresh?: unknown;
  /** When the last complete read of this slice started ({last_run}). */
  last_run?: string;
  rows?: number;
  invalid?: number;
  incomplete?: string;
}

/** One request, macros filled in. */
export interface PreparedRequest {
  method: 'GET' | 'POST';
  /** Path under the client's base URL (may carry a query string). */
  path: string;
  query: Query;
  headers: Record<string, string>;
  body?: unknown;
}

export interface CustomPagePlan {
  request: PreparedRequest;
  /** The slice's client, or an anonymous one for an allowed foreign host. */
  client: HubClient;
  pagination: Pagination;
  /** page_size of paginated requests (default 100; null: none). */
  pageSize?: number | null | undefined;
  dataPath?: string | undefined;
  metadataPath?: string | undefined;
  /** A record must pass it to be stored (keys present, column values that fit). */
  schema: z.ZodType;
  keys: readonly string[];
  cursorPath?: string | undefined;
  /** Stored under `_parent` in each record's data (the parent row's fields). */
  parentFields?: Record<string, unknown> | undefined;
  /** A complete listing may mark records it did not show as deleted (not for windows or filtered reads). */
  deletions: boolean;
  /** What sync_state held for this slice before the run. */
  state: CustomSliceState | undefined;
  /** The parent's refreshWhen value to remember once the slice is read. */
  refresh?: unknown;
  /** When this read started: stored as `last_run`. */
  startedAt: string;
  /** Human name for logs and errors. */
  label: string;
}

/**
 * One slice of a user-defined endpoint on the engine's page loop (src/sync/engine.ts), the one
 * the built-ins run on: paginate → pick records and metadata → validate → map → upsert, one
 * transaction per page; on the last page, in the same transaction,
 * the rows a complete listing did not show are marked deleted and the slice's state (cursor,
 * refresh value, last run) is stored. A crash re-reads the slice; unchanged records are not
 * rewritten, so that costs requests, never duplicates.
 */
export async function runCustomPages(run: SliceRun, plan: CustomPagePlan): Promise<void> {
  const { request } = plan;
  const pages: AsyncGenerator<HubPage, ListingEnd> =
    plan.pagination === 'none'
      ? singlePage(plan)
      : plan.client.paginate({
          path: request.path,
          query: request.query,
          // A generic paginator ends a list on an empty or short page of the records the data path selects.
          ...(typeof plan.pagination === 'object' ? { shape: 'auto', paginator: plan.pagination, records: (body: unknown) => recordsOf(body, plan.dataPath) } : { shape: plan.pagination }),
          method: request.method,
          headers: request.headers,
          ...(request.body !== undefined ? { body: request.body } : {}),
          endpoint: plan.label,
          ...(plan.pageSize !== undefined ? { pageSize: plan.pageSize } : {}),
        });
  let cursor = plan.state?.cursor;
  const keys = new Set<string>();
  // Metadata is per page; the engine takes a page's items right before it maps them.
  let metadata: unknown = null;
  await runPageLoop(run, {
    spec: customRecordsSpec,
    pages,
    items: (page) => {
      // Kept with every record of the page: a NUL character in it must not fail the page's upsert.
      metadata = storableCopy(metadataOf(page.body, plan.metadataPath) ?? null);
      return recordsOf(page.body, plan.dataPath);
    },
    pageProblem: (page) => dataPathProblem(page.body, plan.dataPath),
    // Two records with one key would leave one of them unseen: each later one goes to sync_errors.
    identity: plan.keys.length > 0 ? ({ raw }) => { const key = recordKeyOf(raw, plan.keys); return 'key' in key ? key.key : undefined; } : undefined,
    schema: plan.schema,
    rows: ({ raw }) => {
      const key = recordKeyOf(raw, plan.keys);
      if (!('key' in key)) return []; // the schema refused it already
      keys.add(key.key);
      if (plan.cursorPath) cursor = maxCursor(cursor, selectOne(plan.cursorPath, raw));
      return [
        {
          endpoint: run.endpoint,
          slice_key: run.slice.key,
          record_key: key.key,
          data: plan.parentFields ? { ...raw, _parent: plan.parentFields } : raw,
          metadata,
          raw,
        },
      ];
    },
    // Windows and filtered reads never speak for records they did not ask for.
    deletes: plan.deletions ? { scope: { endpoint: run.endpoint, slice_key: run.slice.key }, keyColumns: 'record_key' } : undefined,
    cursor: (summary): CustomSliceState => ({
      ...(cursor !== undefined && cursor !== null ? { cursor } : {}),
      ...(plan.refresh !== undefined ? { refresh: plan.refresh } : {}),
      last_run: plan.startedAt,
      rows: keys.size,
      invalid: summary.invalid,
      ...(plan.deletions && summary.incomplete ? { incomplete: summary.incomplete } : {}),
    }),
    // A read without deletions is done once its last page is stored with every record valid.
    completeWhen: plan.deletions ? 'listing' : 'valid',
    what: plan.label,
  });
}

/** `pagination: none`: one request, its answer the whole listing. */
async function* singlePage(plan: CustomPagePlan): AsyncGenerator<HubPage, ListingEnd> {
  const { request } = plan;
  const response = await plan.client.request<unknown>({
    method: request.method,
    path: request.path,
    query: request.query,
    headers: request.headers,
    ...(request.body !== undefined ? { body: request.body } : {}),
    endpoint: plan.label,
  });
  yield { items: [], page: 1, url: response.url, body: response.body };
  return { complete: true, pages: 1, items: 0 };
}
