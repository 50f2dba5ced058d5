import type { z } from 'zod';
import { customRecords } from '../db/schema/index.js';
import type { HubClient } from '../hub/client.js';
import type { HubPage, ListingEnd, Query } from '../hub/types.js';
import { deletionsAllowed } from '../sync/completeness.js';
import type { EntitySpec, Row, SliceRun } from '../sync/context.js';
import { withLast } from '../sync/lookahead.js';
import type { Pagination } from './config.js';
import { maxCursor, metadataOf, recordKeyOf, recordsOf, selectOne } from './records.js';

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
 * The page loop of a user-defined endpoint, for one slice: paginate → pick records and metadata →
 * validate → map → upsert, one transaction per page; on the last page, in the same transaction,
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
          shape: plan.pagination,
          method: request.method,
          headers: request.headers,
          ...(request.body !== undefined ? { body: request.body } : {}),
          endpoint: plan.label,
          ...(plan.pageSize !== undefined ? { pageSize: plan.pageSize } : {}),
        });
  const seen = new Set<string>();
  let invalid = 0;
  let cursor = plan.state?.cursor;
  for await (const { value: page, last, end } of withLast(pages)) {
    run.pageFetched();
    await run.transaction(async (tx) => {
      const records = recordsOf(page.body, plan.dataPath);
      const metadata = metadataOf(page.body, plan.metadataPath);
      const checked = await run.validate(tx, plan.schema, records, page.url);
      invalid += checked.invalid;
      const rows: Row[] = [];
      for (const { raw } of checked.valid) {
        const key = recordKeyOf(raw, plan.keys);
        if (!('key' in key)) continue; // the schema refused it already
        seen.add(key.key);
        if (plan.cursorPath) cursor = maxCursor(cursor, selectOne(plan.cursorPath, raw));
        rows.push({
          endpoint: run.endpoint,
          slice_key: run.slice.key,
          record_key: key.key,
          data: plan.parentFields ? { ...raw, _parent: plan.parentFields } : raw,
          metadata: metadata ?? null,
          raw,
        });
      }
      await run.upsert(tx, customRecordsSpec, rows);
      if (last) {
        let incomplete: string | undefined;
        if (plan.deletions) {
          const verdict = deletionsAllowed(run, end, invalid, plan.label);
          if (verdict.allowed) await run.markMissing(tx, customRecordsSpec, { endpoint: run.endpoint, slice_key: run.slice.key }, 'record_key', seen);
          else incomplete = verdict.reason;
        }
        const state: CustomSliceState = {
          ...(cursor !== undefined && cursor !== null ? { cursor } : {}),
          ...(plan.refresh !== undefined ? { refresh: plan.refresh } : {}),
          last_run: plan.startedAt,
          rows: seen.size,
          invalid,
          ...(incomplete ? { incomplete } : {}),
        };
        await run.setCursor(tx, state, { complete: incomplete === undefined && invalid === 0 });
      }
    });
  }
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
