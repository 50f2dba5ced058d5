/**
 * Memory of a pull-usage report's load: the real CLI (`sync --only pull_usage_reports,pull_usage`)
 * in its own process loads one large daily report (every repository × tag of a day, made by the
 * emulator's bulk hook) from the emulator's object-storage stand-in. Peak RSS is the kernel's
 * high-water mark (VmHWM); the heap is sampled inside the child (bench/heap-probe.ts), in use and
 * live (after a full collection). The
 * emulator runs in the benchmark's process, so the report's making is not counted. A report ten
 * times larger should need about the same memory: the file streams through the CSV parser into
 * the database a few hundred rows at a time.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { openDatabase, rowsOf } from '../src/db/client.js';
import { startEmulator } from '../src/emulator/index.js';
import { benchChildEnv } from './env.js';
import { dropSchemas, peakRssKb, stop } from './memory.js';

export interface UsageMemoryFigures {
  /** Rows of the large report (repositories × tags). */
  reportRows: number;
  reportBytes: number;
  /** Rows in pull_usage after the sync (the large report and the week of seeded history). */
  rowsLoaded: number;
  seconds: number;
  peakRssMb: number;
  /** Heap in use, garbage included (V8 collects lazily). */
  peakHeapMb: number;
  /** Heap in use right after a full collection: what the process holds. */
  peakLiveHeapMb: number;
  database: 'postgres' | 'pglite';
}

const DAY = 86_400_000;
const cli = new URL('../src/cli.ts', import.meta.url).pathname;
const probe = new URL('./heap-probe.ts', import.meta.url).pathname;

async function rowsIn(databaseUrl: string | undefined, dataDir: string | undefined): Promise<number> {
  const database = databaseUrl ? await openDatabase({ url: databaseUrl }) : await openDatabase({ dataDir: dataDir! });
  try {
    return rowsOf<{ n: number }>(await database.db.execute(sql`SELECT count(*)::int AS n FROM dockerhub.pull_usage`))[0]?.n ?? 0;
  } finally {
    await database.close();
  }
}

export async function measureUsageMemory(input: {
  seed: number;
  repositories: number;
  tags: number;
  databaseUrl: string | undefined;
  /** The child's V8 old-space limit (--max-old-space-size), to show the load fits a small heap. */
  heapLimitMb?: number;
}): Promise<UsageMemoryFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'dockerhub-sync-usage-bench-'));
  const dataDir = input.databaseUrl ? undefined : join(dir, 'data');
  if (input.databaseUrl) await dropSchemas(input.databaseUrl);
  const today = Math.floor(Date.now() / DAY) * DAY;
  const emulator = await startEmulator({ seed: input.seed, scale: 1, epochMs: today });
  try {
    const oat = emulator.credentials.oat[0];
    if (!oat) throw new Error('the emulator has no organization');
    const date = new Date(today - DAY).toISOString().slice(0, 10);
    emulator.state.usage.withoutWeekly.add(oat.org);
    emulator.state.usage.bulk(oat.org, { date, repositories: input.repositories, tags: input.tags, seed: `bench-${input.seed}` });
    const reportBytes = Buffer.byteLength(emulator.state.usage.csv(oat.org, 'daily', date));
    const configFile = join(dir, 'config.yaml');
    writeFileSync(configFile, ['hub:', '  credentials:', `    - { username: ${oat.org}, kind: oat, secretEnv: BENCH_OAT }`, ''].join('\n'));
    const heapFile = join(dir, 'heap');
    const started = performance.now();
    const limit = input.heapLimitMb ? [`--max-old-space-size=${input.heapLimitMb}`] : [];
    const sync = spawn(process.execPath, [...limit, '--expose-gc', '--import', 'tsx', '--import', probe, cli, 'sync', '--only', 'pull_usage_reports,pull_usage', '--config', configFile], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: benchChildEnv({
        DOCKERHUB_API_URL: emulator.url,
        BENCH_OAT: oat.token,
        BENCH_HEAP_FILE: heapFile,
        ...(input.databaseUrl ? { DATABASE_URL: input.databaseUrl } : { DATA_DIR: dataDir! }),
        LOG_LEVEL: 'warn',
      }),
    });
    let stderr = '';
    sync.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    let peakKb = 0;
    const sampler = setInterval(() => (peakKb = Math.max(peakKb, peakRssKb(sync.pid!) ?? 0)), 50);
    const code = await new Promise<number | null>((resolve) => sync.once('exit', (c) => resolve(c)));
    clearInterval(sampler);
    await stop(sync);
    if (code !== 0) throw new Error(`sync exited ${code}: ${stderr}`);
    const seconds = (performance.now() - started) / 1000;
    const [heap = 0, live = 0] = readFileSync(heapFile, 'utf8').split(' ').map(Number);
    return {
      reportRows: input.repositories * input.tags,
      reportBytes,
      rowsLoaded: await rowsIn(input.databaseUrl, dataDir),
      seconds,
      peakRssMb: peakKb / 1024,
      peakHeapMb: heap / 1024 / 1024,
      peakLiveHeapMb: live / 1024 / 1024,
      database: input.databaseUrl ? 'postgres' : 'pglite',
    };
  } finally {
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
