import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHubClient, insecureApiUrlWarning, type HubClient } from '../../../src/hub/client.js';
import { HubNetworkError, HubResponseError } from '../../../src/hub/errors.js';
import { captureLogger } from './support.js';

/** A raw HTTP server: the handler owns the response (trickles, endless bodies, lying headers). */
async function rawServer(handler: (res: ServerResponse) => void): Promise<{ url: string; hits: () => number; close(): Promise<void> }> {
  let hits = 0;
  const server: Server = createServer((req, res) => {
    hits++;
    req.resume();
    handler(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits: () => hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function client(baseUrl: string, options: Parameters<typeof createHubClient>[0] = {}): HubClient {
  const hub = createHubClient({ baseUrl, maxRetries: 0, retryBaseDelayMs: 1, ...options });
  cleanups.push(() => hub.close());
  return hub;
}

/** Headers at once, then one byte every 20 ms, forever: never idle, never done. */
function trickle(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write('{"count": 1, "results": [');
  const timer = setInterval(() => res.write(' '), 20);
  res.on('close', () => clearInterval(timer));
}

describe('a total deadline per request', () => {
  it('ends a body that trickles in forever, naming the deadline and its setting', async () => {
    const server = await rawServer(trickle);
    cleanups.push(server.close);
    const hub = client(server.url, { requestDeadlineMs: 200 });
    const error = await hub.request({ path: '/v2/repositories/acme/' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HubNetworkError);
    expect((error as Error).message).toMatch(/no complete answer within 200 ms \(DOCKERHUB_REQUEST_DEADLINE\)/);
    expect((error as Error).message).toContain('GET /v2/repositories/acme/');
  }, 20_000);

  it('retries a GET that ran out of time, like any other timeout', async () => {
    const server = await rawServer(trickle);
    cleanups.push(server.close);
    // Attempts as the client made them: on a busy machine an attempt can run out of time before
    // this process's server has even accepted it, so the server's count may be lower.
    const attempts: { attempt: number; status: number | undefined; errorCode?: string | undefined }[] = [];
    const hub = client(server.url, { requestDeadlineMs: 100, maxRetries: 2, onRequest: ({ attempt, status, errorCode }) => attempts.push({ attempt, status, errorCode }) });
    await expect(hub.request({ path: '/v2/x' })).rejects.toThrow(/after 3 attempts/);
    expect(attempts).toEqual([1, 2, 3].map((attempt) => ({ attempt, status: undefined, errorCode: 'ETIMEDOUT' })));
    expect(server.hits()).toBeGreaterThanOrEqual(1);
  }, 20_000);

  it('does not cut a request that answers in time', async () => {
    const server = await rawServer((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok": true}');
    });
    cleanups.push(server.close);
    const hub = client(server.url, { requestDeadlineMs: 5_000 });
    expect((await hub.request({ path: '/v2/x' })).body).toEqual({ ok: true });
  });
});

describe('a size cap per response', () => {
  it('stops reading a body as soon as it passes the cap, naming the URL and the setting', async () => {
    const total = 64 * 1024 * 1024;
    let written = 0;
    let finished = false;
    const server = await rawServer((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (written < total) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        finished = true;
        res.end();
      };
      res.on('close', () => res.removeAllListeners('drain'));
      pump();
    });
    cleanups.push(server.close);
    const hub = client(server.url, { maxResponseBytes: 256 * 1024, password: undefined });
    const error = await hub.request({ path: '/v2/namespaces/acme/repositories', query: { page: 2 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HubResponseError);
    const message = (error as Error).message;
    expect(message).toContain(`${server.url}/v2/namespaces/acme/repositories?page=2`);
    expect(message).toContain('262144 bytes');
    expect(message).toContain('DOCKERHUB_MAX_RESPONSE_BYTES');
    // The read stopped early: the server never got to the end of its 64 MiB.
    expect(finished).toBe(false);
    expect(written).toBeLessThan(total);
  }, 20_000);

  it('refuses a body whose Content-Length is above the cap without reading it', async () => {
    const server = await rawServer((res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(200 * 1024 * 1024) });
      res.write('{');
    });
    cleanups.push(server.close);
    const hub = client(server.url, { maxResponseBytes: 1024 });
    await expect(hub.request({ path: '/v2/x' })).rejects.toThrow(/larger than the 1024 bytes.*DOCKERHUB_MAX_RESPONSE_BYTES/);
  }, 20_000);

  it('is not retried (the next answer would be as large)', async () => {
    const server = await rawServer((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ results: 'x'.repeat(4096) }));
    });
    cleanups.push(server.close);
    const hub = client(server.url, { maxResponseBytes: 1024, maxRetries: 3 });
    await expect(hub.request({ path: '/v2/x' })).rejects.toBeInstanceOf(HubResponseError);
    expect(server.hits()).toBe(1);
  });
});

describe('plain http to another host', () => {
  it.each([
    ['http://hub.example.com', true],
    ['http://10.0.0.5:8080/api', true],
    ['http://127.0.0.1:8080', false],
    ['http://127.3.4.5', false],
    ['http://localhost:3000', false],
    ['http://[::1]:8080', false],
    ['https://hub.docker.com', false],
    ['https://10.0.0.5', false],
  ])('%s → warning: %s', (url, warns) => {
    const warning = insecureApiUrlWarning(new URL(url));
    expect(warning !== undefined).toBe(warns);
    if (warning) expect(warning).toContain('DOCKERHUB_API_URL');
  });

  it('is logged once when the client is created', () => {
    const { logger, output } = captureLogger('warn');
    const hub = createHubClient({ baseUrl: 'http://hub.example.com', logger });
    cleanups.push(() => hub.close());
    expect(output().match(/DOCKERHUB_API_URL/g)).toHaveLength(1);
    const local = createHubClient({ baseUrl: 'http://127.0.0.1:9', logger });
    cleanups.push(() => local.close());
    expect(output().match(/DOCKERHUB_API_URL/g)).toHaveLength(1);
  });
});
