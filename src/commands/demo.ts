import path from 'node:path';
import { sql } from 'drizzle-orm';
import { buildRegistry } from '../custom/registry.js';
import { loadCommandConfig } from './config-check.js';
import { openDatabase, rowsOf, type Database } from '../db/client.js';
import { migrateDatabase } from '../db/migrate.js';
import { tableCounts } from '../db/status.js';
import { renderTable } from '../format.js';
import { runSync, type SyncSummary } from '../sync/runner.js';
import { terminalProgress } from '../sync/progress.js';
import type { CommandContext } from './context.js';
import { emulatorOptionsFromFlags } from './emulator.js';
import { hubClientFromConfig, hubClientsFromConfig } from './hub.js';
import { renderSummary } from './sync.js';

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** Questions the demo answers from the freshly synced tables. */
export const DEMO_QUERIES: { title: string; sql: string }[] = [
  {
    title: 'Most pulled repositories',
    sql: `SELECT namespace || '/' || name AS repository, pull_count, is_private
FROM dockerhub.repositories WHERE deleted_at IS NULL
ORDER BY pull_count DESC NULLS LAST LIMIT 5`,
  },
  {
    title: 'Tags nobody pulled in 90 days, per namespace',
    sql: `SELECT namespace, count(*) AS stale_tags, pg_size_pretty(sum(full_size)) AS size
FROM dockerhub.tags
WHERE deleted_at IS NULL AND (tag_last_pulled IS NULL OR tag_last_pulled < now() - interval '90 days')
GROUP BY namespace ORDER BY stale_tags DESC`,
  },
  {
    title: 'Who did what in the audit log (top actors and actions)',
    sql: `SELECT account, actor, action, count(*) AS events, max(timestamp) AS last_seen
FROM dockerhub.audit_logs GROUP BY account, actor, action
ORDER BY events DESC LIMIT 5`,
  },
  {
    title: 'Pulls per tag over the last week (pull-usage reports)',
    sql: `SELECT repository || ':' || tag AS image, sum(pulls) AS pulls, min(day) AS since
FROM dockerhub.pulls_daily WHERE day > current_date - 7
GROUP BY 1 ORDER BY pulls DESC LIMIT 5`,
  },
];

/** The endpoints read with the organizations' access tokens: the Enterprise Data API takes no password. */
const DATA_API_ENDPOINTS = ['pull_usage_reports', 'pull_usage'];

type Emulator = Awaited<ReturnType<typeof import('../emulator/index.js').startEmulator>>;

/**
 * The pull-usage reports, as a user configures them: each organization with its own organization
 * access token (hub.credentials, kind: oat), secrets from the environment given to the config.
 */
async function syncPullUsage(ctx: CommandContext, emulator: Emulator, overrides: Record<string, unknown>, database: Database): Promise<SyncSummary> {
  const oats = emulator.credentials.oat;
  const env = Object.fromEntries(oats.map((oat, i) => [`DEMO_OAT_${i}`, oat.token]));
  const config = loadCommandConfig({
    env,
    overrides: {
      ...overrides,
      namespaces: oats.map((oat) => oat.org),
      'hub.credentials': oats.map((oat, i) => ({ username: oat.org, kind: 'oat', secretEnv: `DEMO_OAT_${i}` })),
    },
  });
  const clients = hubClientsFromConfig(config, env, ctx.logger);
  try {
    return await runSync({ database, client: clients.fallback.client, clients, logger: ctx.logger, config, registry: buildRegistry(config) }, { only: DATA_API_ENDPOINTS });
  } finally {
    await clients.close();
  }
}

