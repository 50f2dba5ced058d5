import { afterEach, describe, expect, it } from 'vitest';
import { createHubClient, type HubClient, type HubClientOptions } from '../../../src/hub/client.js';
import { HubHttpError, HubNetworkError, HubRateLimitError } from '../../../src/hub/errors.js';
import { paceDelay, parseRateLimitHeaders } from '../../../src/hub/rate-limit.js';
import { fakeClock, json, startServer, type FakeClock, type Handler, type ScriptedServer } from './support.js';

let server: ScriptedServer | undefined;
let client: HubClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  client = undefined;
  server = undefined;
});

async function setup(handler: (hit: Parameters<Handler>[0], clock: FakeClock) => ReturnType<Handler>, options: HubClientOptions = {}) {
  const clock = fakeClock();
  server = await startServer((hit) => handler(hit, clock));
  client = createHubClient({ baseUrl: server.url, clock, random: () => 0.5, ...options });
  return { server, client, clock };
}

/** First answer `first`, then 200s. */
function onceThenOk(first: (clock: FakeClock) => ReturnType<Handler>) {
  let calls = 0;
  return (_hit: Parameters<Handler>[0], clock: FakeClock) => (calls++ === 0 ? first(clock) : json({ ok: true }));
}

const nowSeconds = (clock: FakeClock): number => Math.floor(clock.now() / 1000);

