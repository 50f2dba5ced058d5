// Complete pagination, one page per yield. How a list pages is a state machine in paginators.ts
// (one per Docker Hub shape, and the generic ones a user-defined endpoint can name); what every
// listing shares is here: the page cap, loop detection (a request already made is an error, not
// an endless loop), 404s past the first page, and the tally that proves a listing complete.

import type { Logger } from 'pino';
import { HubNotFoundError, HubPaginationError } from './errors.js';
import { createPaginator, type PageAsk, type PageStep } from './paginators.js';
import { buildUrl } from './request-rules.js';
import type { HubPage, HubRequest, HubResponse, ListingEnd, PaginateRequest } from './types.js';

export { extractPage, rebaseNextUrl, MAX_EMPTY_PAGES_IN_A_ROW, type ExtractedPage, type PageAsk, type PageStep, type Paginator } from './paginators.js';

export const DEFAULT_PAGE_SIZE = 100;
export const DEFAULT_MAX_PAGES = 10_000;

export interface PaginateDeps {
  request: (req: HubRequest) => Promise<HubResponse<unknown>>;
  baseUrl: URL;
  logger?: Logger | undefined;
}

/**
 * Every page of a list, one per yield. The return value says whether the listing is proven
 * complete, and if not, why: a page that answered 404 or came back empty although the previous
 * one linked on, a server that repeats a page, or fewer items than the count it reported. Such
 * a listing still yields what it got (it is worth storing) but must not decide deletions.
 */
export async function* paginate(deps: PaginateDeps, req: PaginateRequest): AsyncGenerator<HubPage, ListingEnd> {
  const endpoint = req.endpoint ?? req.path;
  const maxPages = req.maxPages ?? DEFAULT_MAX_PAGES;
  const pager = createPaginator({ req, baseUrl: deps.baseUrl, pageSize: pageSizeOf(req), endpoint, logger: deps.logger });
  const tally = new Tally(endpoint, deps.logger);
  const asked = new Set<string>();
  let ask = pager.first;
  for (let n = 1; ; n++) {
    if (n > maxPages) {
      throw new HubPaginationError(
        `Stopped listing ${endpoint} after ${maxPages} pages (maxPages): the list did not end. Raise maxPages if it really is this long.`,
        { endpoint, url: ask.path },
      );
    }
    asked.add(requestKey(deps.baseUrl, ask));
    const response = await askPage(deps, req, ask, endpoint, n);
    if (!response) return tally.end(n - 1, pager.missing(n, ask));
    const step = pager.read(response, n);
    if (step.repeated) {
      deps.logger?.warn({ endpoint, page: n }, 'hub: page repeats the previous one; the server ignores paging, stopping');
      return tally.end(n, `page ${n} repeated page ${n - 1} (the server ignores paging)`);
    }
    tally.add(step);
    // An empty first page is still yielded: "listing complete, zero items" matters for deletions.
    if (step.items.length > 0 || n === 1) {
      yield { items: step.items, page: n, url: response.url, ...(step.count !== undefined ? { count: step.count } : {}), body: response.body };
    }
    if (step.refused) throw step.refused;
    if (!step.next) return tally.end(n);
    const key = requestKey(deps.baseUrl, step.next);
    if (asked.has(key)) {
      throw new HubPaginationError(`${endpoint}: page ${n} links to a page already read (${key}); stopping a pagination loop.`, { endpoint, url: response.url });
    }
    ask = step.next;
  }
}

/** The first request of a listing (what `test-endpoint` sends to show one page). */
export function firstPageAsk(req: PaginateRequest, baseUrl: URL): PageAsk {
  return createPaginator({ req, baseUrl, pageSize: pageSizeOf(req), endpoint: req.endpoint ?? req.path }).first;
}

function pageSizeOf(req: PaginateRequest): number | null {
  return req.pageSize === undefined ? DEFAULT_PAGE_SIZE : req.pageSize;
}

/** One page; undefined for a 404 past the first page (the machine says whether that ends the list or leaves a hole). */
async function askPage(deps: PaginateDeps, req: PaginateRequest, ask: PageAsk, endpoint: string, n: number): Promise<HubResponse<unknown> | undefined> {
  try {
    return await deps.request({
      method: req.method ?? 'GET',
      path: ask.path,
      ...(ask.query ? { query: ask.query } : {}),
      endpoint,
      ...(req.body !== undefined ? { body: req.body } : {}),
      ...(req.auth ? { auth: req.auth } : {}),
      ...(req.headers ? { headers: req.headers } : {}),
      ...(req.signal ? { signal: req.signal } : {}),
    });
  } catch (err) {
    if (err instanceof HubNotFoundError && n > 1) return undefined;
    throw err;
  }
}

/** The same page whatever the parameter order: the request URL's path and sorted query. */
function requestKey(baseUrl: URL, ask: PageAsk): string {
  const url = buildUrl(baseUrl, ask.path, ask.query);
  url.searchParams.sort();
  return url.pathname + url.search;
}

/** Items received against the count reported, and the first reason the listing cannot be trusted as complete. */
class Tally {
  private received = 0;
  private reported: number | undefined;
  // Later pages are still read after the first reason.
  private broken: string | undefined;

  constructor(
    private readonly endpoint: string,
    private readonly logger: Logger | undefined,
  ) {}

  add(step: PageStep): void {
    this.received += step.items.length;
    if (step.count !== undefined) this.reported = Math.max(this.reported ?? step.count, step.count);
    this.broken ??= step.incomplete;
  }

  end(pages: number, reason?: string): ListingEnd {
    const { received, reported } = this;
    const why =
      this.broken ??
      reason ??
      (reported !== undefined && received < reported ? `the list ended with ${received} items, fewer than the count of ${reported} it reported` : undefined);
    if (why) this.logger?.warn({ endpoint: this.endpoint, pages, items: received, count: reported, reason: why }, 'hub: listing is not complete');
    return {
      complete: why === undefined,
      ...(why !== undefined ? { incomplete: why } : {}),
      pages,
      items: received,
      ...(reported !== undefined ? { count: reported } : {}),
    };
  }
}
