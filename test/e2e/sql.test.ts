import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { createTestDatabase, migratedDataDir, type TestDatabase } from '../support/db.js';
import { startTestEmulator, syncEnv, type RunningEmulator } from '../support/emulator.js';

// Columns that do not depend on when a sync ran, of every kind the formats must render alike:
// text, bigint, boolean, timestamptz, jsonb, arrays and NULL.
const QUERY = `SELECT namespace, name, pull_count, star_count, is_private, last_updated,
  raw->'namespace' AS raw_namespace, ARRAY[namespace, name] AS parts, NULL::text AS nothing
FROM dockerhub.repositories ORDER BY namespace, name`;

describe('sql: one query on whichever database is configured', () => {
  const backend = inject('dbBackend');
  let emulator: RunningEmulator;
  let dataDir: string;
  let postgres: TestDatabase | undefined;
  const embedded = () => syncEnv(emulator, { DATA_DIR: dataDir });
  const server = () => syncEnv(emulator, postgres!.env);

  beforeAll(async () => {
    emulator = await startTestEmulator();
    dataDir = migratedDataDir('dhs-sql-');
    const first = await runCli(['sync'], { env: embedded(), timeoutMs: 400_000 });
    expect(first.code, first.stderr).toBe(0);
    if (backend !== 'pglite') {
      postgres = await createTestDatabase();
      const second = await runCli(['sync'], { env: server(), timeoutMs: 400_000 });
      expect(second.code, second.stderr).toBe(0);
    }
  }, 600_000);
  afterAll(async () => {
    await emulator?.close();
    await postgres?.destroy();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints the same rows in all three formats on PGlite and on Postgres', async () => {
    for (const format of [[], ['--csv'], ['--json']]) {
      const onPglite = await runCli(['sql', ...format, QUERY], { env: embedded() });
      expect(onPglite.code, onPglite.stderr).toBe(0);
      if (postgres) {
        const onPostgres = await runCli(['sql', ...format, QUERY], { env: server() });
        expect(onPostgres.code, onPostgres.stderr).toBe(0);
        expect(onPostgres.stdout, `format ${format.join('') || 'table'}`).toBe(onPglite.stdout);
      }
    }
    const json = await runCli(['sql', '--json', QUERY], { env: embedded() });
    const rows = JSON.parse(json.stdout) as Record<string, unknown>[];
    const repositories = Object.values(emulator.snapshot({ tags: false }).repositories).flat();
    expect(rows).toHaveLength(repositories.length);
    expect(rows[0]).toMatchObject({ nothing: null, parts: [rows[0]!.namespace, rows[0]!.name] });
    expect(typeof rows[0]!.pull_count).toBe('number');
    expect(typeof rows[0]!.is_private).toBe('boolean');
    expect(rows[0]!.raw_namespace).toBe(rows[0]!.namespace);

    const csv = await runCli(['sql', '--csv', QUERY], { env: embedded() });
    const lines = csv.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('namespace,name,pull_count,star_count,is_private,last_updated,raw_namespace,parts,nothing');
    expect(lines).toHaveLength(repositories.length + 1);

    const table = await runCli(['sql', QUERY], { env: embedded() });
    expect(table.stdout).toMatch(/^namespace +name +pull_count/);
    expect(table.stdout.trimEnd()).toMatch(new RegExp(`\\(${repositories.length} rows\\)$`));
  }, 600_000);

  it('reads the query from --file', async () => {
    const file = path.join(dataDir, 'q.sql');
    writeFileSync(file, `-- repositories per namespace\nSELECT namespace, count(*) AS repositories\nFROM dockerhub.repositories\nGROUP BY namespace ORDER BY namespace;\n`);
    const result = await runCli(['sql', '--json', '--file', file], { env: embedded() });
    expect(result.code, result.stderr).toBe(0);
    const rows = JSON.parse(result.stdout) as { namespace: string; repositories: number }[];
    const snapshot = emulator.snapshot({ tags: false }).repositories;
    expect(rows).toEqual(
      Object.keys(snapshot)
        .sort()
        .filter((ns) => snapshot[ns]!.length > 0)
        .map((ns) => ({ namespace: ns, repositories: snapshot[ns]!.length })),
    );
  }, 600_000);

  it('refuses a change without --write and makes it with --write, on both databases', async () => {
    for (const env of postgres ? [embedded(), server()] : [embedded()]) {
      const refused = await runCli(['sql', 'DELETE FROM dockerhub.repositories'], { env });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('cannot execute DELETE in a read-only transaction');
      expect(refused.stderr).toContain('--write');
      const count = await runCli(['sql', '--csv', 'SELECT count(*) AS n FROM dockerhub.repositories'], { env });
      expect(Number(count.stdout.split('\n')[1])).toBeGreaterThan(0);

      // A second statement cannot end the read-only transaction and run outside it.
      const smuggled = await runCli(['sql', 'COMMIT; DELETE FROM dockerhub.repositories'], { env });
      expect(smuggled.code).toBe(1);
      expect((await runCli(['sql', '--csv', 'SELECT count(*) AS n FROM dockerhub.repositories'], { env })).stdout).toBe(count.stdout);

      const written = await runCli(['sql', '--write', "UPDATE dockerhub.org_settings SET raw = raw WHERE org = 'no-such-org'"], { env });
      expect(written.code, written.stderr).toBe(0);
      expect(written.stdout.trim()).toBe('UPDATE 0');
    }
  }, 600_000);

  it("shows Postgres's message and where in the query it went wrong, exit 1", async () => {
    const result = await runCli(['sql', 'SELECT name,\n  nope FROM dockerhub.repositories'], { env: embedded() });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('ERROR:  column "nope" does not exist');
    expect(result.stderr).toContain('LINE 2:   nope FROM dockerhub.repositories\n          ^');
    expect(result.stdout).toBe('');
  }, 600_000);

  it('names what is wrong with the call', async () => {
    const none = await runCli(['sql'], { env: embedded() });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('a query');
    const both = await runCli(['sql', '--csv', '--json', 'SELECT 1'], { env: embedded() });
    expect(both.code).toBe(2);
    const empty = mkdtempSync(path.join(os.tmpdir(), 'dhs-sql-empty-'));
    try {
      const missing = await runCli(['sql', 'SELECT 1'], { env: syncEnv(emulator, { DATA_DIR: empty }) });
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('dockerhub-sync sync');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  }, 600_000);
});
