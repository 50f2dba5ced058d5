import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { Logger } from 'pino';

/**
 * The embedded database on a Postgres port (PGlite over the wire protocol), so psql, BI tools
 * and dashboards can read what a sync stored.
 *
 * PGlite is one Postgres session. pglite-socket queues the clients' protocol messages and keeps
 * a client's open transaction to itself, but it only takes PGlite's query lock, while this
 * process's own queries and transactions (the sync) take the transaction lock. Without more, a
 * client's statement could run inside a sync transaction between two of its statements (and be
 * committed or rolled back with it), and a sync could BEGIN inside a client's transaction. So
 * the database handed to the socket server takes the transaction lock for each client message,
 * and keeps holding it while that client has a transaction open; this process and the clients
 * then take turns, one transaction at a time.
 */

/** The part of PGlite the socket server uses. */
export interface SocketDatabase {
  waitReady: Promise<void>;
  isInTransaction(): boolean;
  runExclusive<T>(fn: () => Promise<T>): Promise<T>;
  exec(query: string): Promise<unknown>;
  execProtocolRawStream: PGlite['execProtocolRawStream'];
}

/** A simple-protocol Query message ('Q', length, text, NUL). */
function queryMessage(text: string): Uint8Array {
  const body = Buffer.from(`${text}\0`, 'utf8');
  const message = Buffer.alloc(5 + body.length);
  message.write('Q', 0, 'ascii');
  message.writeInt32BE(4 + body.length, 1);
  body.copy(message, 5);
  return new Uint8Array(message);
}

export function sharedSocketDatabase(pglite: PGlite): SocketDatabase {
  let release: (() => void) | undefined;

  // Hold PGlite's transaction lock until `release` is called.
  const acquire = () =>
    new Promise<() => void>((granted) => {
      void pglite._runExclusiveTransaction(() => new Promise<void>((done) => granted(done)));
    });

  return {
    waitReady: pglite.waitReady,
    // Only a client's own transaction counts: while this process is inside one, the queue must
    // keep serving clients (their messages wait on the lock instead of being put aside).
    isInTransaction: () => release !== undefined,
    async runExclusive<T>(fn: () => Promise<T>): Promise<T> {
      release ??= await acquire();
      try {
        return await pglite.runExclusive(fn);
      } finally {
        if (!pglite.isInTransaction()) {
          const done = release;
          release = undefined;
          done?.();
        }
      }
    },
    // Used by the socket server to roll back the open transaction of a client that went away.
    async exec(query: string) {
      if (!release) return pglite.exec(query);
      try {
        return await pglite.runExclusive(() =>
          pglite.execProtocolRawStream(queryMessage(query), { onRawData: () => undefined }),
        );
      } finally {
        const done = release;
        release = undefined;
        done();
      }
    },
    execProtocolRawStream: (message, options) => pglite.execProtocolRawStream(message, options),
  };
}

export interface SqlServerOptions {
  port: number;
  host: string;
  logger: Logger;
  /** Where `sql` and a second `db serve` look to find this server (the DATA_DIR). */
  dataDir?: string | undefined;
  maxConnections?: number;
}

export interface RunningSqlServer {
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || host.startsWith('127.');
}

/** postgres://postgres@host:port/postgres, with IPv6 hosts bracketed. */
export function connectionUrl(host: string, port: number): string {
  const shown = host.includes(':') ? `[${host}]` : host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `postgres://postgres@${shown}:${port}/postgres`;
}

/** Where a running server leaves its address for other commands on the same DATA_DIR. */
export function endpointFile(dataDir: string): string {
  return path.join(path.resolve(dataDir), 'dockerhub-sync.sql-endpoint');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The URL of the server that holds this DATA_DIR's embedded database, if one is running. */
export function servedEndpoint(dataDir: string): { url: string; pid: number } | undefined {
  try {
    const parsed = JSON.parse(readFileSync(endpointFile(dataDir), 'utf8')) as { url?: unknown; pid?: unknown };
    if (typeof parsed.url === 'string' && typeof parsed.pid === 'number' && parsed.pid !== process.pid && isAlive(parsed.pid)) {
      return { url: parsed.url, pid: parsed.pid };
    }
  } catch {
    // No server, or a file left by one that crashed.
  }
  return undefined;
}

export async function startSqlServer(pglite: PGlite, options: SqlServerOptions): Promise<RunningSqlServer> {
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  if (!isLoopback(options.host)) {
    options.logger.warn(
      { host: options.host, port: options.port },
      'the embedded database is reachable from other machines, with no password: anyone who can reach this port can read and change it',
    );
  }
  const server = new PGLiteSocketServer({
    db: sharedSocketDatabase(pglite) as unknown as PGlite,
    port: options.port,
    host: options.host,
    maxConnections: options.maxConnections ?? 20,
  });
  server.addEventListener('error', (event) => {
    options.logger.warn({ err: (event as CustomEvent<Error>).detail }, 'SQL client connection failed');
  });
  try {
    await server.start();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'EADDRINUSE'
        ? `port ${options.port} on ${options.host} is already in use (a Postgres server?); choose another with --port or SQL_PORT`
        : `cannot serve SQL on ${options.host}:${options.port}: ${(error as Error).message}`,
    );
  }
  const port = Number(server.getServerConn().split(':').pop());
  const url = connectionUrl(options.host, port);
  if (options.dataDir) writeFileSync(endpointFile(options.dataDir), JSON.stringify({ url, pid: process.pid }));
  return {
    url,
    host: options.host,
    port,
    close: async () => {
      if (options.dataDir) rmSync(endpointFile(options.dataDir), { force: true });
      await server.stop();
    },
  };
}
