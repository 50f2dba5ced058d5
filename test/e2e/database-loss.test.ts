import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { openDatabase, rowsOf, type Database } from '../../src/db/client.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { baseEnv, runCli, type CliResult } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { syncEnv } from '../support/emulator.js';
import { silentServer, tcpProxy, freePort } from '../support/tcp.js';

/**
 * The database goes away under the real CLI: a host that never answers, backends killed by the
 * server in the middle of a pass (a restart or failover looks the same from the client).
 */

const postgres = inject('dbBackend') !== 'pglite';

describe('a database host that accepts TCP and never answers', () => {
  let silent: Awaited<ReturnType<typeof silentServer>>;
  beforeAll(async () => {
    silent = await silentServer();
  });
  afterAll(async () => {
    await silent?.close();
  });

  it.each([['status'], ['sync'], ['serve']])('%s exits 1 with one line naming DATABASE_CONNECT_TIMEOUT', async (command) => {
    const env = baseEnv({
      DATABASE_URL: `postgres://postgres:secret-pw@127.0.0.1:${silent.port}/nothing`,
      DATABASE_CONNECT_TIMEOUT: '500ms',
      DOCKERHUB_NAMESPACES: 'acme',
      LOG_LEVEL: 'silent',
      PORT: '0',
    });
    const result = await runCli([command], { env, timeoutMs: 30_000 });
    expect(result.signal).toBeNull();
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`127.0.0.1:${silent.port}`);
    expect(lines[0]).toContain('did not answer within 500 ms (DATABASE_CONNECT_TIMEOUT)');
    expect(result.stderr).not.toContain('secret-pw');
  }, 40_000);
});

describe.runIf(postgres)('backends killed in the middle of a pass', () => {
  let emulator: RunningEmulator;
  let target: TestDatabase;
  let admin: Database;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, seed: 7, scale: 1, rateLimitPerMinute: null });
    target = await createTestDatabase();
    // Its own application name, so killing the sync's backends spares it.
    admin = await openDatabase({ url: target.url!, applicationName: 'dockerhub-sync-test-admin' });
  });
  afterAll(async () => {
    await admin?.close();
    await emulator?.close();
    await target?.destroy();
  });

  const databaseName = () => new URL(target.url!).pathname.slice(1);

  async function killSyncBackends(): Promise<number> {
    const result = await admin.db.execute(sql`
      SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE datname = ${databaseName()} AND application_name = 'dockerhub-sync' AND pid <> pg_backend_pid()`);
    return rowsOf(result).length;
  }

  async function waitingOnLock(): Promise<number> {
    const rows = rowsOf<{ n: number }>(
      await admin.db.execute(sql`
        SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = ${databaseName()} AND application_name = 'dockerhub-sync' AND wait_event_type = 'Lock'`),
    );
    return Number(rows[0]?.n ?? 0);
  }

  async function runningSlices(): Promise<number> {
    const rows = rowsOf<{ n: number }>(
      await admin.db.execute(sql`SELECT count(*)::int AS n FROM dockerhub.sync_runs WHERE status = 'running'`),
    );
    return Number(rows[0]?.n ?? 0);
  }

  it('sync: the slice in progress fails, the process does not crash, and it exits 1 without leaving runs running', async () => {
    let child!: ChildProcess;
    let done!: ReturnType<typeof runCli>;
    // Hold the repositories table so the sync's first write waits on it: that statement and its
    // transaction's connection are in use when they die (the slice's lease is a row, not a
    // connection, so only the pool's connections are there to kill).
    await admin.db.transaction(async (tx) => {
      await tx.execute(sql`LOCK TABLE dockerhub.repositories IN EXCLUSIVE MODE`);
      done = runCli(['sync', '--only', 'repositories'], {
        env: syncEnv(emulator, target.env, { LOG_LEVEL: 'error' }),
        timeoutMs: 120_000,
        onSpawn: (spawned) => (child = spawned),
      });
      await vi.waitFor(async () => expect(await waitingOnLock()).toBeGreaterThan(0), { timeout: 60_000, interval: 50 });
      expect(await killSyncBackends()).toBeGreaterThanOrEqual(1);
    });
    const result = await done;

    expect(child.pid).toBeDefined();
    expect(result.signal).toBeNull();
    expect(result.stderr).not.toContain("Unhandled 'error' event");
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/1 slice\(s\) failed/);
    expect(await runningSlices()).toBe(0);
  }, 150_000);
});

