// Test helpers: a scripted HTTP server on 127.0.0.1:0, a fake clock and a pino logger writing
// into a string, so tests can assert on what was logged (and what never was).

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';

export interface Hit {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  json: unknown;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  json?: unknown;
  text?: string;
  /** Drop the connection without answering (a reset). */
  destroy?: boolean;
}

export type Handler = (hit: Hit, url: string) => Reply | Promise<Reply>;

export interface ScriptedServer {
  url: string;
  hits: Hit[];
  /** Hits whose path (without query) equals `path`. */
  count(path: string, method?: string): number;
  close(): Promise<void>;
}

export async function startServer(handler: Handler): Promise<ScriptedServer> {
  const hits: Hit[] = [];
  let base = '';
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://127.0.0.1');
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = body ? JSON.parse(body) : undefined;
      } catch {
        json = undefined;
      }
      const hit: Hit = { method: req.method ?? 'GET', path: u.pathname, query: u.searchParams, headers: req.headers, body, json };
      hits.push(hit);
      Promise.resolve(handler(hit, base))
        .then((reply) => {
          if (reply.destroy) {
            req.socket.destroy();
            return;
          }
          const headers: Record<string, string> = { ...reply.headers };
          let payload = '';
          if (reply.json !== undefined) {
            payload = JSON.stringify(reply.json);
            headers['content-type'] ??= 'application/json';
          } else if (reply.text !== undefined) {
            payload = reply.text;
          }
          res.writeHead(reply.status ?? 200, headers);
          res.end(payload);
        })
        .catch((err: unknown) => {
          res.writeHead(599, { 'content-type': 'text/plain' });
          res.end(String(err));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;
  return {
    url: base,
    hits,
    count: (path, method) => hits.filter((h) => h.path === path && (method === undefined || h.method === method)).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface FakeClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  advance(ms: number): void;
  sleeps: number[];
}

/** Starts on a whole second so "a unix timestamp two seconds ahead" is exactly 2000 ms away. */
export function fakeClock(start = Date.UTC(2025, 0, 15, 12, 0, 0)): FakeClock {
  let t = start;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      sleeps.push(ms);
      t += ms;
    },
    advance: (ms) => {
      t += ms;
    },
    sleeps,
  };
}

export function captureLogger(level: pino.LevelWithSilent = 'trace'): { logger: Logger; output: () => string } {
  let buffer = '';
  const logger = pino({ level }, { write: (s: string) => void (buffer += s) });
  return { logger, output: () => buffer };
}

/** An unsigned JWT with the given claims; the client only reads the payload. */
export function makeJwt(claims: Record<string, unknown>): string {
  const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc(claims)}.c2lnbmF0dXJl`;
}

export const json = (body: unknown, status = 200, headers: Record<string, string> = {}): Reply => ({ status, json: body, headers });
