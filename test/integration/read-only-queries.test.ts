import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf, type Database } from '../../src/db/client.js';
import { embeddedClient, runQuery, type QueryTarget } from '../../src/db/sql.js';
import { readSource } from '../../src/writeback/source.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

/**
 * A query that must not write (a write-back source, `sql` without --write) gets no more power
 * than the read-only role, whoever DATABASE_URL is (these tests connect as a superuser), and
 * leaves nothing behind in the session.
 */

describe('read-only queries', () => {
  let target: TestDatabase;
  let database: Database;
  const query = async <T = Record<string, unknown>>(text: string) => rowsOf<T>(await database.db.execute(sql.raw(text)));
  const sqlTarget = (): QueryTarget => (database.kind === 'pglite' ? { kind: 'pglite', pglite: embeddedClient(database) } : { kind: 'postgres', url: target.url! });
  const victims = async () => Number((await query<{ n: number }>('SELECT count(*)::int AS n FROM staging.victim'))[0]!.n);
  const largeObjects = async () => Number((await query<{ n: number }>('SELECT count(*)::int AS n FROM pg_largeobject_metadata'))[0]!.n);

  beforeAll(async () => {
    target = await createTestDatabase();
    database = await target.open();
    await query('CREATE SCHEMA staging');
    await query('CREATE TABLE staging.victim (n int)');
    await query('INSERT INTO staging.victim SELECT generate_series(1, 5)');
    await query('GRANT USAGE ON SCHEMA staging TO dockerhub_reader');
    await query('GRANT SELECT ON staging.victim TO dockerhub_reader');
  });
  afterAll(async () => {
    await database?.close();
    await target?.destroy();
  });

  it('a source that closes its own parenthesis and adds statements runs nothing of them', async () => {
    const hostile = "select 'acme' as org,'zz1' as name) x; COMMIT; DELETE FROM staging.victim; SELECT * FROM (select 'acme' as org,'zz1' as name";
    await expect(readSource(database, hostile)).rejects.toThrow(/the source could not be read/);
    const plain = "select 'acme' as org; DELETE FROM staging.victim";
    await expect(readSource(database, plain)).rejects.toThrow(/the source could not be read/);
    await expect(readSource(database, 'DELETE FROM staging.victim RETURNING n')).rejects.toThrow(/read-only transaction|permission denied/);
    expect(await victims()).toBe(5);
    // What a source may do: read, as the reader, the tables granted to it.
    expect(await readSource(database, 'select n, current_user as who from staging.victim order by n')).toEqual(
      [1, 2, 3, 4, 5].map((n) => ({ n, who: 'dockerhub_reader' })),
    );
  });

  it('a source cannot reach beyond the read-only role: server programs, large objects, other sessions', async () => {
    if (database.kind === 'postgres') {
      await expect(readSource(database, "COPY (SELECT 1) TO PROGRAM 'true'")).rejects.toThrow(/could not be read/);
      const { default: pg } = await import('pg');
      const other = new pg.Client({ connectionString: target.url });
      other.on('error', () => undefined);
      await other.connect();
      try {
        const pid = (await other.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
        await expect(readSource(database, `select pg_terminate_backend(${pid}) as org, 'x' as name`)).rejects.toThrow(/permission denied|must be a member|must be a superuser/);
        expect((await other.query<{ ok: number }>('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
      } finally {
        await other.end().catch(() => undefined);
      }
    }
    const before = await largeObjects();
    for (const call of ['lo_create(0)', "lo_from_bytea(0, 'abc')", "lo_import('/etc/hostname')"]) {
      await readSource(database, `select ${call} as n`).catch(() => undefined);
    }
    expect(await largeObjects()).toBe(before);
    await expect(readSource(database, 'select * from dockerhub.sync_leases for update')).rejects.toThrow(/could not be read/);
  });

  it('sql without --write: one statement, as the reader, rolled back, leaving nothing in the session', async () => {
    const target = sqlTarget();
    const ro = { write: false };
    expect((await runQuery(target, 'SELECT current_user', ro)).rows).toEqual([['dockerhub_reader']]);
    await expect(runQuery(target, 'SELECT 1; DELETE FROM staging.victim', ro)).rejects.toThrow(/multiple commands|cannot insert multiple/);
    const before = await largeObjects();
    for (const call of ['lo_create(0)', "lo_from_bytea(0, 'abc')", "lo_import('/etc/hostname')"]) {
      await runQuery(target, `SELECT ${call}`, ro).catch(() => undefined);
    }
    expect(await largeObjects()).toBe(before);
    if (database.kind === 'postgres') {
      await expect(runQuery(target, "COPY (SELECT 1) TO PROGRAM 'true'", ro)).rejects.toThrow(/permission denied|must be superuser|privileges of the "pg_execute_server_program"/);
    }

    // Session state a query could leave for the next user of the (embedded, shared) session.
    const settings = "SELECT current_setting('default_transaction_read_only') AS ro, current_setting('search_path') AS path";
    const settingsBefore = await query(settings);
    expect(settingsBefore[0]).toMatchObject({ ro: 'off' });
    await runQuery(target, "SELECT set_config('default_transaction_read_only', 'on', false)", ro);
    await runQuery(target, 'SELECT pg_advisory_lock(77)', ro);
    await runQuery(target, "SELECT set_config('search_path', 'staging', false)", ro);
    expect(await query(settings)).toEqual(settingsBefore);
    // This database's locks only: on a server, other test files hold advisory locks of their own.
    expect(await query("SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")).toEqual([]);
    await query('INSERT INTO staging.victim VALUES (6)');
    await query('DELETE FROM staging.victim WHERE n = 6');
  });

  it('a read-only query stops at its own statement timeout', async () => {
    if (database.kind === 'pglite') return; // PGlite cannot interrupt a running statement.
    await expect(runQuery(sqlTarget(), 'SELECT pg_sleep(30)', { write: false, readOnly: { statementTimeoutMs: 100 } })).rejects.toThrow(/statement timeout/);
    await expect(readSource(database, 'select pg_sleep(30) as n', { statementTimeoutMs: 100 })).rejects.toThrow(/statement timeout/);
  });

  it('a role that is missing is named, with what to do', async () => {
    await expect(runQuery(sqlTarget(), 'SELECT 1', { write: false, readOnly: { readerRole: 'no_such_reader' } })).rejects.toThrow(
      /run as the role no_such_reader, which does not exist: run `dockerhub-sync migrate`/,
    );
    await expect(readSource(database, 'select 1 as n', { readerRole: 'no_such_reader' })).rejects.toThrow(/no_such_reader, which does not exist/);
  });
});
