import type { z } from 'zod';
import type { HubRequest, ListingEnd, PaginateRequest } from '../hub/types.js';
import { deletionsAllowed, deletionVerdict } from './completeness.js';
import type { EntitySpec, Row, SliceRun } from './context.js';
import { withLast } from './lookahead.js';

/** One page as the engine sees it: its items (before validation) and the URL they came from. */
export interface EnginePage {
  items: unknown[];
  url: string;
  /** The whole page as parsed, where the source keeps it (user-defined endpoints pick records and metadata from it). */
  body?: unknown;
}

/** Pages of one slice; the return value says whether the listing is proven complete. */
export type PageSource = AsyncIterable<EnginePage, ListingEnd | undefined> | AsyncIterator<EnginePage, ListingEnd | undefined>;

/**
 * What the cursor of a slice records when its last page commits (in the same transaction):
 * - `snapshot`: `{rows, invalid, incomplete?}`, complete when deletions were allowed;
 * - `none`: no value, only when the slice last completed;
 * - a function of the summary: any other value.
 */
export type CursorStrategy = 'snapshot' | 'none' | ((summary: PageLoopSummary) => unknown);

/** Which stored rows a complete listing speaks for: rows of `scope` it did not show are deleted. */
export interface DeletionScope {
  /** Column values that bound the listing (`{ org: 'acme' }`); a list value bounds it to those values. */
  scope: Record<string, unknown>;
  /** The key columns outside the scope (what a listed row is recognised by). */
  keyColumns: string | readonly string[];
}

export interface PageLoop<S extends z.ZodType = z.ZodType> {
  /** The table rows go to, with its key. */
  spec: EntitySpec;
  pages: PageSource;
  /** Items of a page (default: `page.items`), for shapes the pagination does not unwrap. */
  items?: (page: EnginePage) => unknown[];
  /** Each item is validated on its own: an invalid one goes to sync_errors, the rest of the page is kept. */
  schema: S;
  /** The rows of one valid item (usually one; none to drop it); `page` is the page it came on. */
  rows: (item: { raw: Record<string, unknown>; parsed: z.output<S> }, page: EnginePage) => Row[];
  /** Deletions after a proven-complete listing; omitted: this source never deletes. */
  deletes?: DeletionScope | undefined;
  cursor: CursorStrategy;
  /**
   * Called once, after the first page arrived and before it is written: a chance to fetch what
   * completes the items (org settings read registry access management) and rework each raw item.
   */
  enrich?: (() => Promise<((raw: Record<string, unknown>) => Record<string, unknown>) | undefined>) | undefined;
  /** Names the listing in log lines: `members of acme`. */
  what: string;
  /** The sync_state slice key the cursor is stored under (default: the slice's own). */
  cursorSliceKey?: string | undefined;
  /**
   * When the slice counts as completed: `listing` (default) when the listing was proven complete
   * and every item valid; `always` when the last page arrived (a time window is done once read,
   * whatever one bad event in it); `valid` when the last page arrived and every item was valid
   * (a filtered read that speaks for nothing it did not ask for).
   */
  completeWhen?: 'listing' | 'always' | 'valid' | undefined;
  /** A listing longer than one page is left before anything is written (summary.spilled). */
  onePageOnly?: boolean | undefined;
}

export interface PageLoopSummary {
  pages: number;
  /** Rows written (or found unchanged) over all pages. */
  rows: number;
  invalid: number;
  /** The listing was proven complete and every item was valid. */
  complete: boolean;
  incomplete?: string | undefined;
  deleted: number;
  /** Items received, valid or not. */
  items: number;
  /** Left at a second page because of `onePageOnly`: nothing was written. */
  spilled: boolean;
}

/** A paginated listing as engine pages (`client.paginate`, rebuilt `next` links and all). */
export function listPages(run: SliceRun, request: PaginateRequest): PageSource {
  return run.deps.client.paginate(request);
}

/** A single object as a one-page, complete listing of one item. */
export async function* objectPage(run: SliceRun, request: HubRequest): AsyncGenerator<EnginePage, ListingEnd> {
  const response = await run.deps.client.request<unknown>(request);
  yield { items: [response.body], url: response.url };
  return { complete: true, pages: 1, items: 1 };
}

function keyValue(row: Row, keyColumns: string | readonly string[]): unknown {
  return typeof keyColumns === 'string' ? String(row[keyColumns]) : keyColumns.map((column) => String(row[column]));
}

/**
 * The page loop every endpoint runs on: for each page, in one transaction, validate its items,
 * build their rows, upsert them; with the last page (read one ahead) and in the same transaction,
 * mark what a proven-complete listing did not show as deleted and store the cursor. A crash
 * between pages leaves committed pages committed and the cursor where it was.
 */
export async function runPageLoop<S extends z.ZodType>(run: SliceRun, loop: PageLoop<S>): Promise<PageLoopSummary> {
  const seen = new Map<string, unknown>();
  const summary: PageLoopSummary = { pages: 0, rows: 0, invalid: 0, complete: false, deleted: 0, items: 0, spilled: false };
  let transform: ((raw: Record<string, unknown>) => Record<string, unknown>) | undefined;
  let enriched = false;
  for await (const { value: page, last, end } of withLast(loop.pages)) {
    run.pageFetched();
    summary.pages++;
    if (loop.onePageOnly && !last) {
      summary.spilled = true;
      return summary;
    }
    if (!enriched && loop.enrich) transform = await loop.enrich();
    enriched = true;
    await run.transaction(async (tx) => {
      const items = loop.items ? loop.items(page) : page.items;
      summary.items += items.length;
      const checked = await run.validate(tx, loop.schema, items, page.url);
      summary.invalid += checked.invalid;
      const rows = checked.valid.flatMap((item) => loop.rows(transform ? { raw: transform(item.raw), parsed: item.parsed } : item, page));
      if (loop.deletes) for (const row of rows) {
        const value = keyValue(row, loop.deletes.keyColumns);
        seen.set(JSON.stringify(value), value);
      }
      summary.rows += rows.length;
      await run.upsert(tx, loop.spec, rows);
      if (!last) return;
      // Only a source that deletes has deletions to refuse (and a refusal to log).
      const verdict = loop.deletes ? deletionsAllowed(run, end, summary.invalid, loop.what) : deletionVerdict(end, summary.invalid);
      summary.complete = verdict.allowed;
      summary.incomplete = verdict.allowed ? undefined : verdict.reason;
      if (verdict.allowed && loop.deletes) {
        const deleted = await run.markMissing(tx, loop.spec, loop.deletes.scope, loop.deletes.keyColumns, seen.values());
        summary.deleted = deleted.length;
      }
      const value =
        loop.cursor === 'none'
          ? null
          : loop.cursor === 'snapshot'
            ? { rows: loop.deletes ? seen.size : summary.rows, invalid: summary.invalid, ...(verdict.allowed ? {} : { incomplete: verdict.reason }) }
            : loop.cursor(summary);
      const complete =
        loop.completeWhen === 'always' || (loop.completeWhen === 'valid' ? summary.invalid === 0 : verdict.allowed);
      await run.setCursor(tx, value, { complete, ...(loop.cursorSliceKey ? { sliceKey: loop.cursorSliceKey } : {}) });
    });
  }
  return summary;
}
