import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { ReadinessReport } from '../scheduler/readiness.js';
import { NOT_FOUND_TEXT, WEBHOOK_PREFIX } from './webhook.js';

/**
 * The service's HTTP face, on node:http: `/healthz` (the process answers), `/readyz` (database,
 * migrations, jobs on time; 503 with the reasons), `/metrics` (Prometheus text) and `/`, a small
 * status page. Read-only: nothing here changes state, but for `POST /hooks/dockerhub/<secret>`
 * when a webhook secret is configured (server/webhook.ts): a hint that a repository be read now.
 * Without one, that route does not exist.
 */

export interface HttpHandlers {
  readiness(): Promise<ReadinessReport>;
  metrics(): Promise<{ contentType: string; body: string }>;
  statusPage(): Promise<string>;
  /** Docker Hub webhooks (server/webhook.ts createWebhookHandler); absent: the route does not exist. */
  webhook?: ((req: IncomingMessage, res: ServerResponse, given: string) => Promise<void>) | undefined;
}

const READ_PATHS = new Set(['/healthz', '/readyz', '/metrics', '/']);

export interface StatusServer {
  listen(port: number, host?: string): Promise<AddressInfo>;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

export function createStatusServer(handlers: HttpHandlers, logger: Logger): StatusServer {
  const route = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (handlers.webhook && path.startsWith(WEBHOOK_PREFIX)) return handlers.webhook(req, res, path.slice(WEBHOOK_PREFIX.length));
    // An unknown path is 404 whatever the method (a webhook route that is not configured, too).
    if (!READ_PATHS.has(path)) return send(res, 404, 'text/plain; charset=utf-8', NOT_FOUND_TEXT);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    }
    switch (path) {
      case '/healthz':
        return send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
      case '/readyz': {
        const report = await handlers.readiness();
        return send(res, report.ready ? 200 : 503, 'application/json; charset=utf-8', `${JSON.stringify(report, null, 2)}\n`);
      }
      case '/metrics': {
        const { contentType, body } = await handlers.metrics();
        return send(res, 200, contentType, body);
      }
      case '/':
        return send(res, 200, 'text/html; charset=utf-8', await handlers.statusPage());
      default:
        return send(res, 404, 'text/plain; charset=utf-8', NOT_FOUND_TEXT);
    }
  };

  const server: Server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      // A webhook path holds the secret: it is never logged.
      const path = req.url?.startsWith(WEBHOOK_PREFIX) ? `${WEBHOOK_PREFIX}[redacted]` : req.url;
      logger.error({ err: error, path }, 'http handler failed');
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  });
  // Scrapers keep connections open; never let one hold up shutdown for long.
  server.keepAliveTimeout = 5_000;

  return {
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      });
    },
    close() {
      return new Promise((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        server.closeIdleConnections();
        // A scrape in flight gets a moment to finish, then its socket goes.
        setTimeout(() => server.closeAllConnections(), 1_000).unref();
      });
    },
  };
}
