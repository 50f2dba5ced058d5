import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import type { Logger } from 'pino';
import { isAlive } from '../process-alive.js';
import { errorResponse, FrameReader, ProtocolError, queryMessage, readSimpleResult, type Frame, type SimpleResult } from './wire.js';

/**
 * The embedded database on a Postgres port (PGlite over the wire protocol), so psql, BI tools
 * and dashboards can read what a sync stored.
 *
 * PGlite is one Postgres session, shared by this process (the sync) and every client of the
 * port. The server below keeps them apart:
 * - Every client's bytes are cut into messages and checked first (wire.ts); a client that
 *   breaks the protocol gets a FATAL error and is closed, and PGlite never sees its bytes.
 * - Clients take turns: a turn holds PGlite's transaction lock (so neither this process nor
 *   another client runs inside a client's transaction or between its Parse and Sync) and
 *   ends when the client is back outside a transaction.
 * - Each turn starts from a clean session and puts it back: the settings a client changed
 *   (SET, set_config, SET SESSION CHARACTERISTICS, SET ROLE / SESSION AUTHORIZATION) are
 *   saved and reset when its turn ends and restored when its next turn begins; when it
 *   leaves, its open transaction is rolled back and what else it left in the session
 *   (advisory locks, LISTEN, cursors, its prepared statements; temporary tables once no
 *   client is left) is dropped.
 * - A client must finish its startup within a few seconds, an idle one is closed, and the
 *   number of clients is capped.
 */

export interface SqlServerOptions {
  port: number;
  host: string;
  logger: Logger;
  /** Where `sql` and a second `db serve` look to find this server (the DATA_DIR). */
  dataDir?: string | undefined;
  /** Clients at once (SQL_MAX_CONNECTIONS); one more gets "too many clients" and is closed. */
  maxConnections?: number | undefined;
  /** A client that sends nothing for this long is closed (SQL_IDLE_TIMEOUT); 0: never. */
  idleTimeoutMs?: number | undefined;
  /** A client that has not finished its startup in this long is closed. */
  startupTimeoutMs?: number | undefined;
  /** Called as each client message reaches the session (before it waits for its turn). */
  onMessage?: (() => void) | undefined;
}

export const DEFAULT_SQL_MAX_CONNECTIONS = 20;
export const DEFAULT_SQL_IDLE_TIMEOUT_MS = 10 * 60_000;
export const DEFAULT_SQL_STARTUP_TIMEOUT_MS = 5_000;

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

/** What a client changed in the session, saved at the end of its turn. */
interface SavedSession {
  /** Settings whose value differs from the session's own, as `current_setting` shows them. */
  settings: [string, string][];
  sessionUser: string | undefined;
  role: string | undefined;
}

interface PortClient {
  readonly id: number;
  readonly socket: Socket;
  readonly address: string;
  readonly reader: FrameReader;
  /** Its frames, handled one after another. */
  chain: Promise<void>;
  started: boolean;
  closed: boolean;
  busy: boolean;
  /** Its last request got its ReadyForQuery (a Query, Sync, FunctionCall, or the startup). */
  synced: boolean;
  saved: SavedSession | undefined;
  /** Named prepared statements it created (Parse), dropped when it leaves. */
  statements: Set<string>;
  startupTimer?: NodeJS.Timeout | undefined;
  idleTimer?: NodeJS.Timeout | undefined;
}

const SYNC = new Uint8Array([0x53, 0, 0, 0, 4]);
const ENDS_REQUEST = new Set(['Q', 'S', 'F']);
const literal = (value: string) => `'${value.replaceAll("'", "''")}'`;
const identifier = (value: string) => `"${value.replaceAll('"', '""')}"`;

/** The one PGlite session, handed to one port client at a time (see the comment at the top). */
class SharedSession {
  private owner: PortClient | undefined;
  private readonly waiting: (() => void)[] = [];
  private release: (() => void) | undefined;

  constructor(
    private readonly pglite: PGlite,
    /** The session's own settings (`name` → value) and user, taken when the server starts. */
    private readonly baseline: { settings: Map<string, string>; sessionUser: string },
  ) {}

