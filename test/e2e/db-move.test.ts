import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { createEmptyDatabase, migratedDataDir, type TestDatabase } from '../support/db.js';
import { startTestEmulator, syncEnv, type RunningEmulator } from '../support/emulator.js';

/** Rows per table of schema dockerhub, read with the product's own `sql --json`. */
async function counts(env: NodeJS.ProcessEnv): Promise<Record<string, number>> {
  const tables = await runCli(
    ['sql', '--json', "SELECT relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE nspname = 'dockerhub' AND relkind = 'r' ORDER BY 1"],
    { env },
  );
  expect(tables.code, tables.stderr).toBe(0);
  const names = (JSON.parse(tables.stdout) as { name: string }[]).map((t) => t.name);
  const query = names.map((name) => `SELECT '${name}' AS name, count(*) AS n FROM dockerhub.${name}`).join(' UNION ALL ');
  const result = await runCli(['sql', '--json', query], { env });
  expect(result.code, result.stderr).toBe(0);
  return Object.fromEntries((JSON.parse(result.stdout) as { name: string; n: number }[]).map((r) => [r.name, r.n]));
}

describe('db dump and db move: the embedded database leaves with everything', () => {
  const backend = inject('dbBackend');
  let emulator: RunningEmulator;
  let dataDir: string;
  let target: TestDatabase | undefined;

  beforeAll(async () => {
    // A small account: the subject is the copy, not the sync.
    emulator = await startTestEmulator({ scale: 0.3 });
    dataDir = migratedDataDir('dhs-move-');
  });
  afterAll(async () => {
    await emulator?.close();
    await target?.destroy();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('db dump writes plain SQL that rebuilds the same tables', async () => {
    const env = syncEnv(emulator, { DATA_DIR: dataDir });
    const first = await runCli(['sync'], { env, timeoutMs: 400_000 });
    expect(first.code, first.stderr).toBe(0);
    const file = path.join(dataDir, 'dump.sql');
    const dumped = await runCli(['db', 'dump', '--out', file], { env });
    expect(dumped.code, dumped.stderr).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('CREATE TABLE dockerhub.repositories');
    expect(text).toContain('INSERT INTO dockerhub.sync_state');

    const restored = await PGlite.create();
    try {
      await restored.exec(text);
      const expected = await counts(env);
      for (const [table, n] of Object.entries(expected)) {
        const { rows } = await restored.query<{ n: number }>(`SELECT count(*)::int AS n FROM dockerhub.${table}`);
        expect(rows[0]!.n, table).toBe(n);
      }
    } finally {
      await restored.close();
    }
  }, 600_000);

  // Needs a server: the move's destination is a Postgres database.
  it.skipIf(backend === 'pglite')('db move copies every row into a fresh Postgres, and the next sync continues from the copied cursors', async () => {
    const embedded = syncEnv(emulator, { DATA_DIR: dataDir });
    target = await createEmptyDatabase();
    const server = syncEnv(emulator, target.env);
    const before = await counts(embedded);
    expect(before.repositories).toBeGreaterThan(0);
    expect(before.sync_state).toBeGreaterThan(0);

    // A password in --to is used, never printed.
    const withPassword = target.url!.replace('postgres://postgres@', 'postgres://postgres:s3cret-move@');
    const moved = await runCli(['db', 'move', '--to', withPassword], { env: embedded });
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stdout).toContain('Every table has the same row count on both sides');
    expect(moved.stdout + moved.stderr).not.toContain('s3cret-move');
    expect(await counts(server)).toEqual(before);
    const cursors = "SELECT endpoint, slice_key, cursor, last_complete_at FROM dockerhub.sync_state ORDER BY 1, 2";
    const sourceCursors = await runCli(['sql', '--json', cursors], { env: embedded });
    expect((await runCli(['sql', '--json', cursors], { env: server })).stdout).toBe(sourceCursors.stdout);

    // Counted migrations: `migrate` on the target has nothing to do.
    const migrate = await runCli(['migrate'], { env: server });
    expect(migrate.code, migrate.stderr).toBe(0);
    expect(migrate.stdout).toContain('is up to date (');

    // A second pass on the embedded database and the first pass on the copy cost the same
    // requests: the copy is not read from scratch.
    emulator.requests.reset();
    const again = await runCli(['sync'], { env: embedded, timeoutMs: 400_000 });
    expect(again.code, again.stderr).toBe(0);
    const unchangedPass = emulator.requests.counts;
    emulator.requests.reset();
    const onCopy = await runCli(['sync'], { env: server, timeoutMs: 400_000 });
    expect(onCopy.code, onCopy.stderr).toBe(0);
    expect(emulator.requests.counts).toEqual(unchangedPass);
    expect(emulator.requests.get('repositories.get')).toBe(0);

    // A second move into the now-filled database is refused and changes nothing.
    const refused = await runCli(['db', 'move', '--to', target.url!], { env: embedded });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('already holds data');
  }, 600_000);
});
