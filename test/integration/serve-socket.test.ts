import { connect, type Socket } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSqlServer, type RunningSqlServer, type SqlServerOptions } from '../../src/db/serve-socket.js';
import { createLogger } from '../../src/logger.js';

/**
 * One PGlite, many users: this process (the sync, through PGlite's own query and transaction
 * API) and the SQL port's clients. Neither may ever run inside the other's transaction, see
 * the other's session settings, or stop the other with bad bytes.
 */

async function until(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A startup packet for protocol 3.0 with these parameters. */
function startupPacket(parameters: Record<string, string> = { user: 'postgres', database: 'postgres' }): Buffer {
  const body = Buffer.concat([Buffer.from([0, 3, 0, 0]), ...Object.entries(parameters).map(([k, v]) => Buffer.from(`${k}\0${v}\0`)), Buffer.from([0])]);
  const length = Buffer.alloc(4);
  length.writeInt32BE(body.length + 4);
  return Buffer.concat([length, body]);
}

function message(type: string, body: Buffer, length = body.length + 4): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(length, 1);
  return Buffer.concat([head, body]);
}

/** Send `bytes` on a raw connection; resolve with what came back once the server closed it. */
function sendRaw(port: number, bytes: Buffer): Promise<{ received: Buffer; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ received: Buffer.concat(chunks), socket }));
    setTimeout(() => reject(new Error('the server did not close the connection')), 30_000).unref();
  });
}