  /** Start (or continue) `client`'s turn: this process and other clients wait until it ends. */
  async begin(client: PortClient, restore = true): Promise<void> {
    if (this.owner === client) return;
    while (this.owner) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.owner = client;
    // PGlite's transaction lock: this process's queries and transactions wait while it is held.
    this.release = await new Promise<() => void>((granted) => {
      void this.pglite._runExclusiveTransaction(() => new Promise<void>((done) => granted(done)));
    });
    const saved = client.saved;
    client.saved = undefined;
    if (restore && saved) await this.restore(saved);
  }

  /** Send one protocol message of the current turn's client to PGlite. */
  async send(message: Uint8Array, onData: (data: Uint8Array) => void): Promise<void> {
    await this.pglite.runExclusive(() => this.pglite.execProtocolRawStream(message, { onRawData: onData }));
  }

  async internal(text: string): Promise<SimpleResult> {
    const chunks: Buffer[] = [];
    await this.send(queryMessage(text), (data) => chunks.push(Buffer.from(data)));
    return readSimpleResult(Buffer.concat(chunks));
  }

  /** End `client`'s turn when it is between requests and outside a transaction. */
  async endIfIdle(client: PortClient): Promise<void> {
    if (this.owner !== client || !client.synced || this.pglite.isInTransaction()) return;
    client.saved = await this.putBack();
    this.handOver();
  }

  /** `client` is gone: undo what it left in the session, then hand the session on. */
  async leave(client: PortClient, lastClient: boolean): Promise<void> {
    await this.begin(client, false);
    try {
      if (!client.synced) await this.send(SYNC, () => undefined);
      if (this.pglite.isInTransaction()) await this.internal('ROLLBACK');
      await this.putBack();
      await this.internal('CLOSE ALL; UNLISTEN *; SELECT pg_catalog.pg_advisory_unlock_all()');
      for (const name of client.statements) await this.internal(`DEALLOCATE ${identifier(name)}`);
      // Prepared statements made with PREPARE, and temporary tables, belong to no one client.
      if (lastClient) await this.internal('DEALLOCATE ALL; DISCARD TEMP');
    } finally {
      this.handOver();
    }
  }

  private handOver(): void {
    const done = this.release;
    this.release = undefined;
    this.owner = undefined;
    done?.();
    this.waiting.shift()?.();
  }

  /** Reset what the turn's client changed in the session's settings, and say what that was. */
  private async putBack(): Promise<SavedSession | undefined> {
    const result = await this.internal(
      // Qualified: the client's search_path is still in force and must not pick the functions.
      "SELECT name, pg_catalog.current_setting(name) FROM pg_catalog.pg_settings WHERE source = 'session' AND name NOT IN ('role', 'session_authorization') " +
        "UNION ALL SELECT '#role', pg_catalog.current_setting('role') UNION ALL SELECT '#session', session_user::text",
    );
    if (result.error) return undefined;
    const settings: [string, string][] = [];
    let role: string | undefined;
    let sessionUser: string | undefined;
    for (const [name, value] of result.rows as [string, string][]) {
      if (name === '#role') role = value === 'none' ? undefined : value;
      else if (name === '#session') sessionUser = value === this.baseline.sessionUser ? undefined : value;
      else if (this.baseline.settings.get(name) !== value) settings.push([name, value]);
    }
    if (settings.length === 0 && !role && !sessionUser) return undefined;
    const reset = ['SET SESSION AUTHORIZATION DEFAULT'];
    for (const [name] of settings) {
      const base = this.baseline.settings.get(name);
      reset.push(base === undefined ? `RESET ${identifier(name)}` : `SELECT pg_catalog.set_config(${literal(name)}, ${literal(base)}, false)`);
    }
    await this.internal(reset.join('; '));
    return { settings, role, sessionUser };
  }

  private async restore(saved: SavedSession): Promise<void> {
    if (saved.sessionUser) await this.internal(`SET SESSION AUTHORIZATION ${identifier(saved.sessionUser)}`);
    if (saved.role) await this.internal(`SET ROLE ${identifier(saved.role)}`);
    for (const [name, value] of saved.settings) await this.internal(`SELECT pg_catalog.set_config(${literal(name)}, ${literal(value)}, false)`);
  }
}

