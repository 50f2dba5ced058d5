// createHubClient: wires dispatcher, transport (pacing + retries), auth, cache, pagination and the
// typed operations into one object. Everything stateful lives per instance; nothing is global.

import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import { HubAuth, LoginGate, needsPasswordSession, type AuthPost, type CredentialKind } from './auth.js';
import { ResponseCache } from './cache.js';
import { systemClock, type Clock } from './clock.js';
import { createHubDispatcher } from './dispatcher.js';
import {
  HubAuthError,
  HubError,
  HubHttpError,
  HubNotFoundError,
  HubPermissionError,
  HubResponseError,
  oatRefusalMessage,
  permissionHint,
  redactSecrets,
  stripUserinfo,
} from './errors.js';
import { createOperations, type HubOperations } from './operations.js';
import { paginate as paginatePages } from './pagination.js';
import { RateLimitPacer } from './rate-limit.js';
import { defaultRetryPolicy, type RetryPolicy } from './retry.js';
import { buildUrl, splitCredentialHeaders } from './request-rules.js';
import { createTransport, type RawResponse, type Send } from './transport.js';
import type { AuthMode, HttpMethod, HubClientOptions, HubPage, HubRequest, HubResponse, HubStats, HubStreamResponse, ListingEnd, PaginateRequest } from './types.js';

/** The one function that makes a request URL (request-rules.ts), here for the library's users. */
export { buildUrl };

export type {
  AuthMode,
  HttpMethod,
  HubClientOptions,
  HubPage,
  HubRequest,
  HubRequestEvent,
  HubResponse,
  HubStats,
  HubStreamResponse,
  ListingEnd,
  PageShape,
  PaginateRequest,
  Query,
  RateLimitSnapshot,
} from './types.js';

export const DEFAULT_BASE_URL = 'https://hub.docker.com';
export const DEFAULT_USER_AGENT = 'dockerhub-sync (+https://github.com/dockerhub-sync)';

export interface HubCore {
  request<T = unknown>(req: HubRequest): Promise<HubResponse<T>>;
  /**
   * A GET whose 2xx body is handed over unread, as a stream under the size cap and the deadline
   * (never cached); the caller must read it to its end or destroy it. Other answers are errors as
   * for request().
   */
  stream(req: HubRequest): Promise<HubStreamResponse>;
  /** Complete pagination, one page per yield; returns whether the listing is proven complete. */
  paginate(req: PaginateRequest): AsyncGenerator<HubPage, ListingEnd>;
  /** A snapshot of the counters; take two and subtract for a per-run figure. */
  readonly stats: HubStats;
  readonly baseUrl: string;
  /** Authenticates now (verifies credentials). Like docker-hub-api's login(); the token is yours to guard. */
  login(): Promise<{ token: string; refreshAt: Date }>;
  /** Use a ready bearer token from now on (docker-hub-api's setLoginToken). */
  setLoginToken(jwt: string): void;
  /** Turn the GET cache on/off (docker-hub-api's setCacheOptions; time in ms, not seconds). */
  setCacheOptions(options: { enabled: boolean; ttlMs?: number; maxEntries?: number }): void;
  /** Aborts waits and in-flight requests; closes the dispatcher if the client created it. */
  close(): Promise<void>;
}

export interface HubClient extends HubCore, HubOperations {}

/** Logins one request may cause after 401s (the first, and one per token that outlived its lifetime). */
const MAX_LOGINS_PER_REQUEST = 3;

