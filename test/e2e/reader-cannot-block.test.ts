import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rowsOf } from '../../src/db/client.js';
import { endpointNames } from '../../src/endpoints/index.js';
import { baseEnv, runCli } from '../support/cli.js';
import { createEmptyDatabase, createTestDatabase, type TestDatabase } from '../support/db.js';
import { startTestEmulator, syncEnv, type RunningEmulator } from '../support/emulator.js';

const onPglite = inject('dbBackend') === 'pglite';
const READER = 'dockerhub_reader';

/** The same database URL, logged in as another role (the test server trusts local logins). */
function urlAs(url: string, role: string): string {
  const parsed = new URL(url);
  parsed.username = role;
  parsed.password = '';
  return parsed.toString();
}

async function sqlState(client: pg.Client, text: string): Promise<string> {
  return client.query(text).then(
    () => 'ok',
    (error: { code?: string }) => error.code ?? 'error',
  );
}

// Needs a server: a reader's session beside the sync's holds locks in a connection of its own; PGlite has one connection.
describe.skipIf(onPglite)('a member of the read-only role cannot stall or skip the sync', () => {
  let emulator: RunningEmulator;
  let target: TestDatabase;
  let admin: pg.Client;
  let reader: pg.Client;
  const login = `reader_${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    emulator = await startTestEmulator();
    target = await createTestDatabase();
    admin = new pg.Client({ connectionString: target.env.DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE ROLE ${login} LOGIN IN ROLE ${READER}`);
    reader = new pg.Client({ connectionString: urlAs(target.env.DATABASE_URL!, login) });
    await reader.connect();
  });
  afterAll(async () => {
    await reader?.end();
    await admin?.query(`DROP ROLE IF EXISTS ${login}`).catch(() => undefined);
    await admin?.end();
    await emulator?.close();
    await target?.destroy();
  });

  it('holding every advisory lock the sync ever used, and trying the lease table, the reader still sees every slice run', async () => {
    const namespaces = [emulator.credentials.username, ...emulator.credentials.oat.map((o) => o.org)];
    const keys = ['dockerhub-sync:migrate'];
    for (const endpoint of endpointNames) for (const namespace of namespaces) keys.push(`dockerhub-sync:${endpoint}:${namespace}`);
    await reader.query('SELECT pg_advisory_lock(hashtextextended(k, 0)) FROM unnest($1::text[]) AS k', [keys]);

    // The lease table is out of the reader's reach: no row, no row lock, no table lock.
    expect(await sqlState(reader, `INSERT INTO dockerhub.sync_leases (key, holder, expires_at) VALUES ('slice:repositories:${namespaces[0]}', 'reader', now() + interval '1 day')`)).toBe('42501');
    expect(await sqlState(reader, 'SELECT * FROM dockerhub.sync_leases FOR UPDATE')).toBe('42501');
    expect(await sqlState(reader, 'BEGIN; LOCK TABLE dockerhub.sync_leases IN ACCESS EXCLUSIVE MODE')).toBe('42501');
    await reader.query('ROLLBACK');

    // Every endpoint that needs no configured value runs, and scim_users with its SCIM token.
    const scim = emulator.credentials.scim[0]!;
    const env = syncEnv(emulator, target.env, { DOCKERHUB_SCIM_TOKEN: scim.token, DOCKERHUB_SCIM_ORG: scim.org });
    const result = await runCli(['sync', '--no-progress'], { env, timeoutMs: 120_000 });
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toContain('0 slice(s) failed');
    expect(result.stdout).not.toContain('skipped: another process');
    const runs = rowsOf<{ endpoint: string; status: string; n: number }>(
      await admin.query(`SELECT endpoint, status, count(*)::int AS n FROM dockerhub.sync_runs GROUP BY 1, 2 ORDER BY 1, 2`).then((r) => ({ rows: r.rows })),
    );
    expect(runs.filter((r) => r.status !== 'succeeded')).toEqual([]);
    // Not watched_tags (nothing is configured), nor the pull-usage reports: they need an
    // organization access token, and a password login skips them with one line.
    const needless = ['watched_tags', 'pull_usage_reports', 'pull_usage'];
    expect(new Set(runs.map((r) => r.endpoint))).toEqual(new Set(endpointNames.filter((name) => !needless.includes(name))));

    // status: no migration lock, no write; it answers while the reader holds the lock, as the reader.
    const status = await runCli(['status'], { env: baseEnv({ DATABASE_URL: urlAs(target.env.DATABASE_URL!, login) }), timeoutMs: 60_000 });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^repositories\s+\S+\s+\S+.*succeeded/m);
    await reader.query('SELECT pg_advisory_unlock_all()');
  });

  it('a live lease of another replica skips its slice, named as skipped, never as done; an expired one is taken over', async () => {
    const namespace = emulator.credentials.oat[0]!.org;
    await admin.query(
      `INSERT INTO dockerhub.sync_leases (key, holder, expires_at) VALUES
         ('slice:org_settings:${namespace}', 'other-replica/1', clock_timestamp() + interval '1 hour'),
         ('slice:org_invites:${namespace}', 'dead-replica/2', clock_timestamp() - interval '1 second')`,
    );
    const result = await runCli(['sync', '--no-progress', '--only', 'org_settings,org_invites'], { env: syncEnv(emulator, target.env) });
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toContain('1 slice(s) skipped: another process was running them (other-replica/1).');
    const leases = (await admin.query('SELECT key, holder FROM dockerhub.sync_leases ORDER BY key')).rows;
    expect(leases).toEqual([{ key: `slice:org_settings:${namespace}`, holder: 'other-replica/1' }]);
  });
});

// Needs a server: status logs in as a role with only dockerhub_reader; PGlite has no logins (one connection, as its owner).
describe.skipIf(onPglite)('status as the read-only role', () => {
  let empty: TestDatabase;
  let admin: pg.Client;
  const login = `reader_${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    empty = await createEmptyDatabase();
    admin = new pg.Client({ connectionString: empty.env.DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE ROLE ${login} LOGIN`);
  });
  afterAll(async () => {
    await admin?.query(`DROP ROLE IF EXISTS ${login}`).catch(() => undefined);
    await admin?.end();
    await empty?.destroy();
  });

  it('on a database that was never migrated: says so with what is pending, exits 1 and writes nothing', async () => {
    const status = await runCli(['status'], { env: baseEnv({ DATABASE_URL: urlAs(empty.env.DATABASE_URL!, login) }), timeoutMs: 60_000 });
    expect(status.code, status.stderr).toBe(1);
    expect(status.stdout).toMatch(/^Not migrated: .* has no dockerhub-sync schema yet\. Pending: 0000_init, /m);
    const schemas = (await admin.query(`SELECT nspname FROM pg_namespace WHERE nspname IN ('dockerhub', 'drizzle')`)).rows;
    expect(schemas).toEqual([]);
  });

  it('--json gives the same as an object', async () => {
    const status = await runCli(['status', '--json'], { env: baseEnv({ DATABASE_URL: empty.env.DATABASE_URL! }), timeoutMs: 60_000 });
    expect(status.code).toBe(1);
    expect(JSON.parse(status.stdout)).toMatchObject({ migrated: false, applied: 0, pending: expect.arrayContaining(['0000_init']) });
    expect(sql).toBeDefined();
  });
});
