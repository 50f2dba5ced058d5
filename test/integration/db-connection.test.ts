import { sql } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { inject } from 'vitest';
import { openDatabase, ping, rowsOf, type Database } from '../../src/db/client.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { silentServer, tcpProxy } from '../support/tcp.js';

/**
 * The database connection under stress: backends killed by the server, a host that accepts TCP
 * and never answers, a connection that goes silent in the middle of a session.
 */

const postgres = inject('dbBackend') !== 'pglite';

function recordingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

/** The message and its causes: drizzle wraps the driver's error in its own. */
async function failureOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    const parts: string[] = [];
    for (let e: unknown = error; e instanceof Error; e = e.cause) parts.push(e.message);
    return parts.join(' <- ');
  }
  throw new Error('expected the statement to fail');
}

describe.runIf(postgres)('database connection failures', () => {
  let target: TestDatabase;
  let admin: Database;
  beforeAll(async () => {
    target = await createTestDatabase();
    admin = await target.open();
  });
  afterAll(async () => {
    await admin?.close();
    await target?.destroy();
  });

  async function terminate(applicationName: string): Promise<number> {
    const result = await admin.db.execute(
      sql`SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE application_name = ${applicationName}`,
    );
    return rowsOf(result).length;
  }

  it('a backend killed under a transaction and under a held lock fails the call, not the process', async () => {
    const { logger, lines } = recordingLogger();
    const applicationName = `dhs-kill-${process.pid}-${Date.now()}`;
    const database = await openDatabase({ url: target.url, logger, applicationName, poolSize: 4 });
    try {
      const lost = () => lines.filter((l) => /connection lost/.test(String(l.msg))).length;
      const inLock = database.withBlockingLock('kill-test', async () =>
        database.db.transaction(async (tx) => {
          await tx.execute(sql`SELECT 1`);
          // Both checked-out connections (the lock's and the transaction's) die here, while
          // neither has a statement in flight: each learns of it through its 'error' event,
          // which without a listener would take the process down.
          expect(await terminate(applicationName)).toBe(2);
          // pg may report a killed connection twice (the server's FATAL, then the closed
          // socket), so at least one report each; an exact count raced with the second report.
          await vi.waitFor(() => expect(lost()).toBeGreaterThanOrEqual(2), { timeout: 60_000, interval: 20 });
          await tx.execute(sql`SELECT 1`);
        }),
      );
      // drizzle reports the failed rollback; the cause is the terminated connection (not the
      // wait above, whose failure would reject the same way).
      await expect(inLock).rejects.toThrow();
      expect(lost()).toBeGreaterThanOrEqual(2);
      // The pool opens fresh connections: the next statement works.
      await ping(database);
      const again = await database.withBlockingLock('kill-test', async () => 'ran');
      expect(again).toBe('ran');
    } finally {
      await database.close();
    }
  });

  it('a host that accepts TCP and never answers fails the connect within DATABASE_CONNECT_TIMEOUT', async () => {
    const silent = await silentServer();
    try {
      const opening = openDatabase({ url: `postgres://postgres@127.0.0.1:${silent.port}/nothing`, connectTimeoutMs: 300 });
      await expect(opening).rejects.toThrow(/did not answer within 300 ms.*DATABASE_CONNECT_TIMEOUT/s);
    } finally {
      await silent.close();
    }
  }, 15_000);

  it('a statement that runs too long is cancelled by the server (DATABASE_STATEMENT_TIMEOUT)', async () => {
    const database = await openDatabase({ url: target.url, statementTimeoutMs: 300 });
    try {
      expect(await failureOf(database.db.execute(sql`SELECT pg_sleep(30)`))).toMatch(/canceling statement due to statement timeout/);
      await ping(database);
    } finally {
      await database.close();
    }
  }, 15_000);

  it('a connection that goes silent mid-session fails the statement instead of hanging', async () => {
    const url = new URL(target.url!);
    const proxy = await tcpProxy(url.hostname, Number(url.port || 5432));
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    const database = await openDatabase({ url: url.toString(), statementTimeoutMs: 300, poolSize: 1 });
    try {
      await ping(database);
      proxy.freeze();
      expect(await failureOf(ping(database))).toMatch(/timeout/i);
    } finally {
      await Promise.race([database.close(), new Promise((resolve) => setTimeout(resolve, 2_000))]);
      await proxy.close();
    }
  }, 15_000);
});
