/**
 * A first look at the numbers DESIGN.md sets targets for (the full benchmark suite comes later):
 * a first sync and an unchanged second sync of an emulated account, with requests, time, rows
 * written per second and peak memory. Prints a report; asserts nothing.
 *
 *   npm run bench -- --scale 10                       # embedded PGlite in memory
 *   BENCH_DATABASE_URL=postgres://… npm run bench -- --scale 25
 */
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';
import { migrateDatabase } from '../src/db/migrate.js';
import { rowsOf } from '../src/db/client.js';
import { createLogger } from '../src/logger.js';
import { startEmulator } from '../src/emulator/index.js';
import { hubClientFromConfig } from '../src/commands/hub.js';
import { renderTable } from '../src/format.js';
import { runSync, type SyncSummary } from '../src/sync/runner.js';

const { values } = parseArgs({ options: { scale: { type: 'string', default: '5' }, seed: { type: 'string', default: '1' } } });
const scale = Number(values.scale);
const logger = createLogger({ level: 'warn', pretty: false });
let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);

const emulator = await startEmulator({ seed: Number(values.seed), scale, epochMs: Date.now() });
const { credentials } = emulator;
const url = process.env.BENCH_DATABASE_URL;
const database = url ? await openDatabase({ url }) : await openDatabase({ memory: true });
if (url) await database.db.execute(sql`DROP SCHEMA IF EXISTS dockerhub CASCADE`).then(() => database.db.execute(sql`DROP SCHEMA IF EXISTS drizzle CASCADE`));
await migrateDatabase(database);
const config = loadConfig({
  env: {},
  overrides: {
    'hub.apiUrl': emulator.url,
    'hub.username': credentials.username,
    'hub.password': credentials.password,
    namespaces: [credentials.username, ...credentials.oat.map((o) => o.org)],
    logLevel: 'warn',
  },
});
const client = hubClientFromConfig(config, logger);

async function pass(label: string): Promise<string[]> {
  emulator.requests.reset();
  const started = performance.now();
  const summary: SyncSummary = await runSync({ database, client, logger, config });
  const seconds = (performance.now() - started) / 1000;
  const rows = summary.slices.reduce((n, s) => n + s.inserted + s.updated + s.deleted, 0);
  return [label, String(emulator.requests.total), seconds.toFixed(1), String(rows), (rows / seconds).toFixed(0), String(summary.failed)];
}

const first = await pass('first sync');
const second = await pass('second sync, nothing changed');
const tags = rowsOf<{ n: number }>(await database.db.execute(sql`SELECT count(*)::int AS n FROM dockerhub.tags`))[0]?.n;
clearInterval(sampler);
process.stdout.write(
  `dockerhub-sync bench: emulator scale ${scale} (${tags} tags), ${database.kind}, Node ${process.version}\n\n` +
    `${renderTable(['pass', 'requests', 'seconds', 'rows written', 'rows/s', 'failed slices'], [first, second])}\n\n` +
    `peak RSS ${(peakRss / 1024 / 1024).toFixed(0)} MB (emulator and database in the same process)\n`,
);
await client.close();
await database.close();
await emulator.close();
