import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/client.js';
import { runCli, type CliResult } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startTestEmulator, syncEnv, type RunningEmulator } from '../support/emulator.js';
import { freePort } from '../support/tcp.js';
import { waitFor } from '../support/wait.js';

// A write-back job with a schedule runs under `serve` like the sync jobs: its ticks show in the
// metrics, a second tick sends nothing, and SIGTERM stops the service cleanly.

function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([^{\s]+)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

describe('write-back jobs under serve', () => {
  let emulator: RunningEmulator;
  let target: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    emulator = await startTestEmulator({ seed: 19 });
    target = await createTestDatabase();
    dir = mkdtempSync(path.join(os.tmpdir(), 'dhs-push-serve-'));
  });
  afterAll(async () => {
    await emulator?.close();
    await target?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs on its schedule, reports in /metrics, sends each record once', async () => {
    const org = emulator.state.orgNames[0] as string;
    const database = await target.open();
    try {
      await database.db.execute(sql.raw('CREATE SCHEMA staging'));
      // Sources are read with the read-only role's privileges.
      await database.db.execute(sql.raw('GRANT USAGE ON SCHEMA staging TO dockerhub_reader'));
      await database.db.execute(sql.raw('ALTER DEFAULT PRIVILEGES IN SCHEMA staging GRANT SELECT ON TABLES TO dockerhub_reader'));
      await database.db.execute(sql.raw(`CREATE TABLE staging.teams AS SELECT '${org}'::text AS org, 'served-' || n AS name FROM generate_series(1, 3) n`));
    } finally {
      await database.close();
    }
    const configFile = path.join(dir, 'config.yaml');
    // The sync jobs are far away (they catch up once at start); the write-back job ticks every 2 seconds.
    writeFileSync(
      configFile,
      `schedules:
  repositories: "0 0 1 1 *"
  watched_tags: "0 0 1 1 *"
  audit_logs: "0 0 1 1 *"
  audit_log_actions: "0 0 1 1 *"
  organization: "0 0 1 1 *"
writeback:
  - name: served_teams
    source: staging.teams
    target: teams.create
    schedule: "*/2 * * * * *"
`,
    );
    const port = await freePort();
    let child!: ChildProcess;
    const exited = runCli(['serve', '--config', configFile], {
      env: { ...syncEnv(emulator, target.env, { DOCKERHUB_NAMESPACES: org }), PORT: String(port) },
      timeoutMs: 300_000,
      onSpawn: (spawned) => (child = spawned),
    });
    let early: CliResult | undefined;
    void exited.then((result) => (early = result));
    const metrics = async () => {
      if (early) throw new Error(`serve exited with ${early.code}: ${early.stderr.slice(-2000)}`);
      return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    };
    try {
      await waitFor('two write-back ticks', async () => {
        const text = await metrics();
        return (sample(text, 'dockerhub_sync_job_ticks_total', { job: 'writeback:served_teams', outcome: 'succeeded' }) ?? 0) >= 2 && text;
      });
      const text = await metrics();
      expect(sample(text, 'dockerhub_sync_writeback_records_total', { job: 'served_teams', outcome: 'sent' })).toBe(3);
      expect(sample(text, 'dockerhub_sync_writeback_records_total', { job: 'served_teams', outcome: 'unchanged' })).toBeGreaterThanOrEqual(3);
      expect(sample(text, 'dockerhub_sync_writeback_calls_total', { job: 'served_teams' })).toBe(3);
      expect(emulator.requests.writes.filter((e) => e.route === 'groups.create')).toHaveLength(3);
    } finally {
      child.kill('SIGTERM');
    }
    const result = await exited;
    expect(result.code, result.stderr.slice(-2000)).toBe(0);
    const check = await target.open();
    try {
      const states = rowsOf<{ state: string; n: number }>(await check.db.execute(sql`SELECT state, count(*)::int AS n FROM dockerhub.writeback_intents GROUP BY state`));
      expect(states).toEqual([{ state: 'succeeded', n: 3 }]);
    } finally {
      await check.close();
    }
  });
});
