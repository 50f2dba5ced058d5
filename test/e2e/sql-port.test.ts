import { execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { ROOT, runCli, type CliResult } from '../support/cli.js';
import { syncEnv } from '../support/emulator.js';
import { freePort } from '../support/tcp.js';

/**
 * The embedded database on a Postgres port, read by the real psql: `db serve`, and `serve`
 * with SQL_PORT while its sync writes. The queries are the README's own example lines.
 */

const PSQL = '/usr/bin/psql';

/** The psql command lines between the README's sql-examples markers: [url, query] each. */
function readmeExamples(): string[] {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const block = /<!-- sql-examples[^>]*-->([\s\S]*?)<!-- \/sql-examples -->/.exec(readme)?.[1] ?? '';
  const queries = [...block.matchAll(/^psql postgres:\/\/\S+ -c "(.*)"$/gm)].map((m) => m[1]!);
  expect(queries.length).toBeGreaterThanOrEqual(3);
  return queries;
}

function psql(url: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(PSQL, [url, '-v', 'ON_ERROR_STOP=1', ...args], { env: { PATH: process.env.PATH, PGCONNECT_TIMEOUT: '10' }, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

interface Running {
  child: ChildProcess;
  exited: Promise<CliResult>;
  output: () => string;
}

function start(args: string[], env: NodeJS.ProcessEnv): Running {
  let child!: ChildProcess;
  let output = '';
  const exited = runCli(args, {
    env,
    timeoutMs: 500_000,
    onSpawn: (spawned) => {
      child = spawned;
      spawned.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      spawned.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    },
  });
  return { child, exited, output: () => output };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, running: Running, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let done: CliResult | undefined;
  void running.exited.then((result) => (done = result));
  while (Date.now() < deadline) {
    if (done) throw new Error(`exited with ${done.code} while waiting for ${what}:\n${running.output().slice(-3000)}`);
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}:\n${running.output().slice(-3000)}`);
}

describe('the embedded database over the Postgres protocol', () => {
  let emulator: RunningEmulator;
  let dataDir: string;

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, seed: 7, rateLimitPerMinute: null });
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'dhs-sqlport-'));
  }, 600_000);
  afterAll(async () => {
    await emulator?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('db serve: psql runs the README queries; sql goes through the port; the endpoint goes away on SIGTERM', async () => {
    const env = syncEnv(emulator, { DATA_DIR: dataDir });
    const synced = await runCli(['sync'], { env, timeoutMs: 400_000 });
    expect(synced.code, synced.stderr).toBe(0);

    const server = start(['db', 'serve', '--port', '0'], env);
    try {
      const url = await waitFor('the connection string', () => /on (postgres:\/\/\S+)/.exec(server.output())?.[1], server);
      expect(url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
      expect(server.output()).toContain(`psql ${url} -c "`);

      for (const query of readmeExamples()) {
        const result = await psql(url, ['-c', query]);
        expect(result.code, `${query}\n${result.stderr}`).toBe(0);
        expect(result.stdout).toMatch(/\(\d+ rows?\)/);
      }
      const count = await psql(url, ['-At', '-c', 'SELECT count(*) FROM dockerhub.repositories']);
      expect(Number(count.stdout.trim())).toBe(Object.values(emulator.snapshot({ tags: false }).repositories).flat().length);

      // Two clients at once, one inside a transaction: each sees its own session through.
      const [inTransaction, other] = await Promise.all([
        psql(url, ['-At', '-c', 'BEGIN', '-c', 'SELECT count(*) FROM dockerhub.tags', '-c', 'COMMIT']),
        psql(url, ['-At', '-c', 'SELECT count(*) FROM dockerhub.tag_images']),
      ]);
      expect(inTransaction.code, inTransaction.stderr).toBe(0);
      expect(other.code, other.stderr).toBe(0);

      // The embedded database is held; `sql` answers through the port instead of failing.
      const viaPort = await runCli(['sql', '--csv', 'SELECT count(*) AS n FROM dockerhub.repositories'], { env });
      expect(viaPort.code, viaPort.stderr).toBe(0);
      expect(viaPort.stdout).toBe(`n\n${count.stdout.trim()}\n`);
      const refused = await runCli(['sql', 'DELETE FROM dockerhub.repositories'], { env });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('read-only transaction');
      const dump = await runCli(['db', 'dump'], { env });
      expect(dump.code).toBe(1);
      expect(dump.stderr).toContain(url);
    } finally {
      server.child.kill('SIGTERM');
    }
    const result = await server.exited;
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(path.join(dataDir, 'dockerhub-sync.sql-endpoint'))).toBe(false);
    expect(existsSync(path.join(dataDir, 'dockerhub-sync.pid'))).toBe(false);
  }, 600_000);

  it('serve with SQL_PORT: psql reads while the sync writes, including inside a transaction', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dhs-sqlport-serve-'));
    const config = path.join(dir, 'config.yaml');
    writeFileSync(config, 'schedules:\n  repositories: "*/2 * * * * *"\n  organization: "*/3 * * * * *"\n');
    const sqlPort = await freePort();
    // Slow Hub responses keep runs (and their transactions) open while psql reads.
    emulator.configure({ latencyMs: 40 });
    const service = start(['serve', '--config', config], syncEnv(emulator, { DATA_DIR: dir }, { SQL_PORT: String(sqlPort), PORT: String(await freePort()), LOG_LEVEL: 'info' }));
    const url = `postgres://postgres@127.0.0.1:${sqlPort}/postgres`;
    try {
      await waitFor('the SQL port in the log', () => (service.output().includes(url) ? true : undefined), service);
      const queries = readmeExamples();
      let duringRun = 0;
      let rounds = 0;
      // Query until a repositories run has finished and several queries overlapped a running one.
      await waitFor(
        'queries during a running sync and a finished repositories run',
        async () => {
          rounds++;
          const running = await psql(url, ['-At', '-c', "SELECT count(*) FROM dockerhub.sync_runs WHERE status = 'running'"]);
          expect(running.code, running.stderr).toBe(0);
          const overlapping = Number(running.stdout.trim()) > 0;
          for (const query of queries) {
            const result = await psql(url, ['-c', query]);
            expect(result.code, `${query}\n${result.stderr}`).toBe(0);
          }
          const tx = await psql(url, ['-At', '-c', 'BEGIN', '-c', 'SELECT count(*) FROM dockerhub.repositories', '-c', 'SELECT count(*) FROM dockerhub.tags', '-c', 'COMMIT']);
          expect(tx.code, tx.stderr).toBe(0);
          if (overlapping) duringRun++;
          const done = await psql(url, ['-At', '-c', "SELECT count(*) FROM dockerhub.sync_runs WHERE endpoint = 'tags' AND status = 'succeeded'"]);
          return duringRun >= 3 && Number(done.stdout.trim()) > 0 ? true : undefined;
        },
        service,
        150_000,
      );
      expect(rounds).toBeGreaterThanOrEqual(3);
      expect(service.output()).not.toMatch(/"level":(50|60)/);
    } finally {
      emulator.configure({ latencyMs: 0 });
      service.child.kill('SIGTERM');
    }
    const result = await service.exited;
    expect(result.code, result.stderr.slice(-2000)).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  }, 600_000);
});
