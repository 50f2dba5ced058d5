// The retry decision, kept pure (no I/O, time and randomness passed in) so a table test can pin
// every branch. The transport loop only executes what this returns.

export interface RetryPolicy {
  /** Retries for 5xx and network failures. */
  maxRetries: number;
  /** Retries for 429s; separate so a busy window cannot use up the budget for real failures. */
  maxRateLimitRetries: number;
  /** A 429 whose wait is above this fails fast with HubRateLimitError. */
  maxRetryWaitMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** 429 without any usable header. Hub's window is a minute. */
  defaultRateLimitWaitMs: number;
  /** Floor for 429 waits: a reset already in the past (clock skew) must not turn into a hot loop. */
  minRateLimitWaitMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxRetries: 5,
  maxRateLimitRetries: 10,
  maxRetryWaitMs: 15 * 60_000,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  defaultRateLimitWaitMs: 60_000,
  minRateLimitWaitMs: 1_000,
};

export interface RetryInput {
  method: string;
  /** Overrides the method's default (GET/HEAD/PUT/DELETE/OPTIONS are idempotent). */
  idempotent?: boolean | undefined;
  /** Absent when the request failed without a response. */
  status?: number | undefined;
  error?: unknown;
  /** Lower-case header names. */
  headers?: Record<string, string | undefined> | undefined;
  now: number;
  /** 5xx/network retries already made for this request. */
  retries: number;
  /** 429 retries already made for this request. */
  rateLimitRetries: number;
  policy?: Partial<RetryPolicy> | undefined;
  /** Jitter source in [0, 1). */
  random?: (() => number) | undefined;
}

export type RetryReason =
  | 'ok'
  | 'not_retryable'
  | 'rate_limited'
  | 'rate_limit_wait_too_long'
  | 'rate_limit_retries_exhausted'
  | 'server_error'
  | 'network_error'
  | 'retries_exhausted'
  | 'not_idempotent';

export type WaitSource = 'retry-after' | 'x-retry-after' | 'x-ratelimit-reset' | 'default' | 'backoff';

export interface RetryDecision {
  retry: boolean;
  waitMs: number;
  reason: RetryReason;
  source?: WaitSource;
  /** For 429s: when the limit resets (ms epoch), for the error message. */
  resetAt?: number;
}

export const RETRYABLE_STATUS = new Set([500, 502, 503, 504]);

// Failures where the server may never have seen the request; safe to retry even for POST.
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'EAI_AGAIN']);
const NETWORK_ERRORS = new Set([
  ...CONNECT_ERRORS,
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

export function errorCode(error: unknown): string | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export function isIdempotent(method: string, override?: boolean): boolean {
  if (override !== undefined) return override;
  return ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'].includes(method.toUpperCase());
}

/**
 * Milliseconds to wait from a Retry-After-style value. Docker Hub sends seconds, unix timestamps
 * (any value above 1e9; above 1e12 it is milliseconds) and, per RFC 9110, an HTTP date is legal.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  const raw = value?.trim();
  if (!raw) return undefined;
  if (/^-?\d+(\.\d+)?$/.test(raw)) {
    const n = Number(raw);
    if (n < 0) return undefined;
    if (n > 1e12) return Math.max(0, n - now);
    if (n > 1e9) return Math.max(0, n * 1000 - now);
    return Math.round(n * 1000);
  }
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Exponential backoff with equal jitter: at least half the step, so retries never bunch at 0. */
export function backoffMs(retries: number, policy: RetryPolicy, random: () => number): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retries);
  return Math.round(step / 2 + (step / 2) * random());
}

export function decideRetry(input: RetryInput): RetryDecision {
  const policy = { ...defaultRetryPolicy, ...input.policy };
  const random = input.random ?? Math.random;
  const headers = input.headers ?? {};
  const { status, now } = input;
  const idempotent = isIdempotent(input.method, input.idempotent);

  if (status === undefined) {
    const code = errorCode(input.error);
    if (!code || !NETWORK_ERRORS.has(code)) return { retry: false, waitMs: 0, reason: 'not_retryable' };
    if (!idempotent && !CONNECT_ERRORS.has(code)) return { retry: false, waitMs: 0, reason: 'not_idempotent' };
    if (input.retries >= policy.maxRetries) return { retry: false, waitMs: 0, reason: 'retries_exhausted' };
    return { retry: true, waitMs: backoffMs(input.retries, policy, random), reason: 'network_error', source: 'backoff' };
  }

  if (status === 429) {
    const { waitMs, source } = rateLimitWait(headers, now, policy);
    const resetAt = now + waitMs;
    if (waitMs > policy.maxRetryWaitMs) return { retry: false, waitMs: 0, reason: 'rate_limit_wait_too_long', source, resetAt };
    if (input.rateLimitRetries >= policy.maxRateLimitRetries) {
      return { retry: false, waitMs: 0, reason: 'rate_limit_retries_exhausted', source, resetAt };
    }
    return { retry: true, waitMs, reason: 'rate_limited', source, resetAt };
  }

  if (RETRYABLE_STATUS.has(status)) {
    if (!idempotent) return { retry: false, waitMs: 0, reason: 'not_idempotent' };
    if (input.retries >= policy.maxRetries) return { retry: false, waitMs: 0, reason: 'retries_exhausted' };
    // A 503 may say when to come back; honour it when it is within the ceiling.
    const hinted = parseRetryAfter(headers['retry-after'], now);
    if (hinted !== undefined && hinted <= policy.maxRetryWaitMs) {
      return { retry: true, waitMs: Math.max(hinted, backoffMs(input.retries, policy, random)), reason: 'server_error', source: 'retry-after' };
    }
    return { retry: true, waitMs: backoffMs(input.retries, policy, random), reason: 'server_error', source: 'backoff' };
  }

  return { retry: false, waitMs: 0, reason: status < 400 ? 'ok' : 'not_retryable' };
}

function rateLimitWait(
  headers: Record<string, string | undefined>,
  now: number,
  policy: RetryPolicy,
): { waitMs: number; source: WaitSource } {
  const candidates: [WaitSource, string | undefined][] = [
    ['retry-after', headers['retry-after']],
    ['x-retry-after', headers['x-retry-after']],
  ];
  for (const [source, value] of candidates) {
    const ms = parseRetryAfter(value, now);
    if (ms !== undefined) return { waitMs: Math.max(ms, policy.minRateLimitWaitMs), source };
  }
  const reset = Number(headers['x-ratelimit-reset']);
  if (Number.isFinite(reset) && reset > 0) {
    const ms = (reset > 1e12 ? reset : reset * 1000) - now;
    return { waitMs: Math.max(ms, policy.minRateLimitWaitMs), source: 'x-ratelimit-reset' };
  }
  return { waitMs: policy.defaultRateLimitWaitMs, source: 'default' };
}
