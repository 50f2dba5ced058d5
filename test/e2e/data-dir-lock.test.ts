import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseEnv, runCli, type CliResult } from '../support/cli.js';
import { migratedDataDir } from '../support/db.js';
import { waitFor } from '../support/wait.js';

/**
 * One writer per embedded database across containers: each CLI process below runs in a PID
 * namespace of its own (`unshare --pid --fork`), so each is pid 1 there, exactly as the entry
 * process of every container is. A pid can tell them apart no better than it can two containers.
 */

// --kill-child: should the test die, the CLI dies with unshare.
const UNSHARE = ['unshare', '--pid', '--fork', '--kill-child'];
const LOCK = 'dockerhub-sync.lock';

function unshareWorks(): string | undefined {
  try {
    const pid = execFileSync(UNSHARE[0]!, [...UNSHARE.slice(1), 'sh', '-c', 'echo $$'], { encoding: 'utf8', timeout: 30_000 }).trim();
    return pid === '1' ? undefined : `unshare gave pid ${pid}, not 1`;
  } catch (error) {
    return (error as Error).message;
  }
}

interface Holder {
  /** The unshare process (it ignores SIGTERM and waits for its child). */
  child: ChildProcess;
  /** The CLI, unshare's only child: pid 1 in its namespace, this pid in ours. Signals go here. */
  cliPid: number;
  exited: Promise<CliResult>;
  url: string;
  output: () => string;
}

async function holdWithDbServe(env: NodeJS.ProcessEnv): Promise<Holder> {
  let child!: ChildProcess;
  let output = '';
  const exited = runCli(['db', 'serve', '--port', '0'], {
    env,
    wrap: UNSHARE,
    onSpawn: (spawned) => {
      child = spawned;
      spawned.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      spawned.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    },
  });
  let done: CliResult | undefined;
  void exited.then((result) => (done = result));
  const url = await waitFor('db serve to print its URL or exit', async () => (done ? 'exited' : /on (postgres:\/\/\S+)/.exec(output)?.[1]));
  if (url === 'exited') throw new Error(`db serve exited with ${done?.code}: ${output}`);
  const cliPid = Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/)[0]);
  expect(cliPid).toBeGreaterThan(1);
  return { child, cliPid, exited, url, output: () => output };
}

async function count(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM pg_catalog.pg_tables WHERE schemaname = 'dockerhub'`)).rows[0]!.n);
  } finally {
    await client.end();
  }
}

const unavailable = unshareWorks();

describe.skipIf(unavailable !== undefined)(`the embedded database across PID namespaces${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(() => {
    dataDir = migratedDataDir('dhs-lock-');
    env = baseEnv({ DATA_DIR: dataDir });
  });
  afterAll(() => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses a second opener that is also pid 1, names the holder, and leaves its record and its database alone', async () => {
    const holder = await holdWithDbServe(env);
    try {
      const lockFile = path.join(dataDir, LOCK);
      const record = existsSync(lockFile) ? readFileSync(lockFile, 'utf8') : '(no lock file)';
      const before = await count(holder.url);

      // The issue's case: `docker run -v data:/data image sql ...` beside the serving container.
      for (const args of [['sql', 'SELECT count(*) FROM dockerhub.repositories'], ['migrate']]) {
        const second = await runCli(args, { env, wrap: UNSHARE });
        expect(second.code, `${args[0]}: ${second.stdout}${second.stderr}`).toBe(1);
        expect(second.stderr).toContain(`The embedded database in ${dataDir} is in use by another dockerhub-sync process`);
        expect(second.stderr).toMatch(/db serve`, pid 1 in another PID namespace on this machine \(another container\), host name \S+, started \d{4}-/);
        // Neither deleted nor rewritten by the process that was refused.
        expect(existsSync(lockFile) ? readFileSync(lockFile, 'utf8') : '(no lock file)', args[0]).toBe(record);
      }
      // `docker exec <container> ... migrate`: in the holder's own PID namespace, where pid 1 is the holder.
      const inside = await runCli(['migrate'], { env, wrap: ['nsenter', `--target=${holder.cliPid}`, '--pid'] });
      expect(inside.code, `${inside.stdout}${inside.stderr}`).toBe(1);
      expect(inside.stderr).toMatch(/is in use by another dockerhub-sync process: `\S+ db serve`, pid 1 on this machine, started /);
      expect(JSON.parse(record)).toMatchObject({ pid: 1, command: expect.stringMatching(/ db serve$/) });
      // The holder still serves the same database.
      expect(await count(holder.url)).toBe(before);
    } finally {
      process.kill(holder.cliPid, 'SIGTERM');
    }
    const stopped = await holder.exited;
    expect(stopped.code, holder.output()).toBe(0);
    // A clean stop clears the record (the file stays: nobody deletes a lock file).
    expect(readFileSync(path.join(dataDir, LOCK), 'utf8')).toBe('');
  });

  it('after the holder is killed (SIGKILL), the next opener gets the database: the kernel released the lock', async () => {
    const holder = await holdWithDbServe(env);
    process.kill(holder.cliPid, 'SIGKILL');
    // unshare exits once its child has died and been reaped: the kernel has closed its files.
    const killed = await holder.exited;
    expect(killed.code ?? killed.signal).not.toBe(0);

    // From the host's PID namespace, where pid 1 is alive (it is init): a pid file would say "held".
    const next = await runCli(['sql', '--csv', `SELECT count(*) AS n FROM pg_catalog.pg_tables WHERE schemaname = 'dockerhub'`], { env: { ...env, LOG_LEVEL: 'warn' } });
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toMatch(/^n\n[1-9]\d*\n$/);
    // It says whose lock it found abandoned.
    expect(next.stderr).toMatch(/last held by `\S+ db serve`, pid 1 in another PID namespace on this machine .* ended without closing it/);
    // And it cleared the dead holder's record on its own clean close.
    expect(readFileSync(path.join(dataDir, LOCK), 'utf8')).toBe('');
  });
});