describe.runIf(postgres)('the database going away and coming back', () => {
  let emulator: RunningEmulator;
  let target: TestDatabase;
  let admin: Database;
  let proxy: Awaited<ReturnType<typeof tcpProxy>>;
  let proxiedUrl: string;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, seed: 7, scale: 1, rateLimitPerMinute: null });
    target = await createTestDatabase();
    admin = await openDatabase({ url: target.url!, applicationName: 'dockerhub-sync-test-admin' });
    const url = new URL(target.url!);
    proxy = await tcpProxy(url.hostname, Number(url.port || 5432));
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    proxiedUrl = url.toString();
  });
  afterAll(async () => {
    await proxy?.close();
    await admin?.close();
    await emulator?.close();
    await target?.destroy();
  });

  async function runsByStatus(): Promise<Record<string, number>> {
    const rows = rowsOf<{ status: string; n: number }>(
      await admin.db.execute(sql`SELECT status, count(*)::int AS n FROM dockerhub.sync_runs GROUP BY status`),
    );
    return Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
  }

  it('sync: ends the pass with one line and exit 1; the next start marks the interrupted run aborted', async () => {
    emulator.configure({ latencyMs: 200 });
    const env = syncEnv(emulator, { DATABASE_URL: proxiedUrl }, { LOG_LEVEL: 'silent', DATABASE_CONNECT_TIMEOUT: '2s' });
    const done = runCli(['sync', '--only', 'repositories,repository_details,tags'], { env, timeoutMs: 120_000 });
    await vi.waitFor(async () => expect((await runsByStatus()).running ?? 0).toBeGreaterThan(0), { timeout: 60_000, interval: 50 });
    await proxy.down();
    const result = await done;
    emulator.configure({ latencyMs: 0 });

    expect(result.signal).toBeNull();
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^dockerhub-sync sync failed: lost the connection to the database at postgres:\/\/postgres@127\.0\.0\.1:\d+\/\S+: /);
    expect((await runsByStatus()).running).toBeGreaterThan(0);

    await proxy.up();
    const again = await runCli(['sync', '--only', 'repositories'], { env, timeoutMs: 120_000 });
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    const after = await runsByStatus();
    expect(after.running ?? 0).toBe(0);
    expect(after.aborted).toBeGreaterThan(0);
  }, 200_000);

  it('serve: survives the database going away, answers /healthz throughout, and syncs again once it is back', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dhs-dbloss-'));
    const configFile = path.join(dir, 'config.yaml');
    writeFileSync(configFile, 'schedules:\n  repositories: "*/2 * * * * *"\n');
    const port = await freePort();
    const env = syncEnv(emulator, { DATABASE_URL: proxiedUrl }, { LOG_LEVEL: 'warn', DATABASE_CONNECT_TIMEOUT: '1s', PORT: String(port) });
    let child!: ChildProcess;
    const exited = runCli(['serve', '--config', configFile], { env, timeoutMs: 170_000, onSpawn: (spawned) => (child = spawned) });
    let early: CliResult | undefined;
    void exited.then((result) => (early = result));
    const get = async (p: string) => {
      if (early) throw new Error(`serve exited with ${early.code}: ${early.stderr.slice(-3000)}`);
      return fetch(`http://127.0.0.1:${port}${p}`);
    };
    const ticks = async (outcome: string) => {
      const text = await (await get('/metrics')).text();
      const match = new RegExp(`^dockerhub_sync_job_ticks_total\\{job="repositories",outcome="${outcome}"\\} (\\d+)`, 'm').exec(text);
      return Number(match?.[1] ?? 0);
    };
    try {
      await vi.waitFor(async () => expect((await get('/healthz')).status).toBe(200), { timeout: 60_000, interval: 200 });
      await vi.waitFor(async () => expect(await ticks('succeeded')).toBeGreaterThan(0), { timeout: 90_000, interval: 200 });

      emulator.configure({ latencyMs: 200 });
      await vi.waitFor(async () => expect((await runsByStatus()).running ?? 0).toBeGreaterThan(0), { timeout: 60_000, interval: 50 });
      await proxy.down();
      await vi.waitFor(async () => expect((await ticks('error')) + (await ticks('failed'))).toBeGreaterThan(0), { timeout: 60_000, interval: 200 });
      expect((await get('/healthz')).status).toBe(200);
      expect((await get('/readyz')).status).toBe(503);
      emulator.configure({ latencyMs: 0 });

      await proxy.up();
      const before = await ticks('succeeded');
      await vi.waitFor(async () => expect(await ticks('succeeded')).toBeGreaterThan(before), { timeout: 90_000, interval: 200 });
      await vi.waitFor(async () => expect((await get('/readyz')).status).toBe(200), { timeout: 30_000, interval: 200 });
      // The run the lost connection left behind is marked as ended.
      await vi.waitFor(async () => expect((await runsByStatus()).running ?? 0).toBe(0), { timeout: 30_000, interval: 200 });
    } finally {
      emulator.configure({ latencyMs: 0 });
      child.kill('SIGTERM');
      const result = await exited;
      rmSync(dir, { recursive: true, force: true });
      expect(result.stderr).not.toContain("Unhandled 'error' event");
      expect(result.code).toBe(0);
    }
  }, 300_000);
});