export async function demoCommand(ctx: CommandContext, values: Values): Promise<number> {
  const started = Date.now();
  // Data anchored to today, so "not pulled in 90 days" and the audit look-back mean what they say.
  const today = Math.floor(Date.now() / 86_400_000) * 86_400_000;
  const emulatorOptions = { epochMs: today, ...emulatorOptionsFromFlags(values), port: 0, rateLimitPerMinute: null };
  const { startEmulator } = await import('../emulator/index.js');
  const emulator = await startEmulator({ ...emulatorOptions, logger: ctx.logger.child({ component: 'emulator' }) });
  const { credentials } = emulator;
  const namespaces = [credentials.username, ...credentials.oat.map((o) => o.org)];
  // The demo talks to the in-process emulator only; a real account's settings are ignored.
  const common = {
    databaseUrl: ctx.config.databaseUrl,
    dataDir: ctx.config.databaseUrl ? undefined : path.join(ctx.config.dataDir, 'demo'),
    logLevel: ctx.config.logLevel,
    'hub.apiUrl': emulator.url,
  };
  const config = loadCommandConfig({
    env: {},
    overrides: { ...common, 'hub.username': credentials.username, 'hub.password': credentials.password, namespaces },
  });
  ctx.stdout.write(`Docker Hub emulator on ${emulator.url}: user ${credentials.username}, organizations ${credentials.oat.map((o) => o.org).join(', ')}\n`);
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir, logger: ctx.logger });
  const client = hubClientFromConfig(config, ctx.logger);
  try {
    await migrateDatabase(database, ctx.logger, { readerRole: ctx.config.databaseReaderRole });
    ctx.stdout.write(`Database: ${database.location}\n\nSyncing every endpoint...\n`);
    const tty = Boolean((process.stderr as NodeJS.WriteStream).isTTY);
    const summary = await runSync({
      database,
      client,
      logger: ctx.logger,
      config,
      registry: buildRegistry(config),
      ...(tty ? { progress: terminalProgress(process.stderr as NodeJS.WriteStream) } : {}),
    });
    ctx.stdout.write(`\n${renderSummary(summary)}\n\nPull-usage reports, with each organization's access token (the Enterprise Data API takes no password)...\n`);
    const reports = await syncPullUsage(ctx, emulator, common, database);
    ctx.stdout.write(`\n${renderSummary(reports)}\n\nRows per table:\n`);
    const counts = await tableCounts(database);
    ctx.stdout.write(`${renderTable(['table', 'rows', 'deleted'], counts.map((c) => [c.table, c.rows, c.deleted]))}\n`);
    for (const query of DEMO_QUERIES) {
      const result = rowsOf<Record<string, unknown>>(await database.db.execute(sql.raw(query.sql)));
      const headers = result[0] ? Object.keys(result[0]) : ['(no rows)'];
      ctx.stdout.write(
        `\n-- ${query.title}\n${query.sql};\n\n${renderTable(headers, result.map((row) => headers.map((h) => formatCell(row[h]))))}\n`,
      );
    }
    ctx.stdout.write(
      `\nDone in ${((Date.now() - started) / 1000).toFixed(1)}s: ${summary.requests + reports.requests} requests to the emulator, ` +
        `${summary.failed + reports.failed} failed slice(s).\n${waysIn(database.kind, database.location, config.dataDir)}\n`,
    );
    return summary.failed + reports.failed > 0 ? 1 : 0;
  } finally {
    await client.close();
    await database.close();
    await emulator.close();
  }
}

/** How to reach the tables just filled: `sql`, `db serve` + psql, Grafana against `db serve`. */
export function waysIn(kind: 'pglite' | 'postgres', location: string, dataDir: string): string {
  const query = 'SELECT namespace, name, pull_count FROM dockerhub.repositories ORDER BY pull_count DESC LIMIT 5';
  if (kind === 'postgres') {
    return `Query the tables yourself (schema "dockerhub" in ${location}): npx dockerhub-sync sql "${query}", psql, or Grafana with the same DATABASE_URL.`;
  }
  const url = 'postgres://postgres@127.0.0.1:5433/postgres';
  return [
    `Query the tables yourself (schema "dockerhub", embedded database in ${dataDir}), three ways:`,
    `  1. DATA_DIR=${dataDir} npx dockerhub-sync sql "${query}"`,
    `  2. DATA_DIR=${dataDir} npx dockerhub-sync db serve --port 5433   then, in another terminal:   psql ${url}`,
    '  3. Grafana, while db serve runs: a PostgreSQL data source on 127.0.0.1:5433, database postgres, user postgres, no password, TLS disabled',
  ].join('\n');
}

function formatCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
