// The state machines behind `paginate` (pagination.ts): one per way of paging, each behind the
// `Paginator` interface. A machine says what to ask first, and for each answered page its records
// (for the end of the list), the count it reports, why the listing can no longer be proven
// complete, and what to ask next. What every listing shares (the page cap, loop detection, the
// completeness tally, 404s) is the driver's.
//
// Docker Hub's shapes (PAGE_SHAPES in types.ts, docs/hub-quirks.md):
//   next         results/total {count|total, next, previous, results}: follow `next`, rebuilt on our
//                base URL, until a page without `next`
//   page_number  logs/array, no next: ask page=1,2,… until a short or empty page (or a 404 past the end)
//   single       data {data: [...]}: one page, no paging
//   start_index  SCIM ListResponse {totalResults, startIndex, itemsPerPage, Resources}: ask
//                startIndex=1,1+n,… with `count` until totalResults items arrived
// Shape detection is tolerant: a body in another known shape is read as that shape (the org-members
// spec wraps the page in an array; team members have come back bare), because a sync that stops on
// an envelope quirk loses more than it protects.
//
// Generic paginators (PaginatorSpec) for other APIs: next_link, page_number, offset, cursor. A next
// link is followed only on the API's own origin.

import LinkHeader from 'http-link-header';
import { JSONPath } from 'jsonpath-plus';
import type { Logger } from 'pino';
import { HubRequestRefusedError, HubResponseError } from './errors.js';
import { PAGE_SHAPES, type HubResponse, type PageShape, type PaginateRequest, type PaginatorSpec, type Query } from './types.js';

/** One request of a listing: a path under the base URL (it may carry a query string) and a query. */
export interface PageAsk {
  path: string;
  query?: Query | undefined;
}

/** What one answered page holds, and what comes next. */
export interface PageStep {
  /** The page's records (the end of a page-number list is a short or empty page). */
  items: unknown[];
  /** The list's size as the page reports it. */
  count?: number | undefined;
  /** The next request; absent: the list ends with this page. */
  next?: PageAsk | undefined;
  /** Why the listing can no longer be proven complete (the first reason given is kept). */
  incomplete?: string | undefined;
  /** The page repeats the previous one: the server ignores paging. It is dropped and the listing ends, not complete. */
  repeated?: boolean;
  /** The page is kept, then the listing fails with this error (a next link that is refused). */
  refused?: Error;
}

export interface Paginator {
  first: PageAsk;
  read(response: HubResponse<unknown>, page: number): PageStep;
  /** A 404 on a later page: undefined when that is the list's end, else why the listing has a hole. */
  missing(page: number, ask: PageAsk): string | undefined;
}

export interface PagerContext {
  req: PaginateRequest;
  baseUrl: URL;
  /** null: no page size is sent. */
  pageSize: number | null;
  endpoint: string;
  logger?: Logger | undefined;
}

/** Empty pages that still link on, in a row, before the listing is given up as broken. */
export const MAX_EMPTY_PAGES_IN_A_ROW = 3;

/** The machine for a request: a generic paginator when one is named, else Docker Hub's shapes. */
export function createPaginator(ctx: PagerContext): Paginator {
  const spec = ctx.req.paginator;
  if (!spec) return hubPaginator(ctx);
  switch (spec.type) {
    case 'next_link':
      return nextLinkPaginator(ctx, spec);
    case 'page_number':
      return pageNumberPaginator(ctx, spec);
    case 'offset':
      return offsetPaginator(ctx, spec);
    case 'cursor':
      return cursorPaginator(ctx, spec);
  }
}

// ---------------------------------------------------------------------------------------------
// Docker Hub's shapes

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
  if (Array.isArray(body.results)) return resultsPage(body, body.results);
  // SCIM ListResponse (RFC 7644 §3.4.2); the 2-beta spec spells the list `resources`.
  const resources = Array.isArray(body.Resources) ? body.Resources : Array.isArray(body.resources) ? body.resources : undefined;
  if (resources) {
    return { items: resources, shape: 'scim', next: undefined, ...(typeof body.totalResults === 'number' ? { count: body.totalResults } : {}) };
  }
  if (Array.isArray(body.logs)) return { items: body.logs, shape: 'logs', next: undefined };
  if (Array.isArray(body.data)) return { items: body.data, shape: 'data', next: undefined };
  return undefined;
}

