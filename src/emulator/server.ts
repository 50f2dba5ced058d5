// The request pipeline: admin routes bypass everything; API requests are counted, rate limited,
// exposed to faults, authenticated, routed, and their list items optionally corrupted.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Authenticator } from './auth.js';
import type { Clock } from './clock.js';
import { errorReply, type Faults } from './faults.js';
import { errorBody, type ErrorShape, HttpError, KIND_STATUS, type RouteContext, type RouteMatch, type RouteResult, type Router } from './http.js';
import type { RateLimiter } from './rate-limit.js';
import type { RateLimitScope } from './options.js';
import type { RequestLog } from './request-log.js';
import { StateError } from './state/errors.js';
import type { EmulatorState } from './state/state.js';

const MAX_BODY_BYTES = 1024 * 1024;
export const ADMIN_PREFIX = '/_emulator/';

export interface PipelineDeps {
  state: EmulatorState;
  auth: Authenticator;
  api: Router;
  admin: Router;
  limiter: RateLimiter;
  /** Whose budget a request spends (see EmulatorOptions.rateLimitBy). */
  rateLimitBy?: RateLimitScope;
  faults: Faults;
  requests: RequestLog;
  clock: Clock;
  logger?: Logger | undefined;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, { detail: 'Request body too large', message: 'payload_too_large' }));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function parseBody(req: IncomingMessage): Promise<unknown> {
  if (req.method === 'GET' || req.method === 'HEAD') return undefined;
  const text = await readBody(req);
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, { detail: 'JSON parse error - request body is not valid JSON', message: 'bad_request' });
  }
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, payload: string | undefined, contentType: string, head: boolean): void {
  if (res.destroyed) return;
  const out: Record<string, string> = { ...headers };
  if (payload !== undefined) {
    out['content-type'] = contentType;
    out['content-length'] = String(Buffer.byteLength(payload));
  } else {
    out['content-length'] = '0';
  }
  res.writeHead(status, out);
  res.end(head ? undefined : payload);
}

