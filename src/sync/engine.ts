import type { z } from 'zod';
import type { HubRequest, ListingEnd, PaginateRequest } from '../hub/types.js';
import { deletionsAllowed, deletionVerdict } from './completeness.js';
import type { EntitySpec, Executor, Row, SliceRun } from './context.js';
import type { UpsertResult } from './upsert.js';
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
 * - `keep`: nothing is stored (a chained read whose progress lives in its parent's table);
 * - a function of the summary: any other value.
 */
export type CursorStrategy = 'snapshot' | 'none' | 'keep' | ((summary: PageLoopSummary) => unknown);

/** One item that passed validation. */
export interface ValidItem<S extends z.ZodType = z.ZodType> {
  raw: Record<string, unknown>;
  parsed: z.output<S>;
}

/** What a page wrote, for `afterPage`. */
export interface WrittenPage<S extends z.ZodType = z.ZodType> {
  page: EnginePage;
  /** The page's valid items (after `enrich`). */
  items: ValidItem<S>[];
  rows: Row[];
  /** The upsert of `rows` (which rows were inserted, changed, restored). */
  upserted: UpsertResult;
  last: boolean;
}

/** How the listing ended, for `afterListing`. */
export interface ListingOutcome {
  /** Deletions were allowed (the listing was proven complete and every item valid). */
  complete: boolean;
  /** The keys `deletes` marked deleted. */
  deleted: Record<string, unknown>[];
}

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
  /**
   * Why a page cannot be read as the listing it claims to be (a data path that matches nothing in
   * a non-empty page, a scalar where a list was expected): the page goes to sync_errors, and the
   * listing is not proven complete, so nothing is deleted.
   */
  pageProblem?: ((page: EnginePage) => { message: string; payload: unknown } | undefined) | undefined;
  /**
   * The identity of a valid item within the listing. An item whose identity an earlier item of the
   * same listing had is not stored: it goes to sync_errors (`duplicate_key`) and counts as invalid.
   */
  identity?: ((item: ValidItem<S>) => string | undefined) | undefined;
  /** Each item is validated on its own: an invalid one goes to sync_errors, the rest of the page is kept. */
  schema: S;
  /** The rows of one valid item (usually one; none to drop it). */
  rows: ((item: ValidItem<S>) => Row[]) | PageRows<S>;
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
   * (a filtered read that speaks for nothing it did not ask for); `never` for a read that is
   * not the complete listing it could be (a partial read: it deletes nothing).
   */
  completeWhen?: 'listing' | 'always' | 'valid' | 'never' | undefined;
  /** A listing longer than one page is left before anything is written (summary.spilled). */
  onePageOnly?: boolean | undefined;
  /**
   * In each page's transaction, after its rows were upserted (and, on the last page, before the
   * deletions): what else the page writes (tag images of changed tags, pull history).
   */
  afterPage?: ((tx: Executor, written: WrittenPage<S>) => Promise<void>) | undefined;
  /**
   * Read without looking ahead and stop early: every page stores the cursor (never complete, so
   * nothing is deleted), and no further page is requested after one for which this says true (a
   * newest-first read that ends where nothing changed).
   */
  stopAfter?: (() => boolean) | undefined;
  /** In the last page's transaction, after the deletions and before the cursor: what follows from the outcome. */
  afterListing?: ((tx: Executor, outcome: ListingOutcome) => Promise<void>) | undefined;
}

/**
 * Rows of a whole page built at once, in its transaction: for rows that merge what is already
 * stored (one read per page, not per item).
 */
export interface PageRows<S extends z.ZodType = z.ZodType> {
  page: (tx: Executor, items: ValidItem<S>[], page: EnginePage) => Promise<Row[]>;
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
  /** Distinct rows listed (by the deletion key) when the source deletes; else equal to `rows`. */
  listed: number;
}

/** A paginated listing as engine pages (`client.paginate`, rebuilt `next` links and all). */
export function listPages(run: SliceRun, request: PaginateRequest): PageSource {
  return run.deps.client.paginate(request);
}

/**
 * A single object as a one-page, complete listing of one item. `url` names the page in
 * sync_errors instead of the URL it came from.
 */
