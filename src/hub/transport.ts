// One HTTP exchange with pacing and retries. Knows nothing about auth or status meanings beyond
// "retry or not": it returns any final response (the client maps statuses to errors) and throws
// only when the network failed for good or a rate-limit wait is above the ceiling.
//
// It holds one rule about credentials, for every caller: a credential travels in
// `RawRequest.credential`, bound to the origin it belongs to, and is attached only when the URL
// being sent to has that origin. Headers that carry a credential (Authorization, Cookie, ...) are
// never sent from the ordinary headers. A GET or HEAD redirected elsewhere is followed, and each
// hop is judged by its own origin: a redirect to another origin never carries our credential.

import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import type { Clock } from './clock.js';
import { HubNetworkError, HubRateLimitError, HubResponseError, stripUserinfo } from './errors.js';
import type { RateLimitPacer } from './rate-limit.js';
import { splitCredentialHeaders } from './request-rules.js';
import { decideRetry, errorCode, type RetryPolicy } from './retry.js';
import type { HttpMethod, HubRequestEvent, HubStats } from './types.js';

/** A credential and the one origin it may be sent to. */
export interface BoundCredential {
  /** `https://hub.docker.com`: scheme, host and port, as URL.origin spells them. */
  origin: string;
  headers: Record<string, string>;
}

export interface RawRequest {
  method: HttpMethod;
  url: URL;
  /** Ordinary headers; any that carry a credential are dropped (they belong in `credential`). */
  headers: Record<string, string>;
  /** Attached only when the URL of the request (or of a redirect hop) has its origin. */
  credential?: BoundCredential | undefined;
  body?: string | undefined;
  endpoint?: string | undefined;
  idempotent?: boolean | undefined;
  signal?: AbortSignal | undefined;
  /**
   * A 2xx answer's body is not read here: it comes back as `RawResponse.body`, a stream that keeps
   * the size cap and the deadline while its reader takes it (a download too large to hold).
   */
  stream?: boolean | undefined;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  /** The body as text; empty when it is handed over as `body`. */
  text: string;
  url: string;
  /** The unread body of a 2xx answer to a `stream` request; its reader must consume or destroy it. */
  body?: Readable | undefined;
}

export interface TransportDeps {
  dispatcher: Dispatcher;
  clock: Clock;
  logger: Logger | undefined;
  pacer: RateLimitPacer;
  stats: HubStats;
  policy: RetryPolicy;
  random: () => number;
  onRequest: ((event: HubRequestEvent) => void) | undefined;
  /** Total time one attempt may take, however steadily its body trickles in. */
  deadlineMs?: number | undefined;
  /** Largest body read; the read stops as soon as a body passes it. */
  maxResponseBytes?: number | undefined;
}

export const DEFAULT_REQUEST_DEADLINE_MS = 3 * 60_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
/** Redirects one GET may follow before it is given up as a loop. */
export const MAX_REDIRECTS = 5;
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);

/** The headers sent to `url`: the ordinary ones, and the credential only on its own origin. */
export function headersFor(req: Pick<RawRequest, 'headers' | 'credential'>, url: URL): Record<string, string> {
  const { plain } = splitCredentialHeaders(req.headers);
  if (req.credential && url.origin === req.credential.origin) return { ...plain, ...req.credential.headers };
  return plain;
}

/** An attempt that outlived its deadline; carries a timeout code so the retry policy treats it as one. */
class DeadlineExceededError extends Error {
  override name = 'DeadlineExceededError';
  readonly code = 'ETIMEDOUT';
  constructor(ms: number) {
    super(`no complete answer within ${formatMs(ms)} (DOCKERHUB_REQUEST_DEADLINE)`);
  }
}

