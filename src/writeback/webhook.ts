// The response webhook: every call's outcome POSTed as JSON (secrets already removed) to a URL
// of the job's choosing. Deliveries run beside the job and never hold it up: each is retried
// with backoff, and what is still failing when the job ends is logged and dropped.

import type { Logger } from 'pino';

export interface WebhookOptions {
  url: string;
  headers?: Record<string, string>;
  logger?: Logger | undefined;
  /** Attempts per delivery (default 4: at once, then after 0.5 s, 1 s, 2 s). */
  attempts?: number;
  baseDelayMs?: number;
  /** Per attempt. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface Webhook {
  send(payload: unknown): void;
  /** Wait for deliveries in flight, at most `timeoutMs`; resolves with how many did not get through. */
  drain(timeoutMs: number): Promise<{ delivered: number; failed: number; pending: number }>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export function createWebhook(options: WebhookOptions): Webhook {
  const attempts = options.attempts ?? 4;
  const base = options.baseDelayMs ?? 500;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const doFetch = options.fetch ?? fetch;
  const inFlight = new Set<Promise<void>>();
  let delivered = 0;
  let failed = 0;
  // Where the webhook lives, without userinfo or query (which may hold a secret).
  const where = (() => {
    try {
      const u = new URL(options.url);
      return `${u.protocol}//${u.host}${u.pathname}`;
    } catch {
      return 'webhook';
    }
  })();

  async function deliver(body: string): Promise<void> {
    let last = '';
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await sleep(base * 2 ** (attempt - 1));
      try {
        const res = await doFetch(options.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...options.headers },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          delivered++;
          return;
        }
        last = `HTTP ${res.status}`;
        // A 4xx other than 408/429 will not get better by asking again.
        if (res.status < 500 && res.status !== 408 && res.status !== 429) break;
      } catch (error) {
        last = (error as Error).message;
      }
    }
    failed++;
    options.logger?.warn({ webhook: where, error: last }, 'write-back webhook: delivery failed; dropped');
  }

  return {
    send(payload) {
      const work = deliver(JSON.stringify(payload));
      inFlight.add(work);
      void work.finally(() => inFlight.delete(work));
    },
    async drain(ms) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...inFlight]), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
      clearTimeout(timer);
      return { delivered, failed, pending: inFlight.size };
    },
  };
}
