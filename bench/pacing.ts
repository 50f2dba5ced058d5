/**
 * Pacing: a complete (`--full`) pass against the emulator enforcing Hub's limit, 180 requests a
 * minute in fixed one-minute windows. To keep it short, the emulator and the client share a
 * clock that runs `speed` times faster than the wall clock: a window lasts 60/speed real
 * seconds, and every timing the client sees (X-RateLimit-Reset, Retry-After, its own sleeps) is
 * in that clock, so the pacing logic runs unchanged. The speed is chosen from the unpaced
 * request rate measured earlier in the same run, so the client can always issue requests
 * faster than the limit allows (otherwise the figure would measure the sync, not the pacing).
 */
import type { Logger } from 'pino';
import { hubClientFromConfig } from '../src/commands/hub.js';
import type { Config } from '../src/config.js';
import type { Database } from '../src/db/client.js';
import { startEmulator } from '../src/emulator/index.js';
import { runSync } from '../src/sync/runner.js';
import { endpoints } from '../src/endpoints/index.js';

export interface PacingFigures {
  limitPerMinute: number;
  speed: number;
  requests: number;
  /** Elapsed time of the pass in the emulated clock, seconds. */
  seconds: number;
  /** requests ÷ limit, seconds. */
  idealSeconds: number;
  ratio: number;
  tooManyRequests: number;
  /** 429s after the first window (the target: none). */
  tooManyAfterFirstWindow: number;
}

/** A clock `speed` times faster than the wall clock, for both sides of the connection. */
export function acceleratedClock(speed: number) {
  const realStart = performance.now();
  const virtualStart = Date.now();
  // Whole milliseconds, like Date.now(): sync_runs stores waits as integers.
  const now = () => Math.floor(virtualStart + (performance.now() - realStart) * speed);
  return {
    now,
    sleep: (ms: number, signal?: AbortSignal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const timer = setTimeout(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }, Math.max(0, ms / speed));
        const onAbort = () => {
          clearTimeout(timer);
          reject(signal?.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
      }),
  };
}

export async function measurePacing(input: {
  seed: number;
  scale: number;
  database: Database;
  config: (url: string) => Config;
  logger: Logger;
  unpacedRequestsPerSecond: number;
  limitPerMinute?: number;
}): Promise<PacingFigures> {
  const limit = input.limitPerMinute ?? 180;
  // The client must be able to go at least 1.5 times faster than the limit in real time.
  const speed = Math.max(1, Math.min(60, Math.round((10 * input.unpacedRequestsPerSecond) / (1.5 * (limit / 60))) / 10));
  const clock = acceleratedClock(speed);
  const emulator = await startEmulator({ seed: input.seed, scale: input.scale, rateLimitPerMinute: limit, clock });
  const config = input.config(emulator.url);
  const client = hubClientFromConfig(config, input.logger, { clock });
  // 429s per emulated minute since the first request.
  const windows: number[] = [];
  let firstRequestAt: number | null = null;
  const originalRecordStatus = emulator.requests.recordStatus.bind(emulator.requests);
  emulator.requests.recordStatus = (status: number) => {
    firstRequestAt ??= clock.now();
    if (status === 429) {
      const window = Math.floor((clock.now() - firstRequestAt) / 60_000);
      windows[window] = (windows[window] ?? 0) + 1;
    }
    originalRecordStatus(status);
  };
  try {
    const started = clock.now();
    await runSync({ database: input.database, client, logger: input.logger, config, registry: endpoints }, { full: true });
    const seconds = (clock.now() - started) / 1000;
    const requests = emulator.requests.total;
    const idealSeconds = (requests / limit) * 60;
    const tooMany = Number(emulator.requests.statuses['429'] ?? 0);
    return {
      limitPerMinute: limit,
      speed,
      requests,
      seconds,
      idealSeconds,
      ratio: seconds / idealSeconds,
      tooManyRequests: tooMany,
      tooManyAfterFirstWindow: tooMany - (windows[0] ?? 0),
    };
  } finally {
    await client.close();
    await emulator.close();
  }
}
