export * from './client.js';
export * from './errors.js';
export * from './schemas.js';
export * from './operations.js';
export { createDockerHubApi, npmLibraryCoverage, LIBRARY_DEFAULT_CACHE_TTL_MS, type LibraryMethodCoverage } from './library.js';
export { createHubDispatcher, type HubDispatcherOptions } from './dispatcher.js';
export { systemClock, type Clock } from './clock.js';
export { paginate, extractPage, rebaseNextUrl, DEFAULT_PAGE_SIZE, DEFAULT_MAX_PAGES, type ExtractedPage, type PaginateDeps } from './pagination.js';
export {
  decideRetry,
  parseRetryAfter,
  backoffMs,
  errorCode,
  isIdempotent,
  defaultRetryPolicy,
  RETRYABLE_STATUS,
  type RetryInput,
  type RetryDecision,
  type RetryPolicy,
  type RetryReason,
  type WaitSource,
} from './retry.js';
export { paceDelay, parseRateLimitHeaders, RateLimitPacer, defaultPaceOptions, type PaceOptions, type RateLimitState } from './rate-limit.js';
export { ResponseCache, type CacheOptions, type CachedResponse } from './cache.js';
export { HubAuth, decodeJwtPayload, tokenLifetimeMs, type HubCredentials, type TokenInfo, type CredentialKind } from './auth.js';
