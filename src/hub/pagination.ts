// Complete pagination, one page per yield, for each of Hub's list shapes (NOTES.md):
//   results/total  {count|total, next, previous, results}: follow `next`, rebuilt on our base URL
//   logs / array   no next: ask page=1,2,… until a short page
//   data           {data: [...]}: one page, no paging
// Shape detection is tolerant: a body in another known shape is accepted (the org-members spec
// wraps the page in an array; team members have come back bare), because a sync that stops on an
// envelope quirk loses more than it protects.

import type { Logger } from 'pino';
import { HubNotFoundError, HubPaginationError, HubResponseError } from './errors.js';
import type { HubPage, HubRequest, HubResponse, PageShape, PaginateRequest, Query } from './types.js';

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

export async function* paginate(deps: PaginateDeps, req: PaginateRequest): AsyncGenerator<HubPage> {
  const pageSize = req.pageSize === undefined ? DEFAULT_PAGE_SIZE : req.pageSize;
  const maxPages = req.maxPages ?? DEFAULT_MAX_PAGES;
  const endpoint = req.endpoint ?? req.path;
  const baseQuery: Query = { ...req.query };
  if (pageSize !== null && req.shape !== 'data') baseQuery.page_size = pageSize;

  const seen = new Set<string>();
  let path = req.path;
  let query: Query | undefined = usesPageNumbers(req.shape) ? { ...baseQuery, page: 1 } : baseQuery;
  let previousFingerprint: string | undefined;
  let firstPageLength: number | undefined;

  for (let page = 1; ; page++) {
    if (page > maxPages) {
      throw new HubPaginationError(
        `Stopped listing ${endpoint} after ${maxPages} pages (maxPages): the list did not end. Raise maxPages if it really is this long.`,
        { endpoint, url: path },
      );
    }

    let res: HubResponse<unknown>;
    try {
      res = await deps.request({ method: 'GET', path, ...(query ? { query } : {}), endpoint, ...authAndSignal(req) });
    } catch (err) {
      // Past the last page the repository list answers 404: that is the end, not an error.
      if (err instanceof HubNotFoundError && page > 1) return;
      throw err;
    }

    const extracted = extractPage(res.body);
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
    if (extracted.next === undefined) {
      // Without `next`, a server that ignores `page` would hand back page 1 forever.
      const fingerprint = JSON.stringify(items);
      if (page > 1 && fingerprint === previousFingerprint) {
        deps.logger?.warn({ endpoint, page }, 'hub: page repeats the previous one; the server ignores paging, stopping');
        return;
      }
      previousFingerprint = fingerprint;
    }

    // An empty first page is still yielded: "listing complete, zero items" matters for deletions.
    if (items.length > 0 || page === 1) {
      yield { items, page, url: res.url, ...(extracted.count !== undefined ? { count: extracted.count } : {}) };
    }
    if (items.length === 0) return;

    if (extracted.next !== undefined) {
      if (extracted.next === null) return;
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

    if (req.shape === 'data' || extracted.shape === 'data') return;
    firstPageLength ??= items.length;
    if (items.length < (pageSize ?? firstPageLength)) return;
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

function usesPageNumbers(shape: PageShape): boolean {
  return shape === 'logs' || shape === 'array';
}

function authAndSignal(req: PaginateRequest): Pick<HubRequest, 'auth' | 'signal'> {
  const out: Pick<HubRequest, 'auth' | 'signal'> = {};
  if (req.auth) out.auth = req.auth;
  if (req.signal) out.signal = req.signal;
  return out;
}

function describeShape(shape: PageShape): string {
  switch (shape) {
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
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
