// Complete pagination, one page per yield, for each of Hub's list shapes (docs/hub-quirks.md):
//   results/total  {count|total, next, previous, results}: follow `next`, rebuilt on our base URL,
//                  until a page without `next`
//   logs / array   no next: ask page=1,2,… until a short or empty page (or a 404 past the end)
//   data           {data: [...]}: one page, no paging
//   scim           SCIM ListResponse {totalResults, startIndex, itemsPerPage, Resources}: ask
//                  startIndex=1,1+n,… with `count` until totalResults items arrived
// Shape detection is tolerant: a body in another known shape is accepted (the org-members spec
// wraps the page in an array; team members have come back bare), because a sync that stops on an
// envelope quirk loses more than it protects.

import type { Logger } from 'pino';
import { HubNotFoundError, HubPaginationError, HubResponseError } from './errors.js';
import type { HubPage, HubRequest, HubResponse, ListingEnd, PageShape, PaginateRequest, Query } from './types.js';

export const DEFAULT_PAGE_SIZE = 100;
export const DEFAULT_MAX_PAGES = 10_000;

export interface PaginateDeps {
  request: (req: HubRequest) => Promise<HubResponse<unknown>>;
  baseUrl: URL;
  logger?: Logger | undefined;
}

export interface ExtractedPage {
  items: unknown[];
  /** The shape actually found. */
  shape: PageShape;
  /** undefined: the envelope has no `next` field at all (page-number paging). */
  next: string | null | undefined;
  count?: number;
}

export function extractPage(body: unknown): ExtractedPage | undefined {
  if (Array.isArray(body)) {
    // The spec's org-members answer: an array holding one page object.
    const first: unknown = body[0];
    if (body.length === 1 && isObject(first) && Array.isArray(first.results)) return extractPage(first);
    return { items: body, shape: 'array', next: undefined };
  }
  if (!isObject(body)) return undefined;
  if (Array.isArray(body.results)) {
    const total = typeof body.total === 'number';
    const countValue = total ? body.total : body.count;
    const next = typeof body.next === 'string' && body.next !== '' ? body.next : 'next' in body ? null : undefined;
    return {
      items: body.results,
      shape: total && !('count' in body) ? 'total' : 'results',
      next,
      ...(typeof countValue === 'number' ? { count: countValue } : {}),
    };
  }
  // SCIM ListResponse (RFC 7644 §3.4.2); the 2-beta spec spells the list `resources`.
  const resources = Array.isArray(body.Resources) ? body.Resources : Array.isArray(body.resources) ? body.resources : undefined;
  if (resources) {
    return { items: resources, shape: 'scim', next: undefined, ...(typeof body.totalResults === 'number' ? { count: body.totalResults } : {}) };
  }
  if (Array.isArray(body.logs)) return { items: body.logs, shape: 'logs', next: undefined };
  if (Array.isArray(body.data)) return { items: body.data, shape: 'data', next: undefined };
  return undefined;
}

/**
 * Rebuilds a `next` link on the configured base URL: Hub has sent `http://` links and links with
 * its own host, which must not redirect our traffic (or our token) elsewhere. Keeps path + query,
 * returns the path to request relative to the base (its path prefix removed).
 */
export function rebaseNextUrl(next: string, currentUrl: string, baseUrl: URL): string {
  const resolved = new URL(next, currentUrl);
  const prefix = baseUrl.pathname.replace(/\/+$/, '');
  let path = resolved.pathname;
  if (prefix && (path === prefix || path.startsWith(`${prefix}/`))) path = path.slice(prefix.length) || '/';
  return path + resolved.search;
}

/** Empty pages that still link on, in a row, before the listing is given up as broken. */
export const MAX_EMPTY_PAGES_IN_A_ROW = 3;

/**
 * Every page of a list, one per yield. The return value says whether the listing is proven
 * complete, and if not, why: a page that answered 404 or came back empty although the previous
 * one linked on, a server that repeats a page, or fewer items than the count it reported. Such
 * a listing still yields what it got (it is worth storing) but must not decide deletions.
 */
