// Routing and response helpers shared by the route modules: path templates, Docker Hub's error
// bodies (they differ by endpoint family, see the spec's `error`, `Error` and `ValueError`),
// paging parameters and the absolute `next`/`previous` links.

import type { IncomingMessage } from 'node:http';
import type { Authenticator, Principal } from './auth.js';
import type { Clock } from './clock.js';
import type { EmulatorState } from './state/state.js';
import type { StateErrorKind } from './state/errors.js';

/** `error` = {errinfo, detail, message} (repositories, orgs, teams, invites); `Error` = {detail, message} (tokens, settings, tags). */
export type ErrorShape = 'error' | 'Error';

export type ItemKind = 'repository' | 'tag' | 'auditLog' | 'member' | 'group' | 'groupMember' | 'accessToken' | 'orgAccessToken' | 'invite';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`);
  }
}

const STATUS_MESSAGE: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  500: 'internal_error',
};

export function errorBody(shape: ErrorShape, status: number, detail: string): unknown {
  const message = STATUS_MESSAGE[status] ?? 'error';
  return shape === 'error' ? { errinfo: {}, detail, message } : { detail, message };
}

export function fail(shape: ErrorShape, status: number, detail: string): never {
  throw new HttpError(status, errorBody(shape, status, detail));
}

/** A 400 in the `ValueError` shape: {fields: {name: [messages]}, text}. */
export function invalid(fields: Record<string, string[]>, text: string): never {
  throw new HttpError(400, { fields, text });
}

export const KIND_STATUS: Record<StateErrorKind, number> = { not_found: 404, conflict: 409, invalid: 400, forbidden: 403 };

export interface RouteContext {
  req: IncomingMessage;
  url: URL;
  params: Record<string, string>;
  query: URLSearchParams;
  principal: Principal;
  body: unknown;
  host: string;
  state: EmulatorState;
  auth: Authenticator;
  clock: Clock;
  errors: ErrorShape;
}

export interface RouteResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Non-JSON payload (members CSV export). */
  text?: { contentType: string; body: string };
  /** The list inside `body` whose items fault injection may corrupt or extend. */
  items?: { list: unknown[]; kind: ItemKind };
  /** `body` is one API object: schema drift adds a field to it too. */
  single?: boolean;
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Route {
  method: Method;
  /** Template like `/v2/namespaces/:namespace/repositories`; a trailing slash is optional. */
  path: string;
  /** Stable name used in request counts (`repositories.list`, …). */
  name: string;
  errors: ErrorShape;
  /**
   * 'optional': anonymous callers allowed (public repositories); 'none': login endpoints;
   * 'scim': the route checks its own bearer token (an organization's SCIM token, not a login);
   * 'own': likewise, any bearer of its own (the Enterprise Data API's organization access token as is).
   */
  auth: 'required' | 'optional' | 'none' | 'scim' | 'own';
  handler(ctx: RouteContext): RouteResult | Promise<RouteResult>;
}

export function route(
  method: Method,
  path: string,
  name: string,
  handler: Route['handler'],
  auth: Route['auth'] = 'required',
  errors: ErrorShape = 'error',
): Route {
  return { method, path, name, handler, auth, errors };
}

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  keys: string[];
}

export type RouteMatch =
  | { kind: 'found'; route: Route; params: Record<string, string> }
  | { kind: 'method_not_allowed'; allowed: string[] }
  | { kind: 'not_found' };

export class Router {
  private readonly compiled: CompiledRoute[] = [];

  constructor(routes: readonly Route[]) {
    for (const route of routes) {
      const keys: string[] = [];
      const source = route.path
        .replace(/\/$/, '')
        .split('/')
        .map((segment) => {
          if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          keys.push(segment.slice(1));
          return '([^/]+)';
        })
        .join('/');
      this.compiled.push({ route, pattern: new RegExp(`^${source}/?$`), keys });
    }
  }

  /** HEAD is answered by the GET route of the same path. */
  match(method: string, pathname: string): RouteMatch {
    const wanted = method === 'HEAD' ? 'GET' : method;
    const allowed: string[] = [];
    for (const { route, pattern, keys } of this.compiled) {
      const found = pattern.exec(pathname);
      if (!found) continue;
      if (route.method !== wanted) {
        allowed.push(route.method);
        continue;
      }
      const params: Record<string, string> = {};
      keys.forEach((key, i) => {
        params[key] = decodeURIComponent(found[i + 1] ?? '');
      });
      return { kind: 'found', route, params };
    }
    return allowed.length > 0 ? { kind: 'method_not_allowed', allowed } : { kind: 'not_found' };
  }

  get routes(): Route[] {
    return this.compiled.map((c) => c.route);
  }
}

// ---------------------------------------------------------------- query parameters and paging

export const MAX_PAGE_SIZE = 100;

function integerParam(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value)) invalid({ [name]: ['A valid integer is required.'] }, `Invalid ${name}`);
  return value;
}

export interface Paging {
  page: number;
  pageSize: number;
  offset: number;
}

/** page ≥ 1 and 1 ≤ page_size ≤ 100, else 400 like Hub's repository list. */
export function paging(ctx: RouteContext, defaultPageSize: number): Paging {
  const page = integerParam(ctx.query, 'page') ?? 1;
  const pageSize = integerParam(ctx.query, 'page_size') ?? defaultPageSize;
  if (page < 1) invalid({ page: ['Ensure this value is greater than or equal to 1.'] }, 'Invalid page');
  if (pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    invalid({ page_size: [`Ensure this value is between 1 and ${MAX_PAGE_SIZE}.`] }, 'Invalid page_size');
  }
  return { page, pageSize, offset: (page - 1) * pageSize };
}

/**
 * Absolute links like Hub's, which are built from the Host header and come back as http://
 * even when the request was https (docs/hub-quirks.md): clients must rebase them on their own base URL.
 */
export function pageLink(ctx: RouteContext, page: number, pageSize: number): string {
  const query = new URLSearchParams(ctx.query);
  query.set('page', String(page));
  query.set('page_size', String(pageSize));
  return `http://${ctx.host}${ctx.url.pathname}?${query.toString()}`;
}

