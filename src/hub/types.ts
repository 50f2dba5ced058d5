// Types shared by the client's parts (kept apart so client.ts, pagination.ts and operations.ts do
// not import each other in a circle). client.ts re-exports all of them.

import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import type { Clock } from './clock.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
export type AuthMode = 'required' | 'optional' | 'none';
export type QueryValue = string | number | boolean | undefined | null;
export type Query = Record<string, QueryValue>;

export interface HubRequest {
  method?: HttpMethod;
  /** Path under the base URL, e.g. `/v2/namespaces/docker/repositories`; may carry a query string. */
  path: string;
  query?: Query;
  body?: unknown;
  /** Human name used in errors and logs, e.g. "list repositories". */
  endpoint?: string;
  /** Default 'optional': send the token when credentials are configured. */
  auth?: AuthMode;
  headers?: Record<string, string>;
  /** Override whether 5xx/resets may be retried (default: by method). */
  idempotent?: boolean;
  /** Per-request opt-out of the response cache. */
  cache?: boolean;
  signal?: AbortSignal;
}

export interface HubResponse<T = unknown> {
  status: number;
  headers: Record<string, string>;
  body: T;
  url: string;
}

/** A 2xx answer whose body is read as it arrives (HubCore.stream): read it to its end or destroy it. */
export interface HubStreamResponse {
  status: number;
  headers: Record<string, string>;
  body: Readable;
  url: string;
}

/**
 * Docker Hub's list shapes, listed once (docs/hub-quirks.md): how each pages and where its records are.
 * `paging` names the state machine in pagination.ts; `records` is the record selector (a
 * JSONPath, the `dataPath` of a user-defined endpoint), kept apart from the paging.
 */
export const PAGE_SHAPES = {
  results: { envelope: '{count, next, previous, results}', paging: 'next', records: '$.results[*]' },
  total: { envelope: '{total, next, previous, results}', paging: 'next', records: '$.results[*]' },
  data: { envelope: '{data: [...]}', paging: 'single', records: '$.data[*]' },
  logs: { envelope: '{logs: [...]}', paging: 'page_number', records: '$.logs[*]' },
  array: { envelope: 'a JSON array', paging: 'page_number', records: '$[*]' },
  scim: { envelope: '{totalResults, startIndex, itemsPerPage, Resources}', paging: 'start_index', records: '$.Resources[*]' },
} as const satisfies Record<string, { envelope: string; paging: 'next' | 'single' | 'page_number' | 'start_index'; records: string }>;

export type PageShape = keyof typeof PAGE_SHAPES;
export const PAGE_SHAPE_NAMES = Object.keys(PAGE_SHAPES) as PageShape[];

/**
 * Paginators for APIs that do not page like Docker Hub (user-defined endpoints name them in
 * YAML). The records of a page come from the record selector, not from the paginator.
 * - next_link: follow a URL, from the JSONPath `nextPath` in the body or, without one, from the
 *   `Link` header's rel="next"; the list ends on a page without one.
 * - page_number: `param`=start, start+1, … until an empty or short page (or a 404 past the end).
 * - offset: `offsetParam`=0, n, 2n, … with `limitParam`=n until an empty or short page, or the
 *   total at `totalPath` is reached.
 * - cursor: send the token found at `nextPath` as `param`; the list ends when it is "", null or absent.
 */
export type PaginatorSpec =
  | { type: 'next_link'; nextPath?: string | undefined; sizeParam?: string | undefined }
  | { type: 'page_number'; param?: string | undefined; start?: number | undefined; sizeParam?: string | undefined }
  | { type: 'offset'; offsetParam?: string | undefined; limitParam?: string | undefined; totalPath?: string | undefined }
  | { type: 'cursor'; param?: string | undefined; nextPath?: string | undefined; sizeParam?: string | undefined };

export type PaginatorType = PaginatorSpec['type'];
export const PAGINATOR_TYPES: readonly PaginatorType[] = ['next_link', 'page_number', 'offset', 'cursor'];

export interface HubPage {
  items: unknown[];
  /** 1-based. */
  page: number;
  url: string;
  /** `count` (or `total`) when the envelope has it. */
  count?: number;
  /** The whole page as parsed (user-defined endpoints pick their records and metadata from it). */
  body?: unknown;
}

