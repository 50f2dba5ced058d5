import { describe, expect, it } from 'vitest';
import { backoffMs, decideRetry, defaultRetryPolicy, parseRetryAfter, type RetryDecision, type RetryInput } from '../../../src/hub/retry.js';

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
const NOW_S = NOW / 1000;
const reset = (code: string): Error & { code: string } => Object.assign(new Error(code), { code });

type Row = [name: string, input: Partial<RetryInput>, expected: Partial<RetryDecision>];

// random() = 1 makes the jittered backoff its full step: base * 2^retries.
const rows: Row[] = [
  ['2xx is not retried', { status: 200 }, { retry: false, reason: 'ok' }],
  ['400 is not retried', { status: 400 }, { retry: false, reason: 'not_retryable' }],
  ['401 is not retried (auth handles it)', { status: 401 }, { retry: false, reason: 'not_retryable' }],
  ['404 is not retried', { status: 404 }, { retry: false, reason: 'not_retryable' }],
  ['429 Retry-After seconds', { status: 429, headers: { 'retry-after': '2' } }, { retry: true, waitMs: 2000, reason: 'rate_limited', source: 'retry-after' }],
  ['429 Retry-After unix timestamp', { status: 429, headers: { 'retry-after': String(NOW_S + 2) } }, { retry: true, waitMs: 2000, source: 'retry-after' }],
  ['429 Retry-After ms timestamp', { status: 429, headers: { 'retry-after': String(NOW + 2500) } }, { retry: true, waitMs: 2500 }],
  ['429 Retry-After HTTP date', { status: 429, headers: { 'retry-after': new Date(NOW + 3000).toUTCString() } }, { retry: true, waitMs: 3000 }],
  ['429 X-Retry-After unix timestamp', { status: 429, headers: { 'x-retry-after': String(NOW_S + 2) } }, { retry: true, waitMs: 2000, source: 'x-retry-after' }],
  ['429 X-Retry-After seconds', { status: 429, headers: { 'x-retry-after': '5' } }, { retry: true, waitMs: 5000, source: 'x-retry-after' }],
  ['429 Retry-After wins over X-Retry-After', { status: 429, headers: { 'retry-after': '1', 'x-retry-after': String(NOW_S + 9) } }, { waitMs: 1000, source: 'retry-after' }],
  ['429 garbage Retry-After falls to X-RateLimit-Reset', { status: 429, headers: { 'retry-after': 'soon', 'x-ratelimit-reset': String(NOW_S + 7) } }, { waitMs: 7000, source: 'x-ratelimit-reset' }],
  ['429 only X-RateLimit-Reset', { status: 429, headers: { 'x-ratelimit-reset': String(NOW_S + 30) } }, { retry: true, waitMs: 30_000, source: 'x-ratelimit-reset' }],
  ['429 no headers: default wait', { status: 429 }, { retry: true, waitMs: defaultRetryPolicy.defaultRateLimitWaitMs, source: 'default' }],
  ['429 timestamp in the past: floor, not a hot loop', { status: 429, headers: { 'retry-after': String(NOW_S - 5) } }, { retry: true, waitMs: 1000 }],
  ['429 wait above the ceiling fails fast', { status: 429, headers: { 'retry-after': '3600' } }, { retry: false, reason: 'rate_limit_wait_too_long', resetAt: NOW + 3_600_000 }],
  ['429 ceiling is configurable', { status: 429, headers: { 'retry-after': '90' }, policy: { maxRetryWaitMs: 60_000 } }, { retry: false, reason: 'rate_limit_wait_too_long' }],
  ['429 at the ceiling still waits', { status: 429, headers: { 'retry-after': '900' } }, { retry: true, waitMs: 900_000 }],
  ['429 retries exhausted', { status: 429, headers: { 'retry-after': '1' }, rateLimitRetries: 10 }, { retry: false, reason: 'rate_limit_retries_exhausted' }],
  ['429 budget is separate from 5xx budget', { status: 429, headers: { 'retry-after': '1' }, retries: 5 }, { retry: true }],
  ['429 on POST is retried (not processed)', { status: 429, method: 'POST', headers: { 'retry-after': '1' } }, { retry: true }],
  ['500 retried with backoff', { status: 500 }, { retry: true, waitMs: 500, reason: 'server_error', source: 'backoff' }],
  ['502 retried', { status: 502, retries: 1 }, { retry: true, waitMs: 1000 }],
  ['503 honours Retry-After when longer than backoff', { status: 503, headers: { 'retry-after': '4' } }, { retry: true, waitMs: 4000, source: 'retry-after' }],
  ['504 retried, backoff grows', { status: 504, retries: 3 }, { retry: true, waitMs: 4000 }],
  ['backoff is capped', { status: 500, retries: 4, policy: { maxDelayMs: 3000 } }, { retry: true, waitMs: 3000 }],
  ['501 is not retried', { status: 501 }, { retry: false, reason: 'not_retryable' }],
  ['5xx retries exhausted', { status: 503, retries: 5 }, { retry: false, reason: 'retries_exhausted' }],
  ['5xx on POST is not retried', { status: 500, method: 'POST' }, { retry: false, reason: 'not_idempotent' }],
  ['5xx on POST marked idempotent is retried', { status: 500, method: 'POST', idempotent: true }, { retry: true }],
  ['5xx on PUT is retried', { status: 502, method: 'PUT' }, { retry: true }],
  ['connection reset retried', { error: reset('ECONNRESET') }, { retry: true, reason: 'network_error', waitMs: 500 }],
  ['undici socket error retried', { error: reset('UND_ERR_SOCKET') }, { retry: true }],
  ['headers timeout retried', { error: reset('UND_ERR_HEADERS_TIMEOUT') }, { retry: true }],
  ['body timeout retried', { error: reset('UND_ERR_BODY_TIMEOUT') }, { retry: true }],
  ['code found on the cause', { error: Object.assign(new Error('fetch failed'), { cause: reset('ECONNRESET') }) }, { retry: true }],
  ['unknown error not retried', { error: new Error('boom') }, { retry: false, reason: 'not_retryable' }],
  ['reset on POST not retried (may have been processed)', { error: reset('ECONNRESET'), method: 'POST' }, { retry: false, reason: 'not_idempotent' }],
  ['refused connect on POST retried (never sent)', { error: reset('ECONNREFUSED'), method: 'POST' }, { retry: true }],
  ['network retries exhausted', { error: reset('ECONNRESET'), retries: 5 }, { retry: false, reason: 'retries_exhausted' }],
];