describe('429 handling', () => {
  it('waits Retry-After seconds, then succeeds', async () => {
    const { client, clock, server } = await setup(onceThenOk(() => json({ detail: 'Rate limit exceeded', error: false }, 429, { 'retry-after': '2' })));
    const res = await client.request({ path: '/v2/x' });
    expect(res.body).toEqual({ ok: true });
    expect(clock.sleeps).toEqual([2000]);
    expect(server.hits).toHaveLength(2);
    expect(client.stats).toMatchObject({ requests: 2, retries: 1, rateLimited: 1, waitedMs: 2000 });
  });

  it('waits until a Retry-After unix timestamp two seconds ahead', async () => {
    const { client, clock } = await setup(onceThenOk((c) => json({}, 429, { 'retry-after': String(nowSeconds(c) + 2) })));
    await client.request({ path: '/v2/x' });
    expect(clock.sleeps).toEqual([2000]);
  });

  it('waits until an X-Retry-After unix timestamp (older docs)', async () => {
    const { client, clock } = await setup(onceThenOk((c) => json({}, 429, { 'x-retry-after': String(nowSeconds(c) + 2) })));
    await client.request({ path: '/v2/x' });
    expect(clock.sleeps).toEqual([2000]);
  });

  it('falls back to X-RateLimit-Reset', async () => {
    const { client, clock } = await setup(
      onceThenOk((c) => json({}, 429, { 'x-ratelimit-limit': '180', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(nowSeconds(c) + 2) })),
    );
    await client.request({ path: '/v2/x' });
    // one wait for the 429, no second pacing wait on top of it
    expect(clock.sleeps).toEqual([2000]);
  });

  it('fails fast when the wait is above the ceiling, saying when the limit resets', async () => {
    const { client, clock, server } = await setup((_hit, c) => json({}, 429, { 'retry-after': String(nowSeconds(c) + 3600) }));
    const err = await client.request({ path: '/v2/namespaces/acme/repositories', endpoint: 'list repositories' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubRateLimitError);
    const e = err as HubRateLimitError;
    const resetIso = new Date(clock.now() + 3_600_000).toISOString();
    expect(e.message).toContain(resetIso);
    expect(e.message).toContain('list repositories');
    expect(e.message).toMatch(/maxRetryWaitMs/);
    expect(e.resetAt?.toISOString()).toBe(resetIso);
    expect(clock.sleeps).toEqual([]);
    expect(server.hits).toHaveLength(1);
  });

  it('the ceiling is configurable', async () => {
    const { client } = await setup(() => json({}, 429, { 'retry-after': '120' }), { maxRetryWaitMs: 60_000 });
    await expect(client.request({ path: '/v2/x' })).rejects.toBeInstanceOf(HubRateLimitError);
  });

  it('gives up after maxRateLimitRetries 429s in a row', async () => {
    const { client, server } = await setup(() => json({}, 429, { 'retry-after': '1' }), { maxRateLimitRetries: 3 });
    await expect(client.request({ path: '/v2/x' })).rejects.toThrow(/3 waits did not clear it/);
    expect(server.hits).toHaveLength(4);
  });
});

describe('pacing by X-RateLimit-*', () => {
  it('sleeps until the reset when remaining is nearly used, then goes on', async () => {
    let n = 0;
    const { client, clock } = await setup((_hit, c) => {
      n++;
      const remaining = n === 1 ? '2' : '179';
      return json({ n }, 200, { 'x-ratelimit-limit': '180', 'x-ratelimit-remaining': remaining, 'x-ratelimit-reset': String(nowSeconds(c) + 30) });
    });
    await client.request({ path: '/v2/a' });
    expect(clock.sleeps).toEqual([]);
    await client.request({ path: '/v2/b' });
    expect(clock.sleeps).toEqual([30_500]);
    await client.request({ path: '/v2/c' });
    expect(clock.sleeps).toEqual([30_500]);
    expect(client.stats.rateLimit).toMatchObject({ limit: 180, remaining: 179 });
    expect(client.stats.waitedMs).toBe(30_500);
    expect(client.stats.rateLimited).toBe(0);
  });

  it('paceDelay table', () => {
    const now = 1_000_000_000_000;
    const reset = now / 1000 + 20;
    expect(paceDelay({ remaining: 100, reset }, now)).toBe(0);
    expect(paceDelay({ remaining: 3, reset }, now)).toBe(20_500);
    expect(paceDelay({ remaining: 0, reset }, now)).toBe(20_500);
    expect(paceDelay({ remaining: 0, reset: now / 1000 - 5 }, now)).toBe(0);
    expect(paceDelay({ remaining: 0, reset: now / 1000 + 3600 }, now)).toBe(61_000);
    expect(paceDelay({ remaining: 0 }, now)).toBe(0);
    expect(paceDelay({}, now)).toBe(0);
  });

  it('parses the headers', () => {
    expect(parseRateLimitHeaders({ 'x-ratelimit-limit': '180', 'x-ratelimit-remaining': '7', 'x-ratelimit-reset': '1700000000' })).toEqual({
      limit: 180,
      remaining: 7,
      reset: 1_700_000_000,
    });
    expect(parseRateLimitHeaders({ 'x-ratelimit-remaining': 'n/a' })).toEqual({ limit: undefined, remaining: undefined, reset: undefined });
  });
});

describe('5xx and network failures', () => {
  it('retries 502/503/504 with growing jittered backoff', async () => {
    const statuses = [502, 503, 504];
    const { client, clock, server } = await setup(() => {
      const s = statuses.shift();
      return s ? json({ detail: 'upstream' }, s) : json({ ok: true });
    });
    await expect(client.request({ path: '/v2/x' })).resolves.toMatchObject({ status: 200 });
    expect(server.hits).toHaveLength(4);
    // random() = 0.5 → 75% of the step: 500·0.75, 1000·0.75, 2000·0.75
    expect(clock.sleeps).toEqual([375, 750, 1500]);
    expect(client.stats.retries).toBe(3);
  });

  it('gives up after maxRetries with the server\'s message', async () => {
    const { client, server } = await setup(() => json({ message: 'internal error' }, 500), { maxRetries: 2 });
    const err = await client.request({ path: '/v2/x', endpoint: 'thing' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubHttpError);
    expect((err as Error).message).toBe('Docker Hub answered 500 to GET /v2/x (thing): internal error');
    expect(server.hits).toHaveLength(3);
  });

  it('does not retry a POST on 5xx (it may have been applied)', async () => {
    const { client, server } = await setup(() => json({}, 500));
    await expect(client.request({ method: 'POST', path: '/v2/x', body: {} })).rejects.toBeInstanceOf(HubHttpError);
    expect(server.hits).toHaveLength(1);
  });

  it('retries a connection reset', async () => {
    let n = 0;
    const { client, server } = await setup(() => (n++ === 0 ? { destroy: true } : json({ ok: true })));
    await expect(client.request({ path: '/v2/x' })).resolves.toMatchObject({ body: { ok: true } });
    expect(server.hits).toHaveLength(2);
    expect(client.stats.networkErrors).toBe(1);
  });

  it('reports a persistent reset as HubNetworkError', async () => {
    const { client } = await setup(() => ({ destroy: true }), { maxRetries: 1 });
    const err = await client.request({ path: '/v2/x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubNetworkError);
    expect((err as Error).message).toMatch(/Network error on GET \/v2\/x after 2 attempts/);
  });

  it('close() aborts a pending rate-limit wait', async () => {
    server = await startServer(() => json({}, 429, { 'retry-after': '30' }));
    // A clock whose waits end only when aborted: the request can only settle through close().
    const waits: number[] = [];
    let waiting!: () => void;
    const inWait = new Promise<void>((resolve) => (waiting = resolve));
    const clock = {
      now: () => Date.UTC(2025, 0, 15, 12),
      sleep: (ms: number, signal?: AbortSignal) =>
        new Promise<void>((_resolve, reject) => {
          waits.push(ms);
          signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
          waiting();
        }),
    };
    client = createHubClient({ baseUrl: server.url, clock });
    const outcome = client.request({ path: '/v2/x' }).then(
      () => 'resolved',
      (e: unknown) => e,
    );
    await inWait;
    expect(waits).toEqual([30_000]);
    await client.close();
    expect(await outcome).toMatchObject({ message: expect.stringMatching(/closed/) });
  });
});