export async function startSqlServer(pglite: PGlite, options: SqlServerOptions): Promise<RunningSqlServer> {
  const { logger } = options;
  if (!isLoopback(options.host)) {
    logger.warn(
      { host: options.host, port: options.port },
      'the embedded database is reachable from other machines, with no password: anyone who can reach this port can read and change it',
    );
  }
  await pglite.waitReady;
  const baseline = await pglite.query<{ name: string; value: string; session_user: string }>(
    "SELECT name, current_setting(name) AS value, session_user::text AS session_user FROM pg_settings WHERE source = 'session'",
  );
  const sessionUser = (await pglite.query<{ u: string }>('SELECT session_user::text AS u')).rows[0]!.u;
  const session = new SharedSession(pglite, { settings: new Map(baseline.rows.map((r) => [r.name, r.value])), sessionUser });
  const clients = new PortClients(session, options);
  const server = createServer((socket) => clients.accept(socket));
  await listen(server, options.host, options.port);
  server.on('error', (error) => logger.warn({ err: error }, 'SQL port error'));
  const port = (server.address() as AddressInfo).port;
  const url = connectionUrl(options.host, port);
  if (options.dataDir) writeFileSync(endpointFile(options.dataDir), JSON.stringify({ url, pid: process.pid }));
  return {
    url,
    host: options.host,
    port,
    close: async () => {
      if (options.dataDir) rmSync(endpointFile(options.dataDir), { force: true });
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const leaving = [...clients.open];
      for (const client of leaving) clients.drop(client);
      await Promise.all(leaving.map((client) => client.chain));
      await closed;
    },
  };
}

async function listen(server: Server, host: string, port: number): Promise<void> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'EADDRINUSE'
        ? `port ${port} on ${host} is already in use (a Postgres server?); choose another with --port or SQL_PORT`
        : `cannot serve SQL on ${host}:${port}: ${(error as Error).message}`,
    );
  }
}

/** The port's clients: each one's frames in order on the shared session, its startup and idle timers, and its end. */
class PortClients {
  readonly open = new Set<PortClient>();
  private nextId = 1;
  private readonly logger: Logger;
  private readonly maxConnections: number;
  private readonly idleTimeoutMs: number;
  private readonly startupTimeoutMs: number;

  constructor(
    private readonly session: SharedSession,
    private readonly options: SqlServerOptions,
  ) {
    this.logger = options.logger;
    this.maxConnections = options.maxConnections ?? DEFAULT_SQL_MAX_CONNECTIONS;
    this.idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_SQL_IDLE_TIMEOUT_MS;
    this.startupTimeoutMs = options.startupTimeoutMs ?? DEFAULT_SQL_STARTUP_TIMEOUT_MS;
  }

