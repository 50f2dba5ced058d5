import { execFile, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../src/db/data-dir-lock.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { ROOT, runCli, type CliResult } from '../support/cli.js';
import { migratedDataDir } from '../support/db.js';
import { syncEnv } from '../support/emulator.js';
import { freePort } from '../support/tcp.js';

/**
 * The embedded database on a Postgres port, read by the real psql: `db serve`, and `serve`
 * with SQL_PORT while its sync writes. The queries are the example lines of docs/operations.md.
 */

const PSQL = '/usr/bin/psql';

/** The psql command lines between the sql-examples markers of docs/operations.md: [url, query] each. */
function docExamples(): string[] {
  const doc = readFileSync(path.join(ROOT, 'docs/operations.md'), 'utf8');
  const block = /<!-- sql-examples[^>]*-->([\s\S]*?)<!-- \/sql-examples -->/.exec(doc)?.[1] ?? '';
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

/** Byte sequences outside the Postgres protocol: seeded random bytes, and broken messages after a valid startup. */
function hostileBytes(seed: number): [string, Buffer][] {
  let state = seed || 1;
  const random = Buffer.alloc(4096);
  for (let i = 0; i < random.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    random[i] = state & 0xff;
  }
  const body = Buffer.from('\0\x03\0\0user\0postgres\0database\0postgres\0\0', 'latin1');
  const startup = Buffer.concat([Buffer.from([0, 0, 0, body.length + 4]), body]);
  const unknownType = Buffer.from([0x5a, 0, 0, 0, 7, 0x61, 0x62, 0x63]);
  const negativeLength = Buffer.from([0x51, 0xff, 0xff, 0xff, 0xfb, 0x53, 0x45, 0x4c, 0x00]);
  return [
    ['4 KB of random bytes', random],
    ['a startup packet, then an unknown message type', Buffer.concat([startup, unknownType])],
    ['a startup packet, then a message with a negative length', Buffer.concat([startup, negativeLength])],
  ];
}

/** Send `bytes` on a new connection; true once the server has closed it. */
function sendAndWaitForClose(port: number, bytes: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    socket.on('data', () => undefined); // read what comes back, so the close is seen
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(true));
    setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, 60_000).unref();
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
    dataDir = migratedDataDir('dhs-sqlport-');
  }, 600_000);
  afterAll(async () => {
    await emulator?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('db serve: psql runs the documented queries; sql goes through the port; the endpoint goes away on SIGTERM', async () => {
    const env = syncEnv(emulator, { DATA_DIR: dataDir });
    const synced = await runCli(['sync'], { env, timeoutMs: 400_000 });
    expect(synced.code, synced.stderr).toBe(0);

    const server = start(['db', 'serve', '--port', '0'], env);
    try {
      const url = await waitFor('the connection string', () => /on (postgres:\/\/\S+)/.exec(server.output())?.[1], server);
      expect(url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
      expect(server.output()).toContain(`psql ${url} -c "`);

      for (const query of docExamples()) {
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
    // A clean stop clears the holder record of the data directory's lock (the file stays).
    expect(readFileSync(path.join(dataDir, LOCK_FILE), 'utf8')).toBe('');
  }, 600_000);

  it('serve with SQL_PORT: psql reads while the sync writes, including inside a transaction', async () => {
    const dir = migratedDataDir('dhs-sqlport-serve-');
    const config = path.join(dir, 'config.yaml');
    writeFileSync(config, 'schedules:\n  repositories: "*/2 * * * * *"\n  organization: "*/3 * * * * *"\n');
    const sqlPort = await freePort();
    // Slow Hub responses keep runs (and their transactions) open while psql reads.
    emulator.configure({ latencyMs: 40 });
    const service = start(['serve', '--config', config], syncEnv(emulator, { DATA_DIR: dir }, { SQL_PORT: String(sqlPort), PORT: String(await freePort()), LOG_LEVEL: 'info' }));
    const url = `postgres://postgres@127.0.0.1:${sqlPort}/postgres`;
    try {
      await waitFor('the SQL port in the log', () => (service.output().includes(url) ? true : undefined), service);
      const queries = docExamples();
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
  it('serve with SQL_PORT: bad bytes, idle connections and session changes stop no sync tick; SIGTERM still works', async () => {
    const dir = migratedDataDir('dhs-sqlport-hostile-');
    const config = path.join(dir, 'config.yaml');
    writeFileSync(config, 'schedules:\n  repositories: "*/2 * * * * *"\n');
    const sqlPort = await freePort();
    const httpPort = await freePort();
    const env = syncEnv(emulator, { DATA_DIR: dir }, { SQL_PORT: String(sqlPort), PORT: String(httpPort), LOG_LEVEL: 'info' });
    const service = start(['serve', '--config', config], env);
    const url = `postgres://postgres@127.0.0.1:${sqlPort}/postgres`;
    const seed = Number(process.env.SQL_PORT_SEED ?? Date.now() % 1_000_000);
    const sockets: Socket[] = [];
    try {
      await waitFor('the SQL port in the log', () => (service.output().includes(url) ? true : undefined), service, 300_000);
      await waitFor('a first repositories run', async () => {
        const done = await psql(url, ['-At', '-c', "SELECT count(*) FROM dockerhub.sync_runs WHERE endpoint = 'repositories' AND status = 'succeeded'"]);
        return Number(done.stdout.trim()) > 0 ? true : undefined;
      }, service, 300_000);

      // Bytes that are not the protocol (seeded; the seed is in every failure message).
      for (const [what, bytes] of hostileBytes(seed)) {
        const closed = await sendAndWaitForClose(sqlPort, bytes);
        const log = service.output().split('\n').filter((line) => line.includes('SQL'));
        expect(closed, `${what} (seed ${seed})\n${log.slice(-20).join('\n')}`).toBe(true);
      }
      // More idle connections than the port serves: they are dropped before they lock anyone out.
      for (let i = 0; i < 25; i++) sockets.push(connect(sqlPort, '127.0.0.1').on('error', () => undefined));
      await waitFor(
        'a client to get in past the idle connections',
        async () => ((await psql(url, ['-At', '-c', 'SELECT 1'])).code === 0 ? true : undefined),
        service,
        120_000,
      );
      // Session changes through `sql` (which goes through the port) and through psql.
      for (const query of [
        "SELECT set_config('default_transaction_read_only', 'on', false)",
        'SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY',
        'SELECT pg_advisory_lock(77)',
      ]) {
        const viaSql = await runCli(['sql', query], { env });
        expect(viaSql.code, `${query}: ${viaSql.stderr}`).toBe(0);
      }
      const viaPsql = await psql(url, ['-c', "SELECT set_config('default_transaction_read_only', 'on', false)", '-c', 'SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY']);
      expect(viaPsql.code, viaPsql.stderr).toBe(0);

      // The next ticks write as before, and the HTTP server answers.
      const since = (await psql(url, ['-At', '-c', "SELECT now()"])).stdout.trim();
      await waitFor('a repositories run that started after all of it to succeed', async () => {
        const done = await psql(url, ['-At', '-c', `SELECT count(*) FROM dockerhub.sync_runs WHERE endpoint = 'repositories' AND status = 'succeeded' AND started_at > '${since}'`]);
        expect(done.code, done.stderr).toBe(0);
        return Number(done.stdout.trim()) > 0 ? true : undefined;
      }, service, 150_000);
      const failed = await psql(url, ['-At', '-c', `SELECT count(*) FROM dockerhub.sync_runs WHERE status = 'failed' AND started_at > '${since}'`]);
      expect(failed.stdout.trim(), service.output().slice(-3000)).toBe('0');
      const locks = await psql(url, ['-At', '-c', "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"]);
      expect(locks.stdout.trim()).toBe('0');
      expect((await fetch(`http://127.0.0.1:${httpPort}/healthz`)).status).toBe(200);
    } finally {
      for (const socket of sockets) socket.destroy();
      service.child.kill('SIGTERM');
    }
    const result = await service.exited;
    expect(result.code, result.stderr.slice(-2000)).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  }, 600_000);
});