function tooLarge(req: RawRequest, limit: number, declared?: number, shown = stripUserinfo(req.url.toString())): HubResponseError {
  const what = req.endpoint ? ` (${req.endpoint})` : '';
  const size = declared === undefined ? `is larger than the ${limit} bytes` : `declares ${declared} bytes, larger than the ${limit} bytes`;
  return new HubResponseError(
    `The answer to ${req.method} ${shown}${what} ${size} one response may have (DOCKERHUB_MAX_RESPONSE_BYTES); the read was stopped. Raise DOCKERHUB_MAX_RESPONSE_BYTES if such a response is expected.`,
    { method: req.method, url: req.url.toString(), endpoint: req.endpoint },
  );
}

export type Send = (req: RawRequest) => Promise<RawResponse>;

export function createTransport(deps: TransportDeps): Send {
  const logger = deps.logger;
  const limits = { deadlineMs: deps.deadlineMs ?? DEFAULT_REQUEST_DEADLINE_MS, maxBytes: deps.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES };

  return async function send(req: RawRequest): Promise<RawResponse> {
    let current = req;
    for (let hop = 0; ; hop++) {
      // Rate-limit headers count only from the API itself: another origin's must not pace us.
      const response = await exchange(deps, limits, current, current.url.origin === req.url.origin);
      const location = response.headers.location;
      if (!REDIRECT_STATUS.has(response.status) || !location || (req.method !== 'GET' && req.method !== 'HEAD')) return response;
      let next: URL;
      try {
        next = new URL(location, current.url);
      } catch {
        return response;
      }
      if (next.protocol !== 'http:' && next.protocol !== 'https:') return response;
      if (hop >= MAX_REDIRECTS) {
        const what = req.endpoint ? ` (${req.endpoint})` : '';
        throw new HubResponseError(`${req.method} ${req.url.pathname}${what} was redirected more than ${MAX_REDIRECTS} times (a redirect loop?); stopped.`, {
          method: req.method,
          url: req.url.toString(),
          endpoint: req.endpoint,
          status: response.status,
        });
      }
      logger?.debug(
        { method: req.method, from: current.url.origin, to: next.origin, withCredential: next.origin === req.credential?.origin, status: response.status },
        'hub: following a redirect',
      );
      current = { ...current, url: next };
    }
  };
}

interface Limits {
  deadlineMs: number;
  maxBytes: number;
}

/** What one attempt brought: an answer, or the error that stands for none; the bytes read either way. */
interface Attempt {
  response: RawResponse | undefined;
  error: unknown;
  bytes: number;
}

/** One request to one URL: paced, attempted and retried as the retry policy decides. */
async function exchange(deps: TransportDeps, limits: Limits, req: RawRequest, home: boolean): Promise<RawResponse> {
  const { clock, logger, pacer, stats } = deps;
  const target = req.url.pathname + req.url.search;
  // Logs and events name a hop elsewhere without its query (a signed link's signature).
  const path = home ? target : `${req.url.origin}${req.url.pathname}`;
  let retries = 0;
  let rateLimitRetries = 0;

  for (let attempt = 1; ; attempt++) {
    req.signal?.throwIfAborted();
    const paced = await pacer.beforeRequest(req.signal);
    if (paced > 0) {
      stats.waitedMs += paced;
      logger?.info({ path, waitMs: paced, rateLimit: { ...pacer.state } }, 'hub: pacing, rate-limit window nearly used');
    }

    const started = performance.now();
    const { response, error, bytes } = await attemptOnce(deps.dispatcher, deps.stats, limits, req, target);
    const ms = Math.round(performance.now() - started);
    const code = recordAttempt(deps, req, { path, home, attempt, ms }, { response, error, bytes });

    const decision = decideRetry({
      method: req.method,
      idempotent: req.idempotent,
      status: response?.status,
      error,
      headers: response?.headers,
      now: clock.now(),
      retries,
      rateLimitRetries,
      policy: deps.policy,
      random: deps.random,
    });

    if (decision.retry) {
      if (response?.status === 429) rateLimitRetries += 1;
      else retries += 1;
      stats.retries += 1;
      logger?.warn(
        { method: req.method, path, status: response?.status, errorCode: code, reason: decision.reason, waitMs: decision.waitMs, source: decision.source, attempt },
        'hub: retrying',
      );
      await clock.sleep(decision.waitMs, req.signal);
      stats.waitedMs += decision.waitMs;
      // The server said when to come back; stale X-RateLimit numbers must not add a second wait.
      if (response?.status === 429) pacer.forget();
      continue;
    }

    if (response) {
      if (response.status === 429) throw rateLimitError(req, decision.resetAt, decision.reason, rateLimitRetries, deps.policy, clock.now());
      return response;
    }

    const what = req.endpoint ? ` (${req.endpoint})` : '';
    const tries = retries > 0 ? ` after ${retries + 1} attempts` : '';
    throw new HubNetworkError(
      `Network error on ${req.method} ${path}${what}${tries}: ${error instanceof DeadlineExceededError ? error.message : (code ?? describe(error))}`,
      code,
      { method: req.method, url: req.url.toString(), endpoint: req.endpoint, cause: sanitizeCause(error) },
    );
  }
}