/** The budget a request spends: its address, or the user or organization its token belongs to. */
function rateLimitKey(req: IncomingMessage, deps: PipelineDeps): string {
  const address = `address:${req.socket.remoteAddress ?? 'unknown'}`;
  if (deps.rateLimitBy !== 'credential') return address;
  const principal = deps.auth.principal(req.headers.authorization);
  if ('ok' in principal || principal.kind === 'anonymous') return address;
  return principal.kind === 'oat' ? `org:${principal.org}` : `user:${principal.username}`;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createRequestHandler(deps: PipelineDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { api, admin, logger } = deps;
  return (req, res) => {
    const isAdmin = (req.url ?? '').startsWith(ADMIN_PREFIX);
    answer(deps, req, res, isAdmin ? admin : api, isAdmin).catch((error: unknown) => {
      logger?.error({ err: error }, 'emulator request failed');
      if (!res.headersSent) send(res, 500, {}, JSON.stringify({ detail: 'Internal server error' }), 'application/json', false);
      else res.destroy();
    });
  };
}

async function answer(deps: PipelineDeps, req: IncomingMessage, res: ServerResponse, router: Router, isAdmin: boolean): Promise<void> {
  const { faults, requests } = deps;
  const method = req.method ?? 'GET';
  const head = method === 'HEAD';
  const host = req.headers.host ?? 'localhost';
  const url = new URL(req.url ?? '/', `http://${host}`);
  const match = router.match(method, url.pathname);
  let headers: Record<string, string> = {};

  if (!isAdmin) {
    const passed = await admit(deps, req, res, match, head);
    if (!passed) return;
    headers = passed.headers;
    const capped = faults.pageSize(url.searchParams.get('page_size'));
    if (capped !== null) url.searchParams.set('page_size', capped);
  }

  const errors = match.kind === 'found' ? match.route.errors : 'error';
  const routed = await route(deps, req, { url, host, method, match, errors, isAdmin });
  let result = routed.result;

  if (!isAdmin) result = brokenPage(result, faults, Number(url.searchParams.get('page') ?? '1'), errors);
  if (!isAdmin) requests.recordStatus(result.status);
  if (!isAdmin && match.kind === 'found' && !['GET', 'HEAD', 'OPTIONS'].includes(method) && !match.route.name.startsWith('auth.')) {
    const entry = requests.recordWrite({ route: match.route.name, method, path: url.pathname, status: result.status, body: routed.parsedBody });
    if (requests.onWrite) await requests.onWrite(entry);
  }
  const body = isAdmin ? result.body : faultedBody(result, faults);
  const allHeaders = { ...headers, ...result.headers };
  if (result.text) send(res, result.status, allHeaders, result.text.body, result.text.contentType, head);
  else send(res, result.status, allHeaders, body === undefined ? undefined : JSON.stringify(body), 'application/json', head);
}

/**
 * An API request is counted and spends its rate-limit budget, then meets the faults: dropped,
 * delayed or answered with an error. Its rate-limit headers when it goes on; undefined when it
 * was answered (or dropped) here.
 */
async function admit(
  deps: PipelineDeps,
  req: IncomingMessage,
  res: ServerResponse,
  match: RouteMatch,
  head: boolean,
): Promise<{ headers: Record<string, string> } | undefined> {
  const { limiter, faults, requests } = deps;
  requests.record(match.kind === 'found' ? match.route.name : match.kind, { method: req.method ?? 'GET', path: (req.url ?? '/').split('?')[0]! });
  const rate = limiter.take(rateLimitKey(req, deps));
  const headers = rate.headers;
  if (rate.limited) {
    requests.recordStatus(429);
    send(res, 429, headers, JSON.stringify({ detail: 'Rate limit exceeded', error: false }), 'application/json', head);
    return undefined;
  }
  const fault = faults.decide(match.kind === 'found' ? match.route.name : match.kind);
  if (fault.drop) {
    req.socket.destroy();
    return undefined;
  }
  if (fault.latencyMs > 0) await sleep(fault.latencyMs);
  const loginError = match.kind === 'found' && match.route.name.startsWith('auth.') ? (faults.settings.loginErrorStatus ?? null) : null;
  const errorStatus = fault.errorStatus ?? loginError;
  if (errorStatus !== null) {
    const reply = errorReply(errorStatus);
    requests.recordStatus(reply.status);
    send(res, reply.status, headers, reply.body, reply.contentType, head);
    return undefined;
  }
  return { headers };
}

/** Authenticate and run the matched route; a thrown error becomes the answer Docker Hub would give. */
async function route(
  deps: PipelineDeps,
  req: IncomingMessage,
  at: { url: URL; host: string; method: string; match: RouteMatch; errors: ErrorShape; isAdmin: boolean },
): Promise<{ result: RouteResult; parsedBody: unknown }> {
  const { state, auth, clock, logger } = deps;
  const { url, host, method, match, errors, isAdmin } = at;
  let parsedBody: unknown;
  try {
    if (match.kind === 'not_found') throw new HttpError(404, errorBody('error', 404, `no route for ${url.pathname}`));
    if (match.kind === 'method_not_allowed') {
      throw new HttpError(405, { detail: `Method "${method}" not allowed.`, message: 'method_not_allowed' }, { allow: match.allowed.join(', ') });
    }
    const principal = isAdmin || match.route.auth === 'scim' || match.route.auth === 'own' ? ({ kind: 'anonymous' } as const) : auth.principal(req.headers.authorization);
    if ('ok' in principal) {
      throw new HttpError(401, errorBody(errors, 401, principal.reason === 'expired' ? 'Token has expired' : 'Invalid authentication token'));
    }
    if (match.route.auth === 'required' && principal.kind === 'anonymous') {
      throw new HttpError(401, errorBody(errors, 401, 'Authentication credentials were not provided.'));
    }
    const ctx: RouteContext = {
      req,
      url,
      params: match.params,
      query: url.searchParams,
      principal,
      body: (parsedBody = await parseBody(req)),
      host,
      state,
      auth,
      clock,
      errors,
    };
    return { result: await match.route.handler(ctx), parsedBody };
  } catch (error) {
    if (error instanceof HttpError) {
      return { result: { status: error.status, body: error.body, headers: error.headers }, parsedBody };
    } else if (error instanceof StateError) {
      const status = KIND_STATUS[error.kind];
      return { result: { status, body: status === 400 && error.fields ? { fields: error.fields, text: error.message } : errorBody(errors, status, error.message) }, parsedBody };
    } else {
      logger?.error({ err: error, path: url.pathname }, 'emulator route failed');
      return { result: { status: 500, body: errorBody(errors, 500, 'Internal server error') }, parsedBody };
    }
  }
}

/** The body with the item faults applied to its list (or to the single object), when faults are on. */
function faultedBody(result: RouteResult, faults: Faults): unknown {
  let body = result.body;
  if (faults.active) {
    if (result.items) {
      const changed = faults.items(result.items.list, result.items.kind);
      body = Array.isArray(body) ? changed : { ...(body as Record<string, unknown>), ...replaceList(body, result.items.list, changed) };
    } else if (result.single) {
      body = faults.single(body);
    }
  }
  return body;
}

/** The page fault applied to one page of a `{count, next, results}` list: emptied, 404, or cut in half. */
function brokenPage(result: RouteResult, faults: Faults, page: number, errors: ErrorShape): RouteResult {
  const body = result.body as Record<string, unknown> | undefined;
  if (result.status !== 200 || !result.items || !body || Array.isArray(body) || body.results !== result.items.list) return result;
  const mode = faults.pageFaultFor(page);
  if (mode === null) return result;
  if (mode === 'missing') return { status: 404, body: errorBody(errors, 404, 'Invalid page.') };
  const kept = mode === 'empty' ? [] : result.items.list.slice(0, Math.floor(result.items.list.length / 2));
  return { ...result, body: { ...body, results: kept }, items: { ...result.items, list: kept } };
}

/** The envelope key holding `list` (results, logs, data), with the changed items in its place. */
function replaceList(body: unknown, list: unknown[], changed: unknown[]): Record<string, unknown> {
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (value === list) return { [key]: changed };
  }
  return {};
}