export function createHubClient(options: HubClientOptions = {}): HubClient {
  const baseUrl = new URL(options.baseUrl ?? DEFAULT_BASE_URL);
  const clock = options.clock ?? systemClock;
  const logger: Logger | undefined = options.logger;
  const ownsDispatcher = options.dispatcher === undefined;
  const dispatcher: Dispatcher = options.dispatcher ?? createHubDispatcher();
  const userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
  const closing = new AbortController();
  const state: ClientState = { closed: false, cache: options.cache ? new ResponseCache(options.cache, () => clock.now()) : undefined };

  const stats: HubStats = { requests: 0, retries: 0, rateLimited: 0, bytes: 0, waitedMs: 0, cacheHits: 0, logins: 0, networkErrors: 0, rateLimit: {} };
  const pacer = new RateLimitPacer(clock, options.rateLimitThreshold !== undefined ? { threshold: options.rateLimitThreshold } : {});
  const send = createTransport({
    dispatcher,
    clock,
    logger,
    pacer,
    stats,
    policy: retryPolicy(options),
    random: options.random ?? Math.random,
    onRequest: options.onRequest,
    deadlineMs: options.requestDeadlineMs,
    maxResponseBytes: options.maxResponseBytes,
  });
  const insecure = insecureApiUrlWarning(baseUrl);
  if (insecure) logger?.warn({ apiUrl: stripUserinfo(baseUrl.toString()) }, insecure);

  const sessions = createSessions(options, { send, baseUrl, userAgent, clock, logger, stats, signal: closing.signal });
  const auth = sessions.auth;
  const { request, stream } = createRequest({ baseUrl, userAgent, send, sessions, state, stats, logger, closing });

  const core: HubCore = {
    request,
    stream,
    paginate: (req) => paginatePages({ request, baseUrl, logger }, req),
    get stats(): HubStats {
      return { ...stats, rateLimit: { ...stats.rateLimit } };
    },
    baseUrl: stripUserinfo(baseUrl.toString()),
    async login() {
      if (!auth.canLogin) {
        throw new HubAuthError('login() needs a username and a token or password.', 'missing_credentials');
      }
      const info = await auth.login();
      return { token: info.token, refreshAt: new Date(info.refreshAt) };
    },
    setLoginToken(jwt) {
      auth.setStaticToken(jwt);
    },
    setCacheOptions({ enabled, ttlMs, maxEntries }) {
      state.cache = enabled ? new ResponseCache({ ttlMs: ttlMs ?? 5 * 60_000, ...(maxEntries !== undefined ? { maxEntries } : {}) }, () => clock.now()) : undefined;
    },
    async close() {
      if (state.closed) return;
      state.closed = true;
      closing.abort(new HubError('The Docker Hub client was closed'));
      if (ownsDispatcher) await dispatcher.close();
    },
  };

  return Object.assign(core, createOperations({ request, paginate: core.paginate, logger }));
}

/** What a client changes after it is made: closed once, and the GET cache turned on or off. */
interface ClientState {
  closed: boolean;
  cache: ResponseCache | undefined;
}

function retryPolicy(options: HubClientOptions): RetryPolicy {
  return {
    ...defaultRetryPolicy,
    ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
    ...(options.maxRateLimitRetries !== undefined ? { maxRateLimitRetries: options.maxRateLimitRetries } : {}),
    ...(options.maxRetryWaitMs !== undefined ? { maxRetryWaitMs: options.maxRetryWaitMs } : {}),
    ...(options.retryBaseDelayMs !== undefined ? { baseDelayMs: options.retryBaseDelayMs } : {}),
  };
}

interface Sessions {
  auth: HubAuth;
  /** Set when a password comes with a token: the session for the calls a token may not make. */
  passwordAuth: HubAuth | undefined;
  /** Every secret either session holds, to redact from error details. */
  secrets(): string[];
}

/** The login sessions of one client, sharing one login gate, one login counter and the transport. */
function createSessions(
  options: HubClientOptions,
  deps: { send: Send; baseUrl: URL; userAgent: string; clock: Clock; logger: Logger | undefined; stats: HubStats; signal: AbortSignal },
): Sessions {
  const { send, baseUrl, userAgent, clock, logger, stats } = deps;
  const post: AuthPost = async (path, body, endpoint) => {
    const raw = await send({
      method: 'POST',
      url: buildUrl(baseUrl, path),
      headers: baseHeaders(userAgent, true),
      body: JSON.stringify(body),
      endpoint,
      // Every login Hub sees may count toward its lockout: HubAuth decides how often to try
      // (a few tries, then a pause shared by the whole process), not the transport.
      idempotent: false,
      signal: deps.signal,
    });
    return { status: raw.status, body: parseJsonLoose(raw.text) };
  };
  const gate = new LoginGate(clock);
  const onLogin = () => {
    stats.logins += 1;
  };
  const retryDelayMs = options.retryBaseDelayMs ?? 1000;
  const auth = new HubAuth({
    credentials: { username: options.username, token: options.token, password: options.password, jwt: options.jwt, otp: options.otp },
    clock,
    logger,
    onLogin,
    post,
    gate,
    retryDelayMs,
  });
  // Docker Hub refuses token management to a session opened with a personal access token; with a
  // password as well, those calls get a session of their own and everything else keeps the token.
  const passwordAuth =
    options.username && options.token && options.password
      ? new HubAuth({ credentials: { username: options.username, password: options.password, otp: options.otp }, clock, logger, onLogin, post, gate, retryDelayMs })
      : undefined;
  return { auth, passwordAuth, secrets: () => [...auth.secrets(), ...(passwordAuth?.secrets() ?? [])] };
}

interface RequestDeps {
  baseUrl: URL;
  userAgent: string;
  send: Send;
  sessions: Sessions;
  state: ClientState;
  stats: HubStats;
  logger: Logger | undefined;
  closing: AbortController;
}

