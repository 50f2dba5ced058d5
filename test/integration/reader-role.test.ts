import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { MIGRATIONS_FOLDER, migrateDatabase } from '../../src/db/migrate.js';
import { quoteRole } from '../../src/db/reader-role.js';
import { rowsOf } from '../../src/db/client.js';
import { READER_ROLE, VIEW_NAMES } from '../../src/db/views.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

const ROLE_MIGRATION = readFileSync(path.join(MIGRATIONS_FOLDER, '0003_reader_role.sql'), 'utf8');
const onPglite = inject('dbBackend') === 'pglite';
const suffix = () => randomBytes(5).toString('hex');

describe('the read-only role dockerhub_reader', () => {
  let target: TestDatabase;
  let database: Database;
  const query = async <T = Record<string, unknown>>(text: string) => rowsOf<T>(await database.db.execute(sql.raw(text)));

  beforeAll(async () => {
    target = await createTestDatabase();
    database = await target.open();
  });
  afterAll(async () => {
    await database?.close();
    await target?.destroy();
  });

  it('exists after migrating, cannot log in, and may read every table and view but change nothing', async () => {
    const [role] = await query<{ rolcanlogin: boolean }>(`SELECT rolcanlogin FROM pg_roles WHERE rolname = '${READER_ROLE}'`);
    expect(role).toEqual({ rolcanlogin: false });
    const relations = await query<{ name: string; kind: string; can_select: boolean; can_write: boolean }>(`
      SELECT c.relname AS name, c.relkind::text AS kind,
        has_table_privilege('${READER_ROLE}', c.oid, 'SELECT') AS can_select,
        has_table_privilege('${READER_ROLE}', c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER') AS can_write
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'dockerhub' AND c.relkind IN ('r', 'v', 'm', 'p')`);
    expect(relations.filter((r) => r.kind === 'v').map((r) => r.name).sort()).toEqual([...VIEW_NAMES].sort());
    expect(relations.filter((r) => r.kind === 'r').length).toBeGreaterThanOrEqual(19);
    for (const relation of relations) {
      expect(relation.can_select, `SELECT on ${relation.name}`).toBe(true);
      expect(relation.can_write, `write on ${relation.name}`).toBe(false);
    }
    const [schema] = await query<{ usage: boolean; create: boolean }>(
      `SELECT has_schema_privilege('${READER_ROLE}', 'dockerhub', 'USAGE') AS usage, has_schema_privilege('${READER_ROLE}', 'dockerhub', 'CREATE') AS create`,
    );
    expect(schema).toEqual({ usage: true, create: false });
  });

  it('covers tables created later by the migrating user (default privileges)', async () => {
    await query(`CREATE TABLE dockerhub.zz_future_table (id int)`);
    try {
      const [row] = await query<{ can: boolean }>(`SELECT has_table_privilege('${READER_ROLE}', 'dockerhub.zz_future_table', 'SELECT') AS can`);
      expect(row?.can).toBe(true);
    } finally {
      await query(`DROP TABLE dockerhub.zz_future_table`);
    }
  });

  it('re-running the role migration on a database where the role exists changes nothing and fails nothing', async () => {
    await query(ROLE_MIGRATION);
    await query(ROLE_MIGRATION);
    const [count] = await query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_roles WHERE rolname = '${READER_ROLE}'`);
    expect(count?.n).toBe(1);
  });

  it('acting as dockerhub_reader (SET ROLE, every backend): SELECT on every view works, INSERT is refused', async () => {
    const asReader = async (statement: string) =>
      database.db
        .transaction(async (tx) => {
          await tx.execute(sql.raw(`SET LOCAL ROLE ${READER_ROLE}`));
          await tx.execute(sql.raw(statement));
        })
        .then(
          () => 'ok',
          (error: { code?: string; cause?: { code?: string } }) => error.cause?.code ?? error.code ?? 'error',
        );
    for (const view of VIEW_NAMES) expect(await asReader(`SELECT * FROM dockerhub.${view} LIMIT 5`), view).toBe('ok');
    expect(await asReader(`INSERT INTO dockerhub.org_invites (org, id, raw, row_hash) VALUES ('o', 'i', '{}', 'h')`)).toBe('42501');
  });

  // Needs a server: logging in as another role takes a second connection; PGlite has one, as its owner.
  it.skipIf(onPglite)('a login role granted dockerhub_reader reads every view and table, and is refused every write', async () => {
    const { default: pg } = await import('pg');
    const login = `dhs_bi_${suffix()}`;
    const password = randomBytes(12).toString('hex');
    await query(`CREATE ROLE "${login}" LOGIN PASSWORD '${password}' IN ROLE ${READER_ROLE}`);
    const url = new URL(target.url!);
    url.username = login;
    url.password = password;
    const client = new pg.Client({ connectionString: url.toString() });
    try {
      await client.connect();
      const [me] = (await client.query<{ who: string }>('SELECT current_user AS who')).rows;
      expect(me?.who).toBe(login);
      for (const view of VIEW_NAMES) await client.query(`SELECT * FROM dockerhub.${view} LIMIT 5`);
      const tables = (await client.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'dockerhub'`)).rows;
      for (const { t } of tables) await client.query(`SELECT * FROM dockerhub."${t}" LIMIT 1`);

      const refused = async (statement: string) => {
        const error = await client.query(statement).then(() => undefined, (e: { code?: string }) => e);
        expect(error?.code, statement).toBe('42501'); // insufficient_privilege
      };
      await refused(`INSERT INTO dockerhub.tags (namespace, repository, name, raw, row_hash) VALUES ('x', 'y', 'z', '{}', 'h')`);
      await refused(`UPDATE dockerhub.repositories SET description = 'owned'`);
      await refused(`DELETE FROM dockerhub.changes`);
      await refused(`TRUNCATE dockerhub.audit_logs`);
      await refused(`CREATE TABLE dockerhub.intruder (id int)`);
      await refused(`CREATE OR REPLACE VIEW dockerhub.stale_tags AS SELECT 1 AS one`);
      await refused(`SELECT * FROM drizzle.__dockerhub_sync_migrations`);
    } finally {
      await client.end().catch(() => undefined);
      await query(`DROP ROLE IF EXISTS "${login}"`);
    }
  });
});