/**
 * How a listing ended (the return value of `paginate`). Deletions may be decided only from a
 * complete one: the last page had no `next`, no page on the way was empty or missing, and at
 * least as many items arrived as the largest `count`/`total` any page reported.
 */
export interface ListingEnd {
  complete: boolean;
  /** Why the listing is not proven complete; undefined when it is. */
  incomplete?: string;
  /** Pages answered (empty ones included). */
  pages: number;
  /** Items received over all pages. */
  items: number;
  /** The largest `count`/`total` reported, when the shape has one. */
  count?: number;
}

export interface PaginateRequest {
  path: string;
  query?: Query;
  /**
   * The list's shape. `auto` takes whatever shape the first page has, and a first page that is no
   * list at all (a single object) as the whole listing.
   */
  shape: PageShape | 'auto';
  /** A generic paginator instead of Hub's shapes (then `shape` is not consulted). */
  paginator?: PaginatorSpec;
  /**
   * The record selector: the records of a page's body, for a generic paginator's end of list (an
   * empty or short page). Default: the items of a Hub envelope, or the body when it is a list.
   */
  records?: (body: unknown) => unknown[];
  /** Default GET; user-defined endpoints may list with POST (with `body`) and extra headers. */
  method?: 'GET' | 'POST';
  body?: unknown;
  endpoint?: string;
  /** Default 100 (Hub's maximum); null sends no page_size. */
  pageSize?: number | null;
  /** Default 10 000; more pages than this is treated as a runaway loop. */
  maxPages?: number;
  auth?: AuthMode;
  /** Sent with every page (a credential of its own, such as a SCIM token, with `auth: 'none'`). */
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface RateLimitSnapshot {
  limit?: number | undefined;
  remaining?: number | undefined;
  /** Unix seconds. */
  reset?: number | undefined;
}

export interface HubStats {
  /** HTTP attempts sent, retries and logins included; cache hits excluded. */
  requests: number;
  retries: number;
  /** 429 answers received. */
  rateLimited: number;
  /** Response body bytes read. */
  bytes: number;
  /** Time spent sleeping for pacing, Retry-After and backoff. */
  waitedMs: number;
  cacheHits: number;
  logins: number;
  /** Attempts that ended without a response (reset, timeout …). */
  networkErrors: number;
  rateLimit: RateLimitSnapshot;
}

/** One per HTTP attempt, for metrics (prom-client histograms and the like). */
export interface HubRequestEvent {
  method: string;
  path: string;
  endpoint: string | undefined;
  status: number | undefined;
  ms: number;
  bytes: number;
  attempt: number;
  errorCode?: string | undefined;
}

export interface HubClientOptions {
  /** Default https://hub.docker.com. */
  baseUrl?: string;
  username?: string;
  /** PAT, password or OAT (with an OAT, `username` is the organization). */
  token?: string;
  password?: string;
  /** A ready bearer token (like docker-hub-api's setLoginToken). */
  jwt?: string;
  /** TOTP code (or a function returning a fresh one) for the legacy 2FA login. */
  otp?: string | (() => string | Promise<string>);
  /** Shared undici dispatcher; when absent the client makes its own and closes it in close(). */
  dispatcher?: Dispatcher;
  logger?: Logger;
  clock?: Clock;
  /** Longest wait a 429 may impose before failing fast (default 15 minutes). */
  maxRetryWaitMs?: number;
  /** Retries for 5xx and network failures (default 5). */
  maxRetries?: number;
  /** Retries for 429s (default 10). */
  maxRateLimitRetries?: number;
  /**
   * Total time one attempt may take, headers and body together (default 3 minutes). The
   * dispatcher's timeouts are idle timeouts: a body that trickles in never trips them.
   */
  requestDeadlineMs?: number;
  /** Largest response body read (default 64 MiB); the read stops as soon as a body passes it. */
  maxResponseBytes?: number;
  /** Backoff base (default 500 ms). */
  retryBaseDelayMs?: number;
  /** Pace when X-RateLimit-Remaining is at or below this (default 3). */
  rateLimitThreshold?: number;
  /** GET response cache; off by default. */
  cache?: false | { ttlMs: number; maxEntries?: number };
  userAgent?: string;
  /** Called after every HTTP attempt. */
  onRequest?: (event: HubRequestEvent) => void;
  /** Jitter source, for tests. */
  random?: () => number;
}
