import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { openDatabase, rowsOf } from '../../src/db/client.js';
import { migrateDatabase } from '../../src/db/migrate.js';
import { VIEW_NAMES } from '../../src/db/views.js';
import { ROOT } from '../support/cli.js';

const hasPsql = spawnSync('psql', ['--version']).status === 0;
const serverUrl = inject('dbBackend') === 'pglite' ? undefined : inject('dbServerUrl');

/**
 * The compose init scripts run for real with psql against the test server, as the Postgres
 * image would on an empty volume; then the service migrates as the owner role they create.
 */
describe.skipIf(!serverUrl || !hasPsql)('deploy/postgres/initdb on an empty database', () => {
  const id = randomBytes(4).toString('hex');
  const names = { db: `dhs_init_${id}`, owner: `dhs_owner_${id}`, reader: `dhs_reader_${id}`, grafana: `dhs_grafana_${id}` };
  const urlOf = (user: string, db = names.db) => {
    const url = new URL(serverUrl!);
    url.username = user;
    url.password = '';
    url.pathname = `/${db}`;
    return url.toString();
  };
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      return (await client.query(statement)).rows;
    } finally {
      await client.end();
    }
  };

  afterAll(async () => {
    await admin(`DROP DATABASE IF EXISTS "${names.db}" WITH (FORCE)`).catch(() => undefined);
    for (const role of [names.grafana, names.reader, names.owner]) await admin(`DROP ROLE IF EXISTS "${role}"`).catch(() => undefined);
  });

  it('creates a non-superuser owner that can migrate, and a Grafana login that reads through the configured reader role', async () => {
    await admin(`CREATE DATABASE "${names.db}"`);
    const server = new URL(serverUrl!);
    const env = {
      PATH: process.env.PATH,
      PGHOST: server.hostname,
      PGPORT: server.port || '5432',
      POSTGRES_USER: decodeURIComponent(server.username || 'postgres'),
      POSTGRES_DB: names.db,
      DOCKERHUB_SYNC_DB_USER: names.owner,
      DOCKERHUB_SYNC_DB_PASSWORD: randomBytes(8).toString('hex'),
      DATABASE_READER_ROLE: names.reader,
      GRAFANA_DB_USER: names.grafana,
      GRAFANA_DB_PASSWORD: randomBytes(8).toString('hex'),
    };
    for (const script of ['05-service-owner.sh', '10-grafana-reader.sh']) {
      execFileSync('sh', [path.join(ROOT, 'deploy/postgres/initdb', script)], { env, stdio: 'pipe' });
    }
    const [owner] = await admin(`SELECT rolsuper, rolcreaterole, rolcreatedb, rolcanlogin FROM pg_roles WHERE rolname = '${names.owner}'`);
    expect(owner).toEqual({ rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolcanlogin: true });

    const database = await openDatabase({ url: urlOf(names.owner) });
    try {
      await migrateDatabase(database, undefined, { readerRole: names.reader });
      const [who] = rowsOf<{ who: string }>(await database.db.execute(sql`SELECT current_user AS who`));
      expect(who?.who).toBe(names.owner);
    } finally {
      await database.close();
    }

    const grafana = new pg.Client({ connectionString: urlOf(names.grafana) });
    await grafana.connect();
    try {
      for (const view of VIEW_NAMES) await grafana.query(`SELECT * FROM dockerhub.${view} LIMIT 1`);
      const refused = await grafana.query(`DELETE FROM dockerhub.sync_leases`).then(() => 'ok', (e: { code?: string }) => e.code);
      expect(refused).toBe('42501');
    } finally {
      await grafana.end();
    }
  });
});