/**
 * Send once and read the answer under the deadline and the size cap. The headers, with the
 * credential or without it, are headersFor's to decide. A caller's abort and an oversized body
 * throw; any other failure is the attempt's error, for the retry decision.
 */
async function attemptOnce(dispatcher: Dispatcher, stats: HubStats, limits: Limits, req: RawRequest, target: string): Promise<Attempt> {
  const { deadlineMs, maxBytes } = limits;
  let bytes = 0;
  let handedOver = false;
  const cutoff = new AbortController();
  const deadline = setTimeout(() => cutoff.abort(new DeadlineExceededError(deadlineMs)), deadlineMs);
  try {
    const res = await dispatcher.request({
      origin: req.url.origin,
      path: target,
      method: req.method,
      headers: headersFor(req, req.url),
      body: req.body ?? null,
      signal: req.signal ? AbortSignal.any([req.signal, cutoff.signal]) : cutoff.signal,
    });
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      res.body.destroy();
      throw tooLarge(req, maxBytes, declared);
    }
    if (req.stream && res.statusCode >= 200 && res.statusCode < 300) {
      handedOver = true;
      const body = cappedBody(res.body, req, limits, { stats, cutoff, release: () => clearTimeout(deadline) });
      return { response: { status: res.statusCode, headers: flattenHeaders(res.headers), text: '', url: req.url.toString(), body }, error: undefined, bytes };
    }
    // Read chunk by chunk so an oversized body is cut off at the cap, never buffered whole.
    const chunks: Buffer[] = [];
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > maxBytes) {
        res.body.destroy();
        throw tooLarge(req, maxBytes);
      }
      chunks.push(chunk);
    }
    const response = { status: res.statusCode, headers: flattenHeaders(res.headers), text: Buffer.concat(chunks).toString('utf8'), url: req.url.toString() };
    return { response, error: undefined, bytes };
  } catch (err) {
    if (req.signal?.aborted) throw req.signal.reason;
    if (err instanceof HubResponseError) throw err;
    return { response: undefined, error: cutoff.signal.aborted ? cutoff.signal.reason : err, bytes };
  } finally {
    if (!handedOver) clearTimeout(deadline);
  }
}

/**
 * A 2xx body handed to its reader: counted against the size cap chunk by chunk (over it, the read
 * stops with the cap's error), under the attempt's deadline until the reader is done. A failure
 * while it is read is a HubNetworkError naming the request (a hop elsewhere without its query:
 * a signed link's signature stays out of messages), or the caller's abort as it is.
 */