// Needs a server: two databases migrating at once on one server, where roles are shared; a PGlite folder is one database.
describe.skipIf(onPglite)('the role migration when two databases on one server migrate at the same moment', () => {
  // Roles are cluster-wide; the migration runs once per database. Here the role name is made
  // unique so the race can be staged for real: database A creates the role inside an open
  // transaction, database B tries too and blocks on the catalog's unique index until A commits.
  let a: TestDatabase;
  let b: TestDatabase;
  const role = `dhs_race_${suffix()}`;
  const migration = ROLE_MIGRATION.replaceAll(READER_ROLE, role);

  beforeAll(async () => {
    [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  });
  afterAll(async () => {
    const { default: pg } = await import('pg');
    for (const target of [a, b]) {
      if (!target?.url) continue;
      const client = new pg.Client({ connectionString: target.url });
      await client.connect();
      await client.query(`DROP OWNED BY "${role}"`).catch(() => undefined);
      await client.end();
    }
    const admin = new pg.Client({ connectionString: a.url });
    await admin.connect();
    await admin.query(`DROP ROLE IF EXISTS "${role}"`).catch(() => undefined);
    await admin.end();
    await a?.destroy();
    await b?.destroy();
  });

  /** Run `second` on B while A holds an uncommitted `first`; A commits once B is seen waiting on a lock. */
  async function race(first: string, second: string) {
    const { default: pg } = await import('pg');
    const clientA = new pg.Client({ connectionString: a.url });
    const clientB = new pg.Client({ connectionString: b.url });
    await clientA.connect();
    await clientB.connect();
    try {
      await clientA.query('BEGIN');
      await clientA.query(first);
      const pidB = (await clientB.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      await clientB.query('BEGIN');
      const pending = clientB.query(second).then(
        () => ({ ok: true as const }),
        (error: { code?: string }) => ({ ok: false as const, code: error.code }),
      );
      // Poll until B is seen waiting for A's lock (or B is done): a condition, not a number of tries,
      // so a slow machine only makes this take longer.
      let waited = false;
      let settled = false;
      void pending.then(() => (settled = true));
      const deadline = Date.now() + 30_000;
      while (!waited && !settled && Date.now() < deadline) {
        const rows = (await clientA.query<{ w: string | null }>('SELECT wait_event_type AS w FROM pg_stat_activity WHERE pid = $1', [pidB])).rows;
        waited = rows[0]?.w === 'Lock';
        if (!waited) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await clientA.query('COMMIT');
      const outcome = await pending;
      await clientB.query(outcome.ok ? 'COMMIT' : 'ROLLBACK');
      return { waited, outcome };
    } finally {
      await clientA.end();
      await clientB.end();
    }
  }

  it('a bare CREATE ROLE would fail the second database (the race is real)', async () => {
    const bare = `dhs_race_bare_${suffix()}`;
    try {
      const { waited, outcome } = await race(`CREATE ROLE "${bare}" NOLOGIN`, `CREATE ROLE "${bare}" NOLOGIN`);
      expect(waited).toBe(true);
      expect(outcome).toEqual({ ok: false, code: expect.stringMatching(/^(23505|42710)$/) });
    } finally {
      const { default: pg } = await import('pg');
      const admin = new pg.Client({ connectionString: a.url });
      await admin.connect();
      await admin.query(`DROP ROLE IF EXISTS "${bare}"`);
      await admin.end();
    }
  });

  it('the migration succeeds on both, and both databases get the grants', async () => {
    const { waited, outcome } = await race(migration, migration);
    expect(waited).toBe(true);
    expect(outcome).toEqual({ ok: true });
    for (const target of [a, b]) {
      const database = await target.open();
      try {
        const [row] = rowsOf<{ usage: boolean; can: boolean }>(
          await database.db.execute(
            sql.raw(`SELECT has_schema_privilege('${role}', 'dockerhub', 'USAGE') AS usage, has_table_privilege('${role}', 'dockerhub.stale_tags', 'SELECT') AS can`),
          ),
        );
        expect(row).toEqual({ usage: true, can: true });
      } finally {
        await database.close();
      }
    }
  });
});

// Needs a server: the configured role is one of the server's roles, checked from other connections; PGlite has one connection.
describe.skipIf(onPglite)('a configured reader role (DATABASE_READER_ROLE)', () => {
  let target: TestDatabase;
  let database: Database;
  const role = `dhs_reader_${suffix()}`;
  const query = async <T = Record<string, unknown>>(text: string) => rowsOf<T>(await database.db.execute(sql.raw(text)));
  const canRead = async (who: string) =>
    (await query<{ usage: boolean; tables: boolean }>(`
      SELECT has_schema_privilege('${who}', 'dockerhub', 'USAGE') AS usage,
        bool_and(has_table_privilege('${who}', c.oid, 'SELECT')) AS tables
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'dockerhub' AND c.relkind IN ('r', 'v')`))[0];

  beforeAll(async () => {
    target = await createTestDatabase();
    database = await target.open();
  });
  afterAll(async () => {
    await query(`DROP OWNED BY "${role}"`).catch(() => undefined);
    await query(`DROP ROLE IF EXISTS "${role}"`).catch(() => undefined);
    await database?.close();
    await target?.destroy();
  });

  it('is created and granted on migrate, and the default role loses this database', async () => {
    expect(await canRead(READER_ROLE)).toEqual({ usage: true, tables: true });
    await migrateDatabase(database, undefined, { readerRole: role });
    const [created] = await query<{ rolcanlogin: boolean }>(`SELECT rolcanlogin FROM pg_roles WHERE rolname = '${role}'`);
    expect(created).toEqual({ rolcanlogin: false });
    expect(await canRead(role)).toEqual({ usage: true, tables: true });
    expect(await canRead(READER_ROLE)).toEqual({ usage: false, tables: false });
    // Tables made later by the migrating user are covered for the configured role only.
    await query(`CREATE TABLE dockerhub.zz_later (id int)`);
    try {
      const [later] = await query<{ mine: boolean; other: boolean }>(
        `SELECT has_table_privilege('${role}', 'dockerhub.zz_later', 'SELECT') AS mine, has_table_privilege('${READER_ROLE}', 'dockerhub.zz_later', 'SELECT') AS other`,
      );
      expect(later).toEqual({ mine: true, other: false });
    } finally {
      await query(`DROP TABLE dockerhub.zz_later`);
    }
    // A second run finds nothing to do.
    await migrateDatabase(database, undefined, { readerRole: role });
    expect(await canRead(role)).toEqual({ usage: true, tables: true });
  });

  it('the name is quoted, and anything but a plain lowercase name is refused before any SQL', () => {
    expect(quoteRole('team_a_reader')).toBe('"team_a_reader"');
    for (const bad of ['Reader', 'a-b', 'x"; DROP ROLE postgres; --', 'pg_read_all_data', '1reader', '', 'r'.repeat(64)]) {
      expect(() => quoteRole(bad), bad).toThrow(RangeError);
    }
  });
});