/** What one call of request or stream is about, worked out once. */
interface Prepared {
  method: HttpMethod;
  url: URL;
  path: string;
  endpoint: string | undefined;
  authMode: AuthMode;
  session: HubAuth;
  info: { method: string; url: string; endpoint: string | undefined };
  label: string;
}

/** The client's request and stream: cache, session token, one re-login after a 401 from our origin, and the error for a failure. */
function createRequest(deps: RequestDeps): Pick<HubCore, 'request' | 'stream'> {
  const { baseUrl, state, stats, sessions } = deps;
  const prepare = (req: HubRequest): Prepared => {
    if (state.closed) throw new HubError('The Docker Hub client is closed');
    const method = req.method ?? 'GET';
    const url = buildUrl(baseUrl, req.path, req.query);
    const path = url.pathname + url.search;
    const endpoint = req.endpoint;
    const authMode = req.auth ?? 'optional';
    const session = sessions.passwordAuth && needsPasswordSession(method, url.pathname) ? sessions.passwordAuth : sessions.auth;
    const info = { method, url: url.toString(), endpoint };
    const label = `${method} ${path}${endpoint ? ` (${endpoint})` : ''}`;
    if (authMode === 'required' && !sessions.auth.configured) {
      throw new HubAuthError(`${label} needs a Docker Hub login: configure a username and a token (PAT, password or OAT).`, 'authentication_required', info);
    }
    return { method, url, path, endpoint, authMode, session, info, label };
  };
  const answer = createAnswer(deps);

  async function request<T = unknown>(req: HubRequest): Promise<HubResponse<T>> {
    const p = prepare(req);
    const cacheKey = state.cache && p.method === 'GET' && req.cache !== false ? ResponseCache.key(p.authMode === 'none' ? 'anonymous' : p.session.identity, p.url.toString()) : undefined;
    if (cacheKey && state.cache) {
      const hit = state.cache.get(cacheKey);
      if (hit) {
        stats.cacheHits += 1;
        return { status: hit.status, headers: { ...hit.headers }, body: parseBody(hit, p.info) as T, url: hit.url };
      }
    }
    const raw = await answer(req, p, false);
    const body = parseBody(raw, p.info) as T;
    if (state.cache) {
      if (cacheKey) state.cache.set(cacheKey, { status: raw.status, headers: raw.headers, text: raw.text, url: raw.url });
      else if (p.method !== 'GET' && p.method !== 'HEAD') state.cache.clear(); // a write makes cached reads stale
    }
    return { status: raw.status, headers: raw.headers, body, url: raw.url };
  }

  async function stream(req: HubRequest): Promise<HubStreamResponse> {
    const raw = await answer(req, prepare(req), true);
    return { status: raw.status, headers: raw.headers, body: raw.body ?? Readable.from([]), url: raw.url };
  }
  return { request, stream };
}

/** A 2xx answer to the request (its body unread when `stream`), after at most a few logins; anything else as its error. */
function createAnswer(deps: RequestDeps): (req: HubRequest, p: Prepared, stream: boolean) => Promise<RawResponse> {
  const { baseUrl, userAgent, send, sessions, logger, closing } = deps;
  return async (req, p, stream) => {
    const { method, url, path, endpoint, session, info, label } = p;
    const signal = req.signal ? AbortSignal.any([req.signal, closing.signal]) : closing.signal;
    let token = p.authMode === 'none' ? undefined : await session.token();
    let refreshed = false;
    let logins = 0;
    // A credential a caller passes as a header (a SCIM token) is bound to the API's origin like ours.
    const { plain, credential: passed } = splitCredentialHeaders({ ...baseHeaders(userAgent, req.body !== undefined), ...req.headers });
    for (;;) {
      const credential = { ...passed, ...(token ? { authorization: `Bearer ${token}` } : {}) };
      const raw = await send({
        method,
        url,
        headers: plain,
        credential: { origin: baseUrl.origin, headers: credential },
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        endpoint,
        idempotent: req.idempotent,
        signal,
        stream,
      });

      // A 401 from another origin (after a redirect, sent without our token) says nothing about the token.
      if (raw.status === 401 && token && new URL(raw.url).origin === baseUrl.origin) {
        // A fresh token refused once its lifetime is over on our clock (retries and their back-off
        // took that long) was refused for its age, not its rights: log in again, a few times at most.
        const outlived = refreshed && logins < MAX_LOGINS_PER_REQUEST && session.outlived(token);
        if ((!refreshed || outlived) && session.invalidateAfter401(token)) {
          refreshed = true;
          logins++;
          const previous = token;
          logger?.info({ method, path }, 'hub: token refused (expired?); re-authenticating once');
          token = await session.token();
          if (token && token !== previous) continue;
        } else if (refreshed) {
          session.markRejectedAfterRefresh(token);
        }
      }

      if (raw.status >= 200 && raw.status < 300) return raw;
      throw errorFor(raw, { ...info, label, path, usedToken: Boolean(token), refreshed, kind: session.credentialKind }, sessions.secrets());
    }
  };
}

