import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rowsOf } from '../../src/db/client.js';
import { runCli } from '../support/cli.js';
import { createEmptyDatabase, type TestDatabase } from '../support/db.js';
import { startTestEmulator, syncEnv, type RunningEmulator } from '../support/emulator.js';

// Read-only commands create nothing (no embedded database, no schema) and say there is no
// database yet; a write-back plan neither creates nor migrates. Expected failures print one line.

let emulator: RunningEmulator;
let scratch: string;
let configFile: string;

beforeAll(async () => {
  emulator = await startTestEmulator();
  scratch = mkdtempSync(path.join(os.tmpdir(), 'dhs-readonly-'));
  configFile = path.join(scratch, 'config.yaml');
  writeFileSync(
    configFile,
    `endpoints:
  - name: repo_details
    path: /v2/namespaces/{repositories.namespace}/repositories/{repositories.name}
    dataPath: $
    key: [$.namespace, $.name]
    columns: { name: text }
writeback:
  - name: teams
    source: select 'acme' as org, 'e2e-a' as name
    target: teams.create
`,
  );
});
afterAll(async () => {
  await emulator?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('read-only commands on a DATA_DIR without a database', () => {
  it.each([
    [['status']],
    [['status', '--json']],
    [['sql', 'SELECT 1']],
    [['test-endpoint', 'repo_details']],
    [['push', 'teams', '--plan']],
    [['push', 'teams', '--dry-run']],
    [['endpoints', 'show', 'repo_details']],
    [['db', 'dump']],
    [['db', 'move', '--to', 'postgres://nobody@127.0.0.1:1/nothing']],
  ])('%j creates nothing and says there is no database yet', async (args) => {
    for (const existing of [false, true]) {
      const dataDir = path.join(scratch, `data-${args.join('-').replace(/\W/g, '')}-${existing}`);
      if (existing) mkdirSync(dataDir, { recursive: true });
      const result = await runCli([...args, '--config', configFile], { env: syncEnv(emulator, { DATA_DIR: dataDir }) });
      expect(existing ? readdirSync(dataDir) : existsSync(dataDir), `${args.join(' ')}: ${result.stdout}${result.stderr}`).toEqual(existing ? [] : false);
      if (args[0] !== 'endpoints') {
        expect(result.code, result.stderr).toBe(1);
        expect(result.stderr).toContain('no embedded database');
      }
    }
  });
});

describe('push --plan writes nothing to a database that is not migrated', () => {
  let empty: TestDatabase;
  beforeAll(async () => {
    empty = await createEmptyDatabase();
  });
  afterAll(async () => {
    await empty?.destroy();
  });

  it('says the schema is behind and what to run, and leaves it as it was', async () => {
    const result = await runCli(['push', 'teams', '--plan', '--config', configFile], { env: syncEnv(emulator, empty.env) });
    expect(result.code, result.stdout + result.stderr).toBe(1);
    if (inject('dbBackend') === 'pglite') {
      expect(result.stderr).toContain('no embedded database');
      expect(readdirSync(empty.env.DATA_DIR!)).toEqual([]);
      return;
    }
    expect(result.stderr).toContain('is behind this build (0 of');
    expect(result.stderr).toContain('run `dockerhub-sync migrate`');
    const database = await empty.open();
    try {
      const schemas = rowsOf<{ nspname: string }>(await database.db.execute(sql`SELECT nspname FROM pg_namespace WHERE nspname IN ('dockerhub', 'drizzle')`));
      expect(schemas).toEqual([]);
    } finally {
      await database.close();
    }
  });
});

describe('expected errors print one line', () => {
  it('a command that fails for an expected reason prints one line at --log-level warn, and the stack only at debug', async () => {
    const dataDir = path.join(scratch, 'no-data-for-errors');
    const warn = await runCli(['sql', 'SELECT 1', '--log-level', 'warn'], { env: syncEnv(emulator, { DATA_DIR: dataDir }) });
    expect(warn.code).toBe(1);
    expect(warn.stderr.trimEnd().split('\n'), warn.stderr).toHaveLength(1);
    expect(warn.stderr).not.toMatch(/"stack"|\n\s+at /);
    const debug = await runCli(['sql', 'SELECT 1', '--log-level', 'debug'], { env: syncEnv(emulator, { DATA_DIR: dataDir }) });
    expect(debug.code).toBe(1);
    expect(debug.stderr).toContain('"stack"');
  });

  it('a refused login logs its message without a stack at warn', async () => {
    const dataDir = path.join(scratch, 'login');
    const env = syncEnv(emulator, { DATA_DIR: dataDir }, { DOCKERHUB_PASSWORD: `wrong-${Date.now()}` });
    const result = await runCli(['sync', '--only', 'repositories', '--log-level', 'warn'], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('login failed');
    expect(result.stderr).not.toContain('"stack"');
  });
});
