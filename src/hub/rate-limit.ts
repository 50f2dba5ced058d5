// Pacing by X-RateLimit-*: Hub allows ~180 requests a minute per IP. Sleeping until the reset
// once `remaining` is nearly used keeps a long sync at the limit's pace without ever taking a 429
// (a 429 costs a request and, on some endpoints, a longer penalty).

import type { Clock } from './clock.js';

export interface RateLimitState {
  limit?: number | undefined;
  remaining?: number | undefined;
  /** Unix seconds, as Hub sends it. */
  reset?: number | undefined;
}

export interface PaceOptions {
  /** Wait for the reset when `remaining` is at or below this. */
  threshold: number;
  /** Reset is in whole seconds and clocks differ a little: wait this much past it. */
  marginMs: number;
  /** Hub's window is a minute; a longer wait means clock skew, not a real window. */
  maxPaceMs: number;
}

export const defaultPaceOptions: PaceOptions = { threshold: 3, marginMs: 500, maxPaceMs: 61_000 };

export function parseRateLimitHeaders(headers: Record<string, string | undefined>): RateLimitState {
  const num = (v: string | undefined): number | undefined => {
    if (v === undefined || v.trim() === '') return undefined;
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  };
  return {
    limit: num(headers['x-ratelimit-limit']),
    remaining: num(headers['x-ratelimit-remaining']),
    reset: num(headers['x-ratelimit-reset']),
  };
}

/** How long to wait before the next request; 0 means go. Pure. */
export function paceDelay(state: RateLimitState, now: number, options: PaceOptions = defaultPaceOptions): number {
  if (state.remaining === undefined || state.reset === undefined) return 0;
  if (state.remaining > options.threshold) return 0;
  const resetMs = state.reset > 1e12 ? state.reset : state.reset * 1000;
  const wait = resetMs - now + options.marginMs;
  if (wait <= 0) return 0;
  return Math.min(wait, options.maxPaceMs);
}

export class RateLimitPacer {
  readonly state: RateLimitState = {};
  readonly #options: PaceOptions;
  readonly #clock: Clock;

  constructor(clock: Clock, options: Partial<PaceOptions> = {}) {
    this.#clock = clock;
    this.#options = { ...defaultPaceOptions, ...options };
  }

  /** Sleeps if needed, then counts the request against `remaining` so concurrent callers see it. */
  async beforeRequest(signal?: AbortSignal): Promise<number> {
    const wait = paceDelay(this.state, this.#clock.now(), this.#options);
    if (wait > 0) {
      await this.#clock.sleep(wait, signal);
      this.forget();
    }
    if (this.state.remaining !== undefined) this.state.remaining -= 1;
    return wait;
  }

  update(headers: Record<string, string | undefined>): void {
    const parsed = parseRateLimitHeaders(headers);
    if (parsed.limit !== undefined) this.state.limit = parsed.limit;
    if (parsed.remaining !== undefined) this.state.remaining = parsed.remaining;
    if (parsed.reset !== undefined) this.state.reset = parsed.reset;
  }

  /** After waiting out a window (or a 429's Retry-After) the old numbers no longer apply. */
  forget(): void {
    this.state.remaining = undefined;
  }
}