/** The error for a failed answer: what was refused, with whose credentials, in the server's own (redacted) words. */
function errorFor(
  raw: RawResponse,
  ctx: { method: string; url: string; endpoint: string | undefined; label: string; path: string; usedToken: boolean; refreshed: boolean; kind: CredentialKind },
  secrets: string[],
): HubError {
  const detail = errorDetail(raw.text, secrets);
  const said = detail ? `: ${detail}` : '';
  const info = { status: raw.status, method: ctx.method, url: ctx.url, endpoint: ctx.endpoint, detail };
  switch (raw.status) {
    case 401:
      if (!ctx.usedToken) {
        return new HubAuthError(`${ctx.label} needs a Docker Hub login (401${said}); configure a username and a token.`, 'authentication_required', info);
      }
      return new HubAuthError(
        ctx.kind === 'bearer token (jwt)'
          ? `Docker Hub refused the configured bearer token (jwt) for ${ctx.label} with 401${said}. It has expired or was revoked: supply a fresh one, or configure username and token so the client can log in.`
          : `Docker Hub refused the token for ${ctx.label} with 401${said}${ctx.refreshed ? ', even after a fresh login' : ''}. The ${ctx.kind} may lack access to this endpoint, or was revoked.`,
        'token_rejected',
        info,
      );
    case 403: {
      const needs = permissionHint(ctx.method, ctx.path);
      const kind = ctx.kind;
      const oatRefused = oatRefusalMessage(ctx.label, ctx.method, ctx.path, detail);
      if (oatRefused) return new HubPermissionError(oatRefused, 'a password or personal access token (Docker Hub refuses organization access tokens here)', kind, info);
      return new HubPermissionError(
        `Docker Hub denied ${ctx.label} with 403${said}. This needs ${needs}; the client is authenticated with ${kind === 'anonymous' ? 'no credentials' : `a ${kind}`}.`,
        needs,
        kind,
        info,
      );
    }
    case 404:
      return new HubNotFoundError(`Docker Hub answered 404 Not Found to ${ctx.label}${said}`, info);
    default:
      return new HubHttpError(`Docker Hub answered ${raw.status} to ${ctx.label}${said}`, info);
  }
}

/**
 * Plain http to anything but this machine sends the login and every bearer token readable on
 * the way; worth a warning, not a refusal (a proxy on a private network may be deliberate).
 */
export function insecureApiUrlWarning(url: URL): string | undefined {
  if (url.protocol !== 'http:') return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)) return undefined;
  return `DOCKERHUB_API_URL is plain http:// to ${host}: credentials and tokens cross the network unencrypted. Use https:// unless this host is on a network you trust.`;
}

function baseHeaders(userAgent: string, json: boolean): Record<string, string> {
  return { accept: 'application/json', 'user-agent': userAgent, ...(json ? { 'content-type': 'application/json' } : {}) };
}

function parseBody(raw: Pick<RawResponse, 'text' | 'headers' | 'status'>, info: { method: string; url: string; endpoint: string | undefined }): unknown {
  if (raw.text === '') return undefined;
  const type = raw.headers['content-type'] ?? '';
  const looksJson = type.includes('json') || /^\s*[[{]/.test(raw.text);
  if (!looksJson) return raw.text;
  try {
    return JSON.parse(raw.text) as unknown;
  } catch {
    throw new HubResponseError(`${info.method} ${new URL(info.url).pathname}${info.endpoint ? ` (${info.endpoint})` : ''} answered ${raw.status} with a body that is not valid JSON`, {
      ...info,
      status: raw.status,
    });
  }
}

function parseJsonLoose(text: string): unknown {
  try {
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    return text;
  }
}

/** The server's own words from any of Hub's error bodies, redacted and kept short. */
function errorDetail(text: string, secrets: string[]): string | undefined {
  const body = parseJsonLoose(text);
  let detail: string | undefined;
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const b = body as Record<string, unknown>;
    for (const key of ['detail', 'message', 'text', 'error']) {
      if (typeof b[key] === 'string' && b[key]) {
        detail = b[key] as string;
        break;
      }
    }
    if (b.fields && typeof b.fields === 'object') detail = `${detail ?? 'invalid fields'} ${JSON.stringify(b.fields)}`;
  } else if (typeof body === 'string' && body.trim()) {
    detail = body.trim();
  }
  if (!detail) return undefined;
  const clean = redactSecrets(detail.replace(/\s+/g, ' '), secrets);
  return clean.length > 300 ? `${clean.slice(0, 300)}…` : clean;
}