function resultsPage(body: Record<string, unknown>, results: unknown[]): ExtractedPage {
  const total = typeof body.total === 'number';
  const countValue = total ? body.total : body.count;
  const next = typeof body.next === 'string' && body.next !== '' ? body.next : 'next' in body ? null : undefined;
  return {
    items: results,
    shape: total && !('count' in body) ? 'total' : 'results',
    next,
    ...(typeof countValue === 'number' ? { count: countValue } : {}),
  };
}

/** The query of a Hub listing's first page: page_size (SCIM: count) unless the shape takes none. */
function hubBaseQuery(shape: PageShape | 'auto', pageSize: number | null, query: Query | undefined): Query {
  const base: Query = { ...query };
  if (pageSize !== null && shape === 'scim') base.count = pageSize;
  else if (pageSize !== null && shape !== 'data') base.page_size = pageSize;
  return base;
}

/**
 * Docker Hub's lists. The machine follows the shape each page comes back in: `next` links, page
 * numbers, SCIM start indexes or one page; the declared shape picks the first request.
 */
function hubPaginator(ctx: PagerContext): Paginator {
  const { req } = ctx;
  const shape = req.shape;
  const base = hubBaseQuery(shape, ctx.pageSize, req.query);
  const paging = shape === 'auto' ? undefined : PAGE_SHAPES[shape].paging;
  const size = ctx.pageSize ?? undefined;
  const links = followNext(ctx.baseUrl);
  const numbers = pageNumbers(req.path, base, { param: 'page', start: 1, size });
  const indexes = offsets(req.path, base, { param: 'startIndex', start: 1, size });
  const repeats = repeatWatch();
  return {
    first: paging === 'page_number' ? numbers.first : paging === 'start_index' ? indexes.first : { path: req.path, query: base },
    read(response, n) {
      const page = extractPage(response.body);
      // Not a list: the one object is the whole answer.
      if (!page && shape === 'auto' && n === 1) return { items: [] };
      if (!page) {
        throw new HubResponseError(`${ctx.endpoint}: page ${n} is not a ${shape} page (expected ${describeShape(shape)})`, {
          endpoint: ctx.endpoint,
          url: response.url,
          status: response.status,
        });
      }
      if (page.shape !== shape) ctx.logger?.debug({ endpoint: ctx.endpoint, expected: shape, found: page.shape }, 'hub: page shape differs from the declared one');
      const counted = (step: PageStep): PageStep => (page.count !== undefined ? { ...step, count: page.count } : step);
      if (page.next !== undefined) return counted(links(page.items, page.next, response.url, n));
      // Without `next`, a server that ignores `page` would hand back page 1 forever.
      if (repeats(page.items, n)) return { items: page.items, repeated: true };
      if (page.items.length === 0) return counted({ items: [] });
      if (shape === 'scim' || page.shape === 'scim') return counted(indexes.read(page.items, page.count));
      if (shape === 'data' || page.shape === 'data') return counted({ items: page.items });
      return counted(numbers.read(page.items, n));
    },
    missing: (n, ask) => (ask.query?.page !== undefined ? undefined : holeAt(n)),
  };
}

/** Page-number lists end with a 404 past the last full page (docs/hub-quirks.md); a page a link promised that answers 404 is a hole. */
function holeAt(n: number): string {
  return `page ${n} answered 404 although page ${n - 1} linked to it`;
}

/**
 * results/total: follow `next` until a page without one. An empty page that links on makes the
 * listing unprovable; several in a row end it.
 */
function followNext(baseUrl: URL): (items: unknown[], next: string | null, currentUrl: string, n: number) => PageStep {
  const empty = emptyPages();
  return (items, next, currentUrl, n) => {
    if (next === null) return { items };
    return empty.step(items, n, { path: rebaseNextUrl(next, currentUrl, baseUrl) });
  };
}

/** The empty-page rule of lists that link on (`next`, next links, cursors). */
function emptyPages(): { step(items: unknown[], n: number, next: PageAsk): PageStep } {
  let inARow = 0;
  return {
    step(items, n, next) {
      if (items.length > 0) {
        inARow = 0;
        return { items, next };
      }
      const incomplete = `page ${n} was empty but linked to a next page`;
      return ++inARow >= MAX_EMPTY_PAGES_IN_A_ROW ? { items, incomplete } : { items, incomplete, next };
    },
  };
}

/** Whether a page repeats the previous one (compared by content). */
function repeatWatch(): (items: unknown[], n: number) => boolean {
  let previous: string | undefined;
  return (items, n) => {
    const fingerprint = JSON.stringify(items);
    const repeated = n > 1 && fingerprint === previous;
    previous = fingerprint;
    return repeated;
  };
}

