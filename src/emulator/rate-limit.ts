// Docker Hub's rate limit as seen by a client: a per-minute budget per caller address, reported on
// every response (X-RateLimit-Limit / -Remaining / -Reset as a unix timestamp) and enforced with a
// 429 carrying both Retry-After (seconds) and X-Retry-After (unix timestamp), since both occur.

import type { Clock } from './clock.js';

const WINDOW_MS = 60_000;

/** Reported when no limit is enforced: large, so clients that pace by the headers never wait. */
export const UNLIMITED_REPORTED_LIMIT = 1_000_000;

export interface RateDecision {
  limited: boolean;
  headers: Record<string, string>;
}

export class RateLimiter {
  private readonly windows = new Map<string, { startMs: number; used: number }>();

  constructor(
    private readonly clock: Clock,
    private limitPerMinute: number | null,
  ) {}

  setLimit(limitPerMinute: number | null): void {
    this.limitPerMinute = limitPerMinute;
    this.windows.clear();
  }

  get limit(): number | null {
    return this.limitPerMinute && this.limitPerMinute > 0 ? this.limitPerMinute : null;
  }

  /** Fixed 60-second windows starting at a caller's first request. */
  take(key: string): RateDecision {
    const now = this.clock.now();
    let window = this.windows.get(key);
    if (!window || now >= window.startMs + WINDOW_MS) {
      window = { startMs: now, used: 0 };
      this.windows.set(key, window);
    }
    const resetMs = window.startMs + WINDOW_MS;
    const reset = Math.ceil(resetMs / 1000);
    const limit = this.limit;
    if (limit === null) {
      window.used++;
      return { limited: false, headers: headers(UNLIMITED_REPORTED_LIMIT, Math.max(1, UNLIMITED_REPORTED_LIMIT - window.used), reset) };
    }
    if (window.used >= limit) {
      const retryAfter = Math.max(1, Math.ceil((resetMs - now) / 1000));
      return { limited: true, headers: { ...headers(limit, 0, reset), 'retry-after': String(retryAfter), 'x-retry-after': String(reset) } };
    }
    window.used++;
    return { limited: false, headers: headers(limit, limit - window.used, reset) };
  }
}

function headers(limit: number, remaining: number, reset: number): Record<string, string> {
  return { 'x-ratelimit-limit': String(limit), 'x-ratelimit-remaining': String(remaining), 'x-ratelimit-reset': String(reset) };
}