export interface PageEnvelope<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

export function links(ctx: RouteContext, paged: Paging, total: number): { next: string | null; previous: string | null } {
  const next = paged.offset + paged.pageSize < total ? pageLink(ctx, paged.page + 1, paged.pageSize) : null;
  const previous = paged.page > 1 ? pageLink(ctx, Math.min(paged.page - 1, Math.max(1, Math.ceil(total / paged.pageSize))), paged.pageSize) : null;
  return { next, previous };
}

export function resultsPage<T>(ctx: RouteContext, paged: Paging, total: number, results: T[], kind: ItemKind): RouteResult {
  const body: PageEnvelope<T> = { count: total, ...links(ctx, paged, total), results };
  return { status: 200, body, items: { list: results, kind } };
}

export function stringParam(query: URLSearchParams, name: string): string | undefined {
  const value = query.get(name);
  return value === null || value === '' ? undefined : value;
}

export function booleanParam(query: URLSearchParams, name: string): boolean | undefined {
  const value = stringParam(query, name);
  if (value === undefined) return undefined;
  if (['true', '1', 'True'].includes(value)) return true;
  if (['false', '0', 'False'].includes(value)) return false;
  return invalid({ [name]: ['Must be a valid boolean.'] }, `Invalid ${name}`);
}

export function enumParam<T extends string>(query: URLSearchParams, name: string, allowed: readonly T[]): T | undefined {
  const value = stringParam(query, name);
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    invalid({ [name]: [`Invalid ${name} value. Must be one of: ${allowed.join(', ')}`] }, `Invalid ${name} value`);
  }
  return value as T;
}

export function requireBodyObject(ctx: RouteContext): Record<string, unknown> {
  const body = ctx.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) invalid({ body: ['A JSON object is required.'] }, 'Invalid request body');
  return body as Record<string, unknown>;
}

export const NO_CONTENT: RouteResult = { status: 204 };
