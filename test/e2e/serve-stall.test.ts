import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { runCli, type CliResult } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { syncEnv } from '../support/emulator.js';
import { freePort } from '../support/tcp.js';

/** `serve` reports a tick that makes no progress, and recovers once pages flow again. */

describe('serve: a stalled tick', () => {
  let emulator: RunningEmulator;
  let target: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, seed: 7, scale: 1, rateLimitPerMinute: null });
    target = await createTestDatabase();
    dir = mkdtempSync(path.join(os.tmpdir(), 'dhs-stall-'));
  });
  afterAll(async () => {
    await emulator?.close();
    await target?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('/readyz answers 503 naming the job while no page finishes within READYZ_STALL_LIMIT', async () => {
    const configFile = path.join(dir, 'config.yaml');
    writeFileSync(configFile, 'schedules:\n  repositories: "*/2 * * * * *"\n');
    const port = await freePort();
    // Every Hub answer takes far longer than the stall limit: no page can finish in time.
    emulator.configure({ latencyMs: 8_000 });
    const env = syncEnv(emulator, target.env, { LOG_LEVEL: 'warn', PORT: String(port), READYZ_STALL_LIMIT: '2s', DOCKERHUB_TIMEOUT: '60s' });
    let child!: ChildProcess;
    const exited = runCli(['serve', '--config', configFile], { env, timeoutMs: 170_000, onSpawn: (spawned) => (child = spawned) });
    let early: CliResult | undefined;
    void exited.then((result) => (early = result));
    const readyz = async () => {
      if (early) throw new Error(`serve exited with ${early.code}: ${early.stderr.slice(-3000)}`);
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      return { status: res.status, body: (await res.json()) as { problems: string[]; jobs: { name: string; status: string }[] } };
    };
    try {
      const stalled = await vi.waitFor(
        async () => {
          const answer = await readyz();
          expect(answer.status).toBe(503);
          expect(answer.body.jobs.find((job) => job.name === 'repositories')?.status).toBe('stalled');
          return answer;
        },
        { timeout: 90_000, interval: 250 },
      );
      expect(stalled.body.problems.join('\n')).toMatch(/job repositories .* finished no page for .*READYZ_STALL_LIMIT/);

      emulator.configure({ latencyMs: 0 });
      await vi.waitFor(async () => expect((await readyz()).status).toBe(200), { timeout: 90_000, interval: 250 });
    } finally {
      emulator.configure({ latencyMs: 0 });
      child.kill('SIGTERM');
      const result = await exited;
      expect(result.code).toBe(0);
    }
  }, 200_000);
});