  accept(socket: Socket): void {
    const { logger, maxConnections, startupTimeoutMs } = this;
    const client: PortClient = {
      id: this.nextId++,
      socket,
      address: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`,
      reader: new FrameReader(),
      chain: Promise.resolve(),
      started: false,
      closed: false,
      busy: false,
      synced: true,
      saved: undefined,
      statements: new Set(),
    };
    socket.setNoDelay(true);
    socket.on('error', () => this.drop(client));
    socket.on('close', () => this.drop(client));
    if (this.open.size >= maxConnections) {
      client.closed = true;
      logger.warn({ client: client.address, maxConnections }, 'SQL client refused: too many clients');
      socket.end(errorResponse('FATAL', '53300', `sorry, too many clients already: this SQL port serves ${maxConnections} at once (SQL_MAX_CONNECTIONS)`));
      setTimeout(() => socket.destroy(), 1_000).unref();
      return;
    }
    this.open.add(client);
    client.startupTimer = setTimeout(
      () => this.drop(client, new ProtocolError(`the client did not finish its startup within ${startupTimeoutMs} ms`)),
      startupTimeoutMs,
    );
    client.startupTimer.unref();
    socket.on('data', (chunk: Buffer) => this.receive(client, chunk));
  }

  private receive(client: PortClient, chunk: Buffer): void {
    if (client.closed) return;
    clearTimeout(client.idleTimer);
    let frames: Frame[];
    try {
      frames = client.reader.push(chunk);
    } catch (error) {
      this.drop(client, error instanceof ProtocolError ? error : new ProtocolError((error as Error).message));
      return;
    }
    for (const frame of frames) {
      client.chain = client.chain
        .then(() => this.handle(client, frame))
        .catch((error: unknown) => this.drop(client, new ProtocolError(`the embedded database failed: ${(error as Error).message}`, 'XX000')));
    }
  }

  private write(client: PortClient, data: Uint8Array): void {
    if (!client.closed && client.socket.writable && data.length > 0) client.socket.write(data);
  }

  private armIdle(client: PortClient): void {
    const idleTimeoutMs = this.idleTimeoutMs;
    clearTimeout(client.idleTimer);
    client.idleTimer = undefined;
    if (idleTimeoutMs <= 0 || client.closed) return;
    client.idleTimer = setTimeout(() => {
      if (client.busy) return this.armIdle(client);
      this.drop(client, new ProtocolError(`terminating connection after ${idleTimeoutMs} ms without a request (SQL_IDLE_TIMEOUT)`, '57P05'));
    }, idleTimeoutMs);
    client.idleTimer.unref();
  }

  /** Close `client` (with a FATAL error when there is one to tell), then clean up after it. */
  drop(client: PortClient, error?: ProtocolError): void {
    if (client.closed) return;
    if (error) {
      this.logger.warn({ client: client.address, reason: error.message }, 'SQL client closed');
      if (client.socket.writable) client.socket.write(errorResponse('FATAL', error.code, error.message));
    }
    client.closed = true;
    clearTimeout(client.startupTimer);
    clearTimeout(client.idleTimer);
    client.socket.end();
    setTimeout(() => client.socket.destroy(), 1_000).unref();
    this.open.delete(client);
    client.chain = client.chain
      .then(() => this.session.leave(client, this.open.size === 0))
      .catch((err: unknown) => this.logger.warn({ err, client: client.address }, 'cleaning up after a SQL client failed'));
  }

  private async handle(client: PortClient, frame: Frame): Promise<void> {
    if (client.closed) return;
    if (frame.kind === 'ssl' || frame.kind === 'gssenc') {
      this.write(client, new Uint8Array([0x4e])); // 'N': no encryption, go on in the clear
      return;
    }
    if (frame.kind === 'cancel') {
      this.drop(client); // PGlite cannot interrupt a statement; the request gets no answer, as in Postgres.
      return;
    }
    const type = frame.kind === 'startup' ? '' : frame.type;
    if (type === 'X') {
      this.drop(client);
      return;
    }
    if (type === 'P' || type === 'C') noteStatement(client, type, frame.bytes);
    client.busy = true;
    this.options.onMessage?.();
    try {
      await this.session.begin(client);
      client.synced = false;
      await this.session.send(frame.bytes, (data) => this.write(client, data));
      client.synced = frame.kind === 'startup' || ENDS_REQUEST.has(type);
      if (frame.kind === 'startup') {
        client.started = true;
        clearTimeout(client.startupTimer);
      }
      await this.session.endIfIdle(client);
    } finally {
      client.busy = false;
      this.armIdle(client);
    }
  }
}

/** Track the named prepared statements a client creates (Parse) and closes (Close 'S'). */
function noteStatement(client: PortClient, type: string, bytes: Uint8Array): void {
  const body = Buffer.from(bytes.buffer, bytes.byteOffset + 5, bytes.length - 5);
  if (type === 'P') {
    const end = body.indexOf(0);
    const name = end > 0 ? body.toString('utf8', 0, end) : '';
    if (name) client.statements.add(name);
  } else if (body[0] === 0x53) {
    const end = body.indexOf(0, 1);
    if (end > 1) client.statements.delete(body.toString('utf8', 1, end));
  }
}