interface NumberOptions {
  param: string;
  start: number;
  /** Items a full page holds; undefined: as many as the first page had. */
  size: number | undefined;
}

/** param=start, start+1, … until an empty page or one shorter than a full one. */
function pageNumbers(path: string, query: Query, options: NumberOptions): { first: PageAsk; read(items: unknown[], n: number): PageStep } {
  let firstPageLength: number | undefined;
  return {
    first: { path, query: { ...query, [options.param]: options.start } },
    read(items, n) {
      if (items.length === 0) return { items };
      firstPageLength ??= items.length;
      if (items.length < (options.size ?? firstPageLength)) return { items };
      return { items, next: { path, query: { ...query, [options.param]: options.start + n } } };
    },
  };
}

interface OffsetOptions {
  param: string;
  /** The index of the first item: 0 for offsets, 1 for SCIM's startIndex. */
  start: number;
  /** Items a full page holds; undefined: only an empty page or the total ends the list. */
  size: number | undefined;
}

/** param=start, start+n, … until the reported total arrived, or (without one) a short or empty page. */
function offsets(path: string, query: Query, options: OffsetOptions): { first: PageAsk; read(items: unknown[], count: number | undefined): PageStep } {
  let received = 0;
  let reported: number | undefined;
  return {
    first: { path, query: { ...query, [options.param]: options.start } },
    read(items, count) {
      received += items.length;
      if (count !== undefined) reported = Math.max(reported ?? count, count);
      if (items.length === 0) return { items };
      const short = items.length < (options.size ?? items.length);
      // The total says when the list ends (a server may serve fewer than asked per page).
      if (reported !== undefined ? received >= reported : short) return { items };
      return { items, next: { path, query: { ...query, [options.param]: options.start + received } } };
    },
  };
}

/**
 * Rebuilds a `next` link on the configured base URL: Hub has sent `http://` links and links with
 * its own host, which must not redirect our traffic (or our token) elsewhere. Keeps path + query,
 * returns the path to request relative to the base (its path prefix removed).
 */
export function rebaseNextUrl(next: string, currentUrl: string, baseUrl: URL): string {
  return underBase(new URL(next, currentUrl), baseUrl);
}

/** A URL's path and query relative to the base URL (its path prefix removed). */
function underBase(url: URL, baseUrl: URL): string {
  const prefix = baseUrl.pathname.replace(/\/+$/, '');
  let path = url.pathname;
  if (prefix && (path === prefix || path.startsWith(`${prefix}/`))) path = path.slice(prefix.length) || '/';
  return path + url.search;
}

function describeShape(shape: PageShape | 'auto'): string {
  return shape === 'auto' ? "a list in one of Docker Hub's shapes" : PAGE_SHAPES[shape].envelope;
}

// ---------------------------------------------------------------------------------------------
// Generic paginators

/** The records of a page: the request's record selector, or the items of a Hub envelope or list. */
function recordsOf(ctx: PagerContext, body: unknown): unknown[] {
  if (ctx.req.records) return ctx.req.records(body);
  return extractPage(body)?.items ?? [];
}

/** The first request's query with the page size under `param` (none when the size is null). */
function sized(ctx: PagerContext, param: string): Query {
  return { ...ctx.req.query, ...(ctx.pageSize !== null ? { [param]: ctx.pageSize } : {}) };
}

/** next_link: a URL from the body (JSONPath) or the Link header's rel="next", on the API's origin only. */
function nextLinkPaginator(ctx: PagerContext, spec: Extract<PaginatorSpec, { type: 'next_link' }>): Paginator {
  const empty = emptyPages();
  return {
    first: { path: ctx.req.path, query: sized(ctx, spec.sizeParam ?? 'page_size') },
    read(response, n) {
      const items = recordsOf(ctx, response.body);
      const link = spec.nextPath !== undefined ? textAt(ctx, spec.nextPath, response, n) : linkHeaderNext(response.headers);
      if (link === undefined) return { items };
      const path = sameOriginPath(ctx, link, response.url, n);
      return path instanceof Error ? { items, refused: path } : empty.step(items, n, { path });
    },
    missing: holeAt,
  };
}