function cappedBody(source: Readable, req: RawRequest, limits: Limits, on: { stats: HubStats; cutoff: AbortController; release: () => void }): Readable {
  const shown = `${req.url.origin}${req.url.pathname}`;
  async function* read(): AsyncGenerator<Buffer> {
    let bytes = 0;
    try {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        on.stats.bytes += chunk.length;
        if (bytes > limits.maxBytes) throw tooLarge(req, limits.maxBytes, undefined, shown);
        yield chunk;
      }
    } catch (err) {
      if (req.signal?.aborted) throw req.signal.reason;
      if (err instanceof HubResponseError) throw err;
      const cause = on.cutoff.signal.aborted ? on.cutoff.signal.reason : err;
      const what = req.endpoint ? ` (${req.endpoint})` : '';
      const why = cause instanceof DeadlineExceededError ? cause.message : (errorCode(cause) ?? describe(cause));
      throw new HubNetworkError(`Network error on ${req.method} ${shown}${what} after ${bytes} bytes of the answer: ${why}`, errorCode(cause), {
        method: req.method,
        url: shown,
        endpoint: req.endpoint,
        cause: sanitizeCause(cause),
      });
    } finally {
      source.destroy();
      on.release();
    }
  }
  const body = Readable.from(read(), { objectMode: false });
  // Destroyed before its first read, the generator never ran: let go of the socket and the deadline here too.
  body.once('close', () => {
    source.destroy();
    on.release();
  });
  return body;
}

/** Count the attempt, let the API's own rate-limit headers pace us, log it and tell the onRequest hook; its error code. */
function recordAttempt(
  deps: TransportDeps,
  req: RawRequest,
  at: { path: string; home: boolean; attempt: number; ms: number },
  { response, error, bytes }: Attempt,
): string | undefined {
  const { logger, pacer, stats } = deps;
  const { path, attempt, ms } = at;
  stats.requests += 1;
  stats.bytes += bytes;
  if (response) {
    if (at.home) pacer.update(response.headers);
    stats.rateLimit = { ...pacer.state };
    if (response.status === 429) stats.rateLimited += 1;
  } else {
    stats.networkErrors += 1;
  }
  const code = error === undefined ? undefined : errorCode(error);
  logger?.debug(
    { method: req.method, path, status: response?.status, ms, attempt, ...(code ? { errorCode: code } : {}) },
    'hub request',
  );
  try {
    deps.onRequest?.({ method: req.method, path, endpoint: req.endpoint, status: response?.status, ms, bytes, attempt, errorCode: code });
  } catch (err) {
    // A metrics hook must never fail a sync.
    logger?.warn({ err }, 'hub: onRequest hook threw');
  }
  return code;
}

function rateLimitError(
  req: RawRequest,
  resetAt: number | undefined,
  reason: string,
  retried: number,
  policy: RetryPolicy,
  now: number,
): HubRateLimitError {
  const path = req.url.pathname + req.url.search;
  const what = req.endpoint ? ` (${req.endpoint})` : '';
  const when =
    resetAt === undefined ? 'at an unknown time' : `at ${new Date(resetAt).toISOString()} (in ${formatMs(Math.max(0, resetAt - now))})`;
  const why =
    reason === 'rate_limit_wait_too_long'
      ? `which is more than the ${formatMs(policy.maxRetryWaitMs)} this client may wait (maxRetryWaitMs)`
      : `and ${retried} waits did not clear it`;
  return new HubRateLimitError(
    `Docker Hub rate limit on ${req.method} ${path}${what}: the limit resets ${when}, ${why}. Try again after the reset or raise maxRetryWaitMs.`,
    resetAt === undefined ? undefined : new Date(resetAt),
    resetAt === undefined ? undefined : Math.max(0, resetAt - now),
    { status: 429, method: req.method, url: req.url.toString(), endpoint: req.endpoint },
  );
}

export function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// undici errors can hold references to sockets and request options; keep only what helps.
function sanitizeCause(error: unknown): unknown {
  if (!(error instanceof Error)) return undefined;
  return { name: error.name, message: error.message, code: errorCode(error) };
}

export function formatMs(ms: number): string {
  if (ms >= 60_000) return `${Math.round(ms / 60_000)} min`;
  if (ms >= 1000) return `${Math.round(ms / 1000)} s`;
  return `${ms} ms`;
}