export async function* objectPage(run: SliceRun, request: HubRequest, url?: string): AsyncGenerator<EnginePage, ListingEnd> {
  const response = await run.deps.client.request<unknown>(request);
  yield { items: [response.body], url: url ?? response.url };
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
  const identities = new Set<string>();
  let pageProblem: string | undefined;
  const summary: PageLoopSummary = { pages: 0, rows: 0, invalid: 0, complete: false, deleted: 0, items: 0, spilled: false, listed: 0 };
  let transform: ((raw: Record<string, unknown>) => Record<string, unknown>) | undefined;
  let enriched = false;
  const stopAfter = loop.stopAfter;
  const pages = stopAfter ? eachPage(loop.pages) : withLast(loop.pages);
  for await (const { value: page, last, end } of pages) {
    run.pageFetched();
    summary.pages++;
    if (loop.onePageOnly && !last) {
      summary.spilled = true;
      return summary;
    }
    if (!enriched && loop.enrich) transform = await loop.enrich();
    enriched = true;
    await run.transaction(async (tx) => {
      const problem = loop.pageProblem?.(page);
      if (problem) {
        pageProblem ??= `page ${summary.pages}: ${problem.message}`;
        await run.recordErrors(tx, [{ kind: 'page', url: page.url, payload: problem.payload, message: problem.message }]);
      }
      const items = loop.items ? loop.items(page) : page.items;
      summary.items += items.length;
      const checked = await run.validate(tx, loop.schema, items, page.url);
      summary.invalid += checked.invalid;
      let valid = transform ? checked.valid.map((item) => ({ raw: transform!(item.raw), parsed: item.parsed })) : checked.valid;
      if (loop.identity) {
        const identity = loop.identity;
        const repeated = dropRepeated(valid, identity, identities);
        valid = repeated.kept;
        if (repeated.dropped.length > 0) {
          summary.invalid += repeated.dropped.length;
          await run.recordErrors(tx, repeated.dropped.map((item) => duplicateError(item, identity, page, loop.what)));
        }
      }
      const build = loop.rows;
      const rows = typeof build === 'function' ? valid.flatMap((item) => build(item)) : await build.page(tx, valid, page);
      if (loop.deletes) for (const row of rows) {
        const value = keyValue(row, loop.deletes.keyColumns);
        seen.set(JSON.stringify(value), value);
      }
      summary.rows += rows.length;
      summary.listed = loop.deletes ? seen.size : summary.rows;
      const upserted = await run.upsert(tx, loop.spec, rows);
      if (loop.afterPage) await loop.afterPage(tx, { page, items: valid, rows, upserted, last });
      if (stopAfter) {
        if (loop.cursor !== 'keep') await run.setCursor(tx, cursorValue(loop, summary, undefined), { complete: false, ...(loop.cursorSliceKey ? { sliceKey: loop.cursorSliceKey } : {}) });
        return;
      }
      if (!last) return;
      // Only a source that deletes has deletions to refuse (and a refusal to log).
      const verdict = loop.deletes ? deletionsAllowed(run, end, summary.invalid, loop.what, pageProblem) : deletionVerdict(end, summary.invalid, pageProblem);
      summary.complete = verdict.allowed;
      summary.incomplete = verdict.allowed ? undefined : verdict.reason;
      let deleted: Record<string, unknown>[] = [];
      if (verdict.allowed && loop.deletes) {
        deleted = await run.markMissing(tx, loop.spec, loop.deletes.scope, loop.deletes.keyColumns, seen.values());
        summary.deleted = deleted.length;
      }
      if (loop.afterListing) await loop.afterListing(tx, { complete: verdict.allowed, deleted });
      if (loop.cursor === 'keep') return;
      const value = cursorValue(loop, summary, summary.incomplete);
      const complete =
        loop.completeWhen === 'never'
          ? false
          : loop.completeWhen === 'always' || (loop.completeWhen === 'valid' ? summary.invalid === 0 && pageProblem === undefined : verdict.allowed);
      await run.setCursor(tx, value, { complete, ...(loop.cursorSliceKey ? { sliceKey: loop.cursorSliceKey } : {}) });
    });
    if (stopAfter?.()) break;
  }
  return summary;
}

/** The cursor a page loop stores: none, the snapshot's counts, or what the endpoint makes of the summary. */
function cursorValue<S extends z.ZodType>(loop: PageLoop<S>, summary: PageLoopSummary, incomplete: string | undefined) {
  return loop.cursor === 'none' || loop.cursor === 'keep'
    ? null
    : loop.cursor === 'snapshot'
      ? { rows: summary.listed, invalid: summary.invalid, ...(incomplete === undefined ? {} : { incomplete }) }
      : loop.cursor(summary);
}

/** Items whose identity an earlier item of the listing already had are dropped; the first one stays. */
function dropRepeated<T>(items: T[], identity: (item: T) => string | undefined, identities: Set<string>): { kept: T[]; dropped: T[] } {
  const dropped: T[] = [];
  const kept = items.filter((item) => {
    const id = identity(item);
    if (id === undefined) return true;
    if (identities.has(id)) {
      dropped.push(item);
      return false;
    }
    identities.add(id);
    return true;
  });
  return { kept, dropped };
}

function duplicateError<T extends { raw: unknown }>(item: T, identity: (item: T) => string | undefined, page: EnginePage, what: string) {
  return {
    kind: 'duplicate_key' as const,
    url: page.url,
    payload: item.raw,
    message: `key ${identity(item)} is listed more than once in ${what}; the first one is stored`,
  };
}

/** Pages as they come, without reading ahead (see PageLoop.stopAfter). */
async function* eachPage(source: PageSource): AsyncGenerator<{ value: EnginePage; last: boolean; end: ListingEnd | undefined }> {
  const iterator = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source;
  let done = false;
  try {
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield { value: next.value, last: false, end: undefined };
    done = true;
  } finally {
    // Left early (stopAfter): the source stops too, as a `for await` that breaks would stop it.
    if (!done) await iterator.return?.();
  }
}