/** cursor: the token at `nextPath` (default $.next_page_token) sent back as `param` (default page_token). */
function cursorPaginator(ctx: PagerContext, spec: Extract<PaginatorSpec, { type: 'cursor' }>): Paginator {
  const empty = emptyPages();
  const query = sized(ctx, spec.sizeParam ?? 'page_size');
  const param = spec.param ?? 'page_token';
  return {
    first: { path: ctx.req.path, query },
    read(response, n) {
      const items = recordsOf(ctx, response.body);
      const token = textAt(ctx, spec.nextPath ?? '$.next_page_token', response, n);
      if (token === undefined) return { items };
      return empty.step(items, n, { path: ctx.req.path, query: { ...query, [param]: token } });
    },
    missing: holeAt,
  };
}

/** page_number: `param` (default page) = start (default 1), start+1, … until an empty or short page. */
function pageNumberPaginator(ctx: PagerContext, spec: Extract<PaginatorSpec, { type: 'page_number' }>): Paginator {
  const numbers = pageNumbers(ctx.req.path, sized(ctx, spec.sizeParam ?? 'page_size'), { param: spec.param ?? 'page', start: spec.start ?? 1, size: ctx.pageSize ?? undefined });
  const repeats = repeatWatch();
  return {
    first: numbers.first,
    read(response, n) {
      const items = recordsOf(ctx, response.body);
      return repeats(items, n) ? { items, repeated: true } : numbers.read(items, n);
    },
    missing: () => undefined,
  };
}

/** offset: `offsetParam` (default offset) = 0, n, 2n, … with `limitParam` (default limit) = n. */
function offsetPaginator(ctx: PagerContext, spec: Extract<PaginatorSpec, { type: 'offset' }>): Paginator {
  const indexes = offsets(ctx.req.path, sized(ctx, spec.limitParam ?? 'limit'), { param: spec.offsetParam ?? 'offset', start: 0, size: ctx.pageSize ?? undefined });
  const repeats = repeatWatch();
  return {
    first: indexes.first,
    read(response, n) {
      const items = recordsOf(ctx, response.body);
      if (repeats(items, n)) return { items, repeated: true };
      const total = spec.totalPath !== undefined ? valueAt(spec.totalPath, response.body) : undefined;
      const count = typeof total === 'number' ? total : typeof total === 'string' && /^\d+$/.test(total) ? Number(total) : undefined;
      return { ...indexes.read(items, count), ...(count !== undefined ? { count } : {}) };
    },
    missing: () => undefined,
  };
}

/** The first value a JSONPath (or a plain dotted field name) selects in a body. */
function valueAt(path: string, body: unknown): unknown {
  const text = path.trim();
  const found = JSONPath({ path: text.startsWith('$') ? text : `$.${text}`, json: body as object, wrap: true, eval: 'safe' }) as unknown;
  return Array.isArray(found) ? found[0] : undefined;
}

/** A next link or token: text (or a number) at `path`; "", null or absent end the list. */
function textAt(ctx: PagerContext, path: string, response: HubResponse<unknown>, n: number): string | undefined {
  const value = valueAt(path, response.body);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw new HubResponseError(`${ctx.endpoint}: page ${n} has ${Array.isArray(value) ? 'a list' : typeof value} at ${path}, not a next link or page token`, {
    endpoint: ctx.endpoint,
    url: response.url,
    status: response.status,
  });
}

/** The target of the Link header's rel="next" (RFC 8288), or undefined. */
function linkHeaderNext(headers: Record<string, string>): string | undefined {
  const name = Object.keys(headers).find((h) => h.toLowerCase() === 'link');
  const value = name !== undefined ? headers[name] : undefined;
  if (!value) return undefined;
  return LinkHeader.parse(value).rel('next')[0]?.uri || undefined;
}

/**
 * A next link as a path under the base URL, or the error that refuses it. A link to another origin (scheme, host or port) is
 * refused: the request would carry this API's credential, or leave the hosts the config allows.
 */
function sameOriginPath(ctx: PagerContext, link: string, currentUrl: string, n: number): string | HubRequestRefusedError {
  let url: URL;
  try {
    url = new URL(link, currentUrl);
  } catch {
    return new HubRequestRefusedError(`${ctx.endpoint}: page ${n} links to ${JSON.stringify(link.slice(0, 120))}, which is not a URL. Nothing was sent.`, { endpoint: ctx.endpoint, url: currentUrl });
  }
  if (url.origin !== ctx.baseUrl.origin) {
    return new HubRequestRefusedError(
      `${ctx.endpoint}: page ${n} links to ${url.origin}, not to the API (${ctx.baseUrl.origin}); a next link is followed only on the API's origin. Nothing was sent.`,
      { endpoint: ctx.endpoint, url: currentUrl },
    );
  }
  return underBase(url, ctx.baseUrl);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
