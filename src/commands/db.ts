import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../cli-errors.js';
import { describeDatabaseUrl, openDatabase, type Database } from '../db/client.js';
import { moveDatabase } from '../db/move.js';
import { servedEndpoint, startSqlServer } from '../db/serve-socket.js';
import { embeddedClient } from '../db/sql.js';
import { renderTable } from '../format.js';
import { openMigratedDatabase, type CommandContext } from './context.js';

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

export const DB_ACTIONS = ['serve', 'dump', 'move'] as const;
type Action = (typeof DB_ACTIONS)[number];

/** Which flags each action takes; anything else is a usage error naming the action. */
const ACTION_FLAGS: Record<Action, string[]> = { serve: ['port', 'host'], dump: ['out'], move: ['to'] };

export interface DbHooks {
  /** Where SIGTERM and SIGINT come from (default: process). */
  signals?: NodeJS.EventEmitter;
}

export const EXAMPLE_QUERY = 'SELECT namespace, name, pull_count FROM dockerhub.repositories ORDER BY pull_count DESC LIMIT 5';

export async function dbCommand(ctx: CommandContext, values: Values, positionals: string[], hooks: DbHooks = {}): Promise<number> {
  const action = positionals[0] as Action;
  if (!DB_ACTIONS.includes(action)) throw new UsageError(`unknown action "${positionals[0]}"; expects one of ${DB_ACTIONS.join(', ')}.`);
  for (const flag of ['port', 'host', 'out', 'to']) {
    if (values[flag] !== undefined && !ACTION_FLAGS[action].includes(flag)) {
      throw new UsageError(`--${flag} does not apply to \`db ${action}\`.`);
    }
  }
  if (action === 'move') {
    const to = values.to as string | undefined;
    if (!to) throw new UsageError('expects --to postgres://user@host:5432/database (the Postgres to copy into).');
    if (!/^postgres(ql)?:\/\//.test(to)) throw new UsageError('--to must be a postgres:// or postgresql:// URL.');
  }
  if (ctx.config.databaseUrl) {
    throw new UsageError(
      `db ${action} works on the embedded database, and DATABASE_URL is set (${describeDatabaseUrl(ctx.config.databaseUrl)}): ` +
        (action === 'dump' ? 'use pg_dump for a Postgres server.' : 'connect to that Postgres directly.') +
        ' Unset DATABASE_URL to work on the embedded database in DATA_DIR.',
    );
  }
  const served = servedEndpoint(ctx.config.dataDir);
  if (served) {
    throw new Error(
      `the embedded database in ${path.resolve(ctx.config.dataDir)} is held by process ${served.pid}, which serves it on ${served.url}. ` +
        (action === 'serve' ? 'Connect there.' : `Stop that process first (db ${action} needs the database to itself).`),
    );
  }
  if (action === 'serve') return serve(ctx, values, hooks);
  if (!existsSync(path.join(ctx.config.dataDir, 'pglite'))) {
    throw new Error(`there is no embedded database in ${path.resolve(ctx.config.dataDir)}: run \`dockerhub-sync sync\` first, or point DATA_DIR at one.`);
  }
  return action === 'dump' ? dump(ctx, values) : move(ctx, values);
}

function parsePort(text: string, flag: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`${flag} must be a port number (0-65535), got "${text}".`);
  return port;
}

async function serve(ctx: CommandContext, values: Values, hooks: DbHooks): Promise<number> {
  const port = values.port !== undefined ? parsePort(String(values.port), '--port') : (ctx.config.sqlPort ?? 5432);
  const host = (values.host as string | undefined) ?? ctx.config.sqlHost;
  const database = await openMigratedDatabase(ctx);
  let server;
  try {
    server = await startSqlServer(embeddedClient(database), {
      port,
      host,
      logger: ctx.logger,
      dataDir: ctx.config.dataDir,
      maxConnections: ctx.config.sqlMaxConnections,
      idleTimeoutMs: ctx.config.sqlIdleTimeout,
    });
  } catch (error) {
    await database.close();
    throw error;
  }
  ctx.stdout.write(
    `Serving the embedded database in ${path.resolve(ctx.config.dataDir)} on ${server.url}\n` +
      `  psql ${server.url} -c "${EXAMPLE_QUERY}"\n` +
      'Any Postgres client connects there (user postgres, no password; schema "dockerhub"). Stop with Ctrl-C.\n',
  );
  const signals = hooks.signals ?? process;
  const signal = await new Promise<string>((resolve) => {
    signals.once('SIGINT', () => resolve('SIGINT'));
    signals.once('SIGTERM', () => resolve('SIGTERM'));
  });
  ctx.logger.info({ signal }, 'stopping the SQL server');
  await server.close();
  await database.close();
  return 0;
}

async function dump(ctx: CommandContext, values: Values): Promise<number> {
  // Reads only: a missing embedded database is reported, not created empty and dumped.
  const database = await openDatabase({ dataDir: ctx.config.dataDir, logger: ctx.logger, readOnly: true });
  try {
    const { pgDump } = await import('@electric-sql/pglite-tools/pg_dump');
    // Owners and grants name roles the restoring server may not have.
    const file = await pgDump({ pg: embeddedClient(database), args: ['--no-owner', '--no-privileges'] });
    const text = await file.text();
    const out = values.out as string | undefined;
    if (out) {
      writeFileSync(out, text);
      ctx.stderr.write(`Wrote ${path.resolve(out)} (${text.length} bytes).\n`);
    } else {
      ctx.stdout.write(text);
    }
    return 0;
  } finally {
    await database.close();
  }
}

async function move(ctx: CommandContext, values: Values): Promise<number> {
  const to = values.to as string;
  // A missing source is reported, not created empty and copied.
  const source: Database = await openDatabase({ dataDir: ctx.config.dataDir, logger: ctx.logger, readOnly: true });
  try {
    const result = await moveDatabase({ source, targetUrl: to, logger: ctx.logger });
    ctx.stdout.write(
      `Copied the embedded database in ${path.resolve(ctx.config.dataDir)} into ${result.target} (schema "dockerhub", ${result.migrations} migrations applied):\n` +
        `${renderTable(['table', 'embedded rows', 'copied rows'], result.tables.map((t) => [t.table, t.source, t.target]))}\n` +
        `Every table has the same row count on both sides. Set DATABASE_URL to the new database and run \`dockerhub-sync sync\`: it continues from the copied cursors.\n`,
    );
    return 0;
  } finally {
    await source.close();
  }
}
