import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sharedSocketDatabase, type SocketDatabase } from '../../src/db/serve-socket.js';

/**
 * One PGlite, two users: this process (the sync, through PGlite's own query and transaction
 * API) and socket clients. Neither may ever run inside the other's transaction.
 */

async function until(what: string, probe: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('serving PGlite while this process uses it', () => {
  let pglite: PGlite;
  let server: PGLiteSocketServer;
  let url: string;
  /** Client messages that reached the database wrapper (they may then wait for the lock). */
  let arrived = 0;
  const clients: pg.Client[] = [];

  async function client(): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    clients.push(c);
    return c;
  }

  beforeEach(async () => {
    arrived = 0;
    pglite = await PGlite.create();
    await pglite.exec('CREATE TABLE t (n int)');
    const shared = sharedSocketDatabase(pglite);
    const counting: SocketDatabase = {
      ...shared,
      isInTransaction: () => shared.isInTransaction(),
      runExclusive: (fn) => {
        arrived++;
        return shared.runExclusive(fn);
      },
      exec: (q) => shared.exec(q),
    };
    server = new PGLiteSocketServer({ db: counting as unknown as PGlite, port: 0, host: '127.0.0.1', maxConnections: 5 });
    await server.start();
    url = `postgres://postgres@${server.getServerConn()}/postgres`;
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.end().catch(() => undefined);
    await server.stop();
    await pglite.close();
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
});