describe('serving PGlite while this process uses it', () => {
  let pglite: PGlite;
  let server: RunningSqlServer;
  let url: string;
  /** Client messages that reached the session (they may then wait for their turn). */
  let arrived = 0;
  const clients: pg.Client[] = [];

  async function client(): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: url });
    c.on('error', () => undefined);
    await c.connect();
    clients.push(c);
    return c;
  }

  async function serve(options: Partial<SqlServerOptions> = {}): Promise<void> {
    await server?.close();
    server = await startSqlServer(pglite, {
      port: 0,
      host: '127.0.0.1',
      logger: createLogger({ level: 'silent' }),
      maxConnections: 5,
      onMessage: () => arrived++,
      ...options,
    });
    url = server.url;
  }

  /** A sync tick's shape: a write transaction of this process. */
  async function tick(n: number): Promise<void> {
    await pglite.transaction(async (tx) => {
      await tx.query('INSERT INTO t VALUES ($1)', [n]);
    });
  }

  // One PGlite for the file (creating one costs seconds of CPU), a new table and a new server per
  // test: what a test leaves in the database is the table's rows and a role, both dropped here.
  beforeAll(async () => {
    pglite = await PGlite.create();
  });
  afterAll(async () => {
    await pglite?.close();
  });
  beforeEach(async () => {
    arrived = 0;
    await pglite.exec('DROP TABLE IF EXISTS t; DROP ROLE IF EXISTS port_reader; CREATE TABLE t (n int)');
    await serve();
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.end().catch(() => undefined);
    await server.close();
  });

  it("a client's query waits for this process's transaction instead of running inside it", async () => {
    const reader = await client();
    const before = arrived;
    let seen: number | undefined;
    await pglite
      .transaction(async (tx) => {
        await tx.query('INSERT INTO t VALUES (1)');
        const pending = reader.query<{ n: string }>('SELECT count(*) AS n FROM t').then((r) => (seen = Number(r.rows[0]!.n)));
        await until('the client query to arrive', () => arrived > before);
        // Still inside the transaction: the client must not have been answered from it.
        await tx.query('INSERT INTO t VALUES (2)');
        expect(seen).toBeUndefined();
        void pending;
        throw new Error('roll back');
      })
      .catch((error: Error) => expect(error.message).toBe('roll back'));
    await until('the client query to finish', () => seen !== undefined);
    expect(seen).toBe(0);
    expect((await pglite.query<{ n: number }>('SELECT count(*)::int AS n FROM t')).rows[0]!.n).toBe(0);
  });

  it("this process waits for a client's open transaction, and a client that leaves has it rolled back", async () => {
    const writer = await client();
    const other = await client();
    await writer.query('BEGIN');
    await writer.query('INSERT INTO t VALUES (1)');
    let local: number | undefined;
    const pending = pglite.query<{ n: number }>('SELECT count(*)::int AS n FROM t').then((r) => (local = r.rows[0]!.n));
    // The client keeps working in its transaction while this process waits.
    await writer.query('INSERT INTO t VALUES (2)');
    expect(local).toBeUndefined();
    // Another client queues behind the open transaction too, and is not inside it.
    const otherCount = other.query<{ n: string }>('SELECT count(*) AS n FROM t');
    await writer.end();
    await pending;
    expect(local).toBe(0);
    expect(Number((await otherCount).rows[0]!.n)).toBe(0);
    // Both keep working afterwards.
    await pglite.transaction(async (tx) => tx.query('INSERT INTO t VALUES (3)'));
    expect(Number((await other.query<{ n: string }>('SELECT count(*) AS n FROM t')).rows[0]!.n)).toBe(1);
  });

  it("bytes outside the protocol close that client only: the database, this process and other clients go on", async () => {
    const seed = Number(process.env.SQL_PORT_SEED ?? Date.now() % 1_000_000);
    // Seeded bytes (printed on failure): a small xorshift, so a failure can be replayed.
    let state = seed || 1;
    const random = Buffer.alloc(4096);
    for (let i = 0; i < random.length; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      random[i] = state & 0xff;
    }
    const cases: [string, Buffer][] = [
      [`4 KB of random bytes (seed ${seed})`, random],
      ['a startup packet, then an unknown message type', Buffer.concat([startupPacket(), message('Z', Buffer.from('abc'))])],
      ['a startup packet, then a negative message length', Buffer.concat([startupPacket(), message('Q', Buffer.from('SELECT 1\0'), -5)])],
      ['a startup packet, then a length below 4', Buffer.concat([startupPacket(), message('Q', Buffer.alloc(0), 2)])],
      ['a startup packet, then CopyDone outside COPY', Buffer.concat([startupPacket(), message('c', Buffer.alloc(0))])],
      ['a startup packet, then a password message', Buffer.concat([startupPacket(), message('p', Buffer.from('secret\0'))])],
      ['a startup packet, then COPY FROM STDIN', Buffer.concat([startupPacket(), message('Q', Buffer.from('COPY t FROM STDIN\0'))])],
      ['a startup packet, then a huge declared length', Buffer.concat([startupPacket(), message('Q', Buffer.from('SELECT'), 0x7fffffff)])],
      ['a negative startup length', Buffer.from([0xff, 0xff, 0xff, 0xf0, 0, 3, 0, 0])],
      ['an unknown protocol version', Buffer.from([0, 0, 0, 8, 0, 9, 0, 0])],
      ['a startup packet without its terminator', Buffer.concat([Buffer.from([0, 0, 0, 21, 0, 3, 0, 0]), Buffer.from('user\0postgres')])],
    ];
    const watcher = await client();
    for (const [what, bytes] of cases) {
      const { received } = await sendRaw(server.port, bytes);
      expect(received.includes(Buffer.from('FATAL')), `${what}: a FATAL error before the close`).toBe(true);
      // The database, this process and the clients that behaved are all still served.
      await tick(1);
      expect((await watcher.query<{ ok: number }>('SELECT 1 AS ok')).rows, what).toEqual([{ ok: 1 }]);
      const fresh = await client();
      expect((await fresh.query<{ n: string }>('SELECT count(*) AS n FROM t')).rows.length, what).toBe(1);
      await fresh.end();
    }
    const refused = await client();
    await expect(refused.query('COPY t FROM STDIN')).rejects.toThrow(/COPY \.\.\. FROM STDIN is not supported|Connection terminated/);
    expect((await watcher.query<{ n: string }>('SELECT count(*) AS n FROM t')).rows[0]!.n).toBe(String(cases.length));
  });

  it('a client that does not finish its startup is closed, an idle client too, and the cap is what was set', async () => {
    await serve({ startupTimeoutMs: 200, idleTimeoutMs: 500, maxConnections: 2 });
    // Connected, never started: closed without an answer to wait for.
    const { received } = await sendRaw(server.port, Buffer.alloc(0));
    expect(received.toString('latin1')).toMatch(/did not finish its startup within 200 ms/);
    // Two clients fill the port; a third is told why it is refused.
    const first = await client();
    await client();
    const third = new pg.Client({ connectionString: url });
    third.on('error', () => undefined);
    await expect(third.connect()).rejects.toThrow(/too many clients already: this SQL port serves 2 at once \(SQL_MAX_CONNECTIONS\)/);
    // Idle clients are closed, and their places are free again.
    let ended = false;
    first.on('end', () => (ended = true));
    await until('the idle client to be closed', () => ended);
    const again = await client();
    expect((await again.query<{ ok: number }>('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
  });

  it("a client's session changes stay its own, and what it leaves is undone when it goes", async () => {
    await pglite.exec('CREATE ROLE port_reader NOLOGIN; GRANT SELECT ON t TO port_reader');
    const before = (await pglite.query<{ s: string }>("SELECT current_setting('search_path') AS s")).rows[0]!.s;
    const changer = await client();
    await changer.query("SELECT set_config('default_transaction_read_only', 'on', false)");
    await changer.query('SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE');
    await changer.query("SET search_path TO 'nowhere'");
    await changer.query('SET ROLE port_reader');
    await changer.query('SELECT pg_advisory_lock(77)');
    await changer.query('PREPARE mine AS SELECT 1');
    await changer.query({ name: 'named', text: 'SELECT 2' });
    // This process (a sync tick) sees none of it.
    await tick(5);
    const seen = await pglite.query<Record<string, string>>(
      "SELECT current_setting('default_transaction_read_only') AS ro, current_setting('default_transaction_isolation') AS iso, current_setting('search_path') AS path, current_user AS who",
    );
    expect(seen.rows).toEqual([{ ro: 'off', iso: 'read committed', path: before, who: 'postgres' }]);
    // Another client neither.
    const other = await client();
    expect((await other.query('SELECT current_user AS who')).rows).toEqual([{ who: 'postgres' }]);
    await other.query('INSERT INTO t VALUES (6)');
    // The client itself still has all of its settings.
    const own = await changer.query("SELECT current_setting('default_transaction_read_only') AS ro, current_setting('search_path') AS path, current_user AS who");
    expect(own.rows).toEqual([{ ro: 'on', path: 'nowhere', who: 'port_reader' }]);
    await expect(changer.query('INSERT INTO public.t VALUES (7)')).rejects.toThrow(/read-only transaction|permission denied/);
    await changer.end();
    const left = async (names: string) =>
      (
        await pglite.query<{ n: number }>(
          `SELECT (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory')::int + (SELECT count(*) FROM pg_prepared_statements WHERE name IN (${names}))::int AS n`,
        )
      ).rows[0]!.n;
    // Its lock and the statement it prepared (Parse) go with it.
    await until('what the client left to be undone', async () => (await left("'named'")) === 0);
    // A statement made with PREPARE belongs to no one client: it goes when the last one leaves.
    await other.end();
    await until('the last client to leave', async () => (await left("'mine', 'named'")) === 0);
    await tick(8);
    expect((await pglite.query<{ n: number }>('SELECT count(*)::int AS n FROM t')).rows[0]!.n).toBe(3);
  });
});