export async function* paginate(deps: PaginateDeps, req: PaginateRequest): AsyncGenerator<HubPage, ListingEnd> {
  const pageSize = req.pageSize === undefined ? DEFAULT_PAGE_SIZE : req.pageSize;
  const maxPages = req.maxPages ?? DEFAULT_MAX_PAGES;
  const endpoint = req.endpoint ?? req.path;
  const baseQuery: Query = { ...req.query };
  if (pageSize !== null && req.shape === 'scim') baseQuery.count = pageSize;
  else if (pageSize !== null && req.shape !== 'data') baseQuery.page_size = pageSize;

  const seen = new Set<string>();
  let path = req.path;
  let startIndex = 1;
  let query: Query | undefined = usesPageNumbers(req.shape) ? { ...baseQuery, page: 1 } : req.shape === 'scim' ? { ...baseQuery, startIndex } : baseQuery;
  let previousFingerprint: string | undefined;
  let firstPageLength: number | undefined;
  let received = 0;
  let reported: number | undefined;
  let emptyInARow = 0;
  // The first reason the listing cannot be trusted as complete; later pages are still read.
  let broken: string | undefined;

  const end = (pages: number, reason?: string): ListingEnd => {
    const why =
      broken ??
      reason ??
      (reported !== undefined && received < reported
        ? `the list ended with ${received} items, fewer than the count of ${reported} it reported`
        : undefined);
    if (why) deps.logger?.warn({ endpoint, pages, items: received, count: reported, reason: why }, 'hub: listing is not complete');
    return {
      complete: why === undefined,
      ...(why !== undefined ? { incomplete: why } : {}),
      pages,
      items: received,
      ...(reported !== undefined ? { count: reported } : {}),
    };
  };

  for (let page = 1; ; page++) {
    if (page > maxPages) {
      throw new HubPaginationError(
        `Stopped listing ${endpoint} after ${maxPages} pages (maxPages): the list did not end. Raise maxPages if it really is this long.`,
        { endpoint, url: path },
      );
    }

    let res: HubResponse<unknown>;
    try {
      res = await deps.request({
        method: req.method ?? 'GET',
        path,
        ...(query ? { query } : {}),
        endpoint,
        ...(req.headers ? { headers: req.headers } : {}),
        ...(req.body !== undefined ? { body: req.body } : {}),
        ...authAndSignal(req),
      });
    } catch (err) {
      if (err instanceof HubNotFoundError && page > 1) {
        // Page-number lists end with a 404 past the last full page (docs/hub-quirks.md). A page that a
        // `next` link promised and that then answers 404 is a hole in the list.
        return end(page - 1, query?.page !== undefined ? undefined : `page ${page} answered 404 although page ${page - 1} linked to it`);
      }
      throw err;
    }

    const extracted = extractPage(res.body);
    if (!extracted && req.shape === 'auto' && page === 1) {
      // Not a list: the one object is the whole answer.
      yield { items: [], page, url: res.url, body: res.body };
      return end(page);
    }
    if (!extracted) {
      throw new HubResponseError(
        `${endpoint}: page ${page} is not a ${req.shape} page (expected ${describeShape(req.shape)})`,
        { endpoint, url: res.url, status: res.status },
      );
    }
    if (extracted.shape !== req.shape) {
      deps.logger?.debug({ endpoint, expected: req.shape, found: extracted.shape }, 'hub: page shape differs from the declared one');
    }

    const { items } = extracted;
    if (extracted.count !== undefined) reported = Math.max(reported ?? extracted.count, extracted.count);
    if (extracted.next === undefined) {
      // Without `next`, a server that ignores `page` would hand back page 1 forever.
      const fingerprint = JSON.stringify(items);
      if (page > 1 && fingerprint === previousFingerprint) {
        deps.logger?.warn({ endpoint, page }, 'hub: page repeats the previous one; the server ignores paging, stopping');
        return end(page, `page ${page} repeated page ${page - 1} (the server ignores paging)`);
      }
      previousFingerprint = fingerprint;
    }

    received += items.length;
    // An empty first page is still yielded: "listing complete, zero items" matters for deletions.
    if (items.length > 0 || page === 1) {
      yield { items, page, url: res.url, ...(extracted.count !== undefined ? { count: extracted.count } : {}), body: res.body };
    }

    if (extracted.next !== undefined) {
      if (extracted.next === null) return end(page);
      if (items.length === 0) {
        broken ??= `page ${page} was empty but linked to a next page`;
        if (++emptyInARow >= MAX_EMPTY_PAGES_IN_A_ROW) return end(page);
      } else {
        emptyInARow = 0;
      }
      seen.add(normalize(rebaseNextUrl(res.url, res.url, deps.baseUrl)));
      const nextPath = rebaseNextUrl(extracted.next, res.url, deps.baseUrl);
      if (seen.has(normalize(nextPath))) {
        throw new HubPaginationError(
          `${endpoint}: page ${page} links to a page already read (${nextPath}); stopping a pagination loop.`,
          { endpoint, url: res.url },
        );
      }
      path = nextPath;
      query = undefined;
      continue;
    }

    if (items.length === 0) return end(page);
    if (req.shape === 'scim' || extracted.shape === 'scim') {
      // totalResults says when the list ends (a server may serve fewer than `count` per page).
      if (reported !== undefined ? received >= reported : items.length < (pageSize ?? items.length)) return end(page);
      startIndex += items.length;
      path = req.path;
      query = { ...baseQuery, startIndex };
      continue;
    }
    if (req.shape === 'data' || extracted.shape === 'data') return end(page);
    firstPageLength ??= items.length;
    if (items.length < (pageSize ?? firstPageLength)) return end(page);
    path = req.path;
    query = { ...baseQuery, page: page + 1 };
  }
}

// Same page whatever the parameter order.
function normalize(path: string): string {
  const u = new URL(path, 'http://x');
  u.searchParams.sort();
  return u.pathname + u.search;
}

function usesPageNumbers(shape: PageShape | 'auto'): boolean {
  return shape === 'logs' || shape === 'array';
}

function authAndSignal(req: PaginateRequest): Pick<HubRequest, 'auth' | 'signal' | 'headers'> {
  const out: Pick<HubRequest, 'auth' | 'signal' | 'headers'> = {};
  if (req.auth) out.auth = req.auth;
  if (req.headers) out.headers = req.headers;
  if (req.signal) out.signal = req.signal;
  return out;
}

function describeShape(shape: PageShape | 'auto'): string {
  switch (shape) {
    case 'auto':
      return 'a list in one of Docker Hub\'s shapes';
    case 'results':
      return '{count, next, previous, results}';
    case 'total':
      return '{total, next, previous, results}';
    case 'data':
      return '{data: [...]}';
    case 'logs':
      return '{logs: [...]}';
    case 'array':
      return 'a JSON array';
    case 'scim':
      return '{totalResults, startIndex, itemsPerPage, Resources}';
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