describe('decideRetry', () => {
  it.each(rows)('%s', (_name, input, expected) => {
    const decision = decideRetry({ method: 'GET', now: NOW, retries: 0, rateLimitRetries: 0, random: () => 1, ...input });
    expect(decision).toMatchObject(expected);
  });

  it('jitter keeps the wait between half and the full step', () => {
    const low = decideRetry({ method: 'GET', status: 503, now: NOW, retries: 2, rateLimitRetries: 0, random: () => 0 });
    const high = decideRetry({ method: 'GET', status: 503, now: NOW, retries: 2, rateLimitRetries: 0, random: () => 0.999999 });
    expect(low.waitMs).toBe(1000);
    expect(high.waitMs).toBe(2000);
  });
});

describe('parseRetryAfter', () => {
  it.each([
    ['2', 2000],
    [' 2 ', 2000],
    ['0', 0],
    ['1.5', 1500],
    [String(NOW_S + 2), 2000],
    [String(NOW_S - 10), 0],
    [String(NOW + 1234), 1234],
    [new Date(NOW + 60_000).toUTCString(), 60_000],
  ])('%s → %i ms', (value, ms) => {
    expect(parseRetryAfter(value, NOW)).toBe(ms);
  });

  it.each([undefined, '', 'soon', '-3'])('%s → undefined', (value) => {
    expect(parseRetryAfter(value, NOW)).toBeUndefined();
  });
});

describe('backoffMs', () => {
  it('doubles per retry', () => {
    const p = { ...defaultRetryPolicy, baseDelayMs: 100 };
    expect([0, 1, 2, 3].map((r) => backoffMs(r, p, () => 1))).toEqual([100, 200, 400, 800]);
  });
});
