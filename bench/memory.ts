/**
 * Memory: peak RSS of the real CLI (`sync --only repositories,tags`) in its own process, against
 * the emulator in another process, so neither the emulator's data nor this report is counted.
 * Peak RSS is the kernel's high-water mark (VmHWM). A run may be time-boxed: the figure then
 * covers everything that grows with the account (the complete repository list, the plan of
 * which repositories to read) and the steady state of streaming tag pages, and the report says
 * how many tags were written before the box closed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { openDatabase, rowsOf } from '../src/db/client.js';
import { benchChildEnv } from './env.js';

export interface MemoryFigures {
  scale: number;
  /** Tags the emulated account holds. */
  accountTags: number;
  /** Tags the sync wrote before it finished or the time box closed. */
  tagsWritten: number;
  complete: boolean;
  seconds: number;
  peakRssMb: number;
  database: 'postgres' | 'pglite';
}

const node = process.execPath;
const cli = new URL('../src/cli.ts', import.meta.url).pathname;

export function peakRssKb(pid: number): number | null {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

async function startEmulatorProcess(scale: number, seed: number): Promise<{ child: ChildProcess; env: Record<string, string> }> {
  const child = spawn(node, ['--import', 'tsx', cli, 'emulator', '--port', '0', '--scale', String(scale), '--seed', String(seed), '--rate-limit', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: benchChildEnv({ LOG_LEVEL: 'warn' }),
  });
  let out = '';
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`emulator exited ${code}: ${out}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = /DOCKERHUB_API_URL=(\S+) DOCKERHUB_USERNAME=(\S+) DOCKERHUB_PASSWORD=(\S+)[\s\\]+DOCKERHUB_NAMESPACES=(\S+)/.exec(out);
      if (line) {
        child.removeAllListeners('exit');
        resolve({
          child,
          env: { DOCKERHUB_API_URL: line[1]!, DOCKERHUB_USERNAME: line[2]!, DOCKERHUB_PASSWORD: line[3]!, DOCKERHUB_NAMESPACES: line[4]! },
        });
      }
    });
  });
}

/** An empty Postgres for a measured sync: our schema and drizzle's migration records dropped. */
export async function dropSchemas(url: string): Promise<void> {
  const database = await openDatabase({ url });
  try {
    await database.db.execute(sql`DROP SCHEMA IF EXISTS dockerhub CASCADE`);
    await database.db.execute(sql`DROP SCHEMA IF EXISTS drizzle CASCADE`);
  } finally {
    await database.close();
  }
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

export async function measureMemory(input: {
  scale: number;
  seed: number;
  accountTags: number;
  databaseUrl: string | undefined;
  timeBoxSeconds: number;
}): Promise<MemoryFigures> {
  const dataDir = input.databaseUrl ? undefined : mkdtempSync(join(tmpdir(), 'dockerhub-sync-bench-'));
  if (input.databaseUrl) await dropSchemas(input.databaseUrl);
  const emulator = await startEmulatorProcess(input.scale, input.seed);
  let peakKb = 0;
  let complete = false;
  const started = performance.now();
  try {
    const sync = spawn(node, ['--import', 'tsx', cli, 'sync', '--only', 'repositories,tags'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: benchChildEnv({
        ...emulator.env,
        ...(input.databaseUrl ? { DATABASE_URL: input.databaseUrl } : { DATA_DIR: dataDir! }),
        LOG_LEVEL: 'warn',
      }),
    });
    let stderr = '';
    sync.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    const exited = new Promise<number | null>((resolve) => sync.once('exit', (code) => resolve(code)));
    const sampler = setInterval(() => (peakKb = Math.max(peakKb, peakRssKb(sync.pid!) ?? 0)), 100);
    let boxed = false;
    const box = setTimeout(() => {
      peakKb = Math.max(peakKb, peakRssKb(sync.pid!) ?? 0);
      boxed = true;
      void stop(sync);
    }, input.timeBoxSeconds * 1000);
    const code = await exited;
    clearInterval(sampler);
    clearTimeout(box);
    // Stopped by the box, the sync exits cleanly after its current page: not a complete pass.
    complete = code === 0 && !boxed;
    if (!boxed && code !== 0) {
      throw new Error(`sync exited ${code}: ${stderr}`);
    }
  } finally {
    await stop(emulator.child);
  }
  const seconds = (performance.now() - started) / 1000;
  const database = input.databaseUrl ? await openDatabase({ url: input.databaseUrl }) : await openDatabase({ dataDir: dataDir! });
  let tagsWritten = 0;
  try {
    tagsWritten = rowsOf<{ n: number }>(await database.db.execute(sql`SELECT count(*)::int AS n FROM dockerhub.tags`))[0]?.n ?? 0;
  } finally {
    await database.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
  return {
    scale: input.scale,
    accountTags: input.accountTags,
    tagsWritten,
    complete,
    seconds,
    peakRssMb: peakKb / 1024,
    database: input.databaseUrl ? 'postgres' : 'pglite',
  };
}
