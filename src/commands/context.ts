import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { loadCommandConfig } from './config-check.js';
import { createLogger } from '../logger.js';
import { openDatabase, type Database, type OpenDatabaseOptions } from '../db/client.js';
import { migrateDatabase } from '../db/migrate.js';
import { configuredSecrets } from './hub.js';

/** What every command gets: parsed config, a logger that knows the secrets, and I/O streams. */
export interface CommandContext {
  config: Config;
  logger: Logger;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

export interface GlobalFlags {
  config?: string | undefined;
  logLevel?: string | undefined;
}

export function createContext(
  flags: GlobalFlags,
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; env: NodeJS.ProcessEnv },
  overrides: Record<string, unknown> = {},
): CommandContext {
  const config = loadCommandConfig({
    env: io.env,
    configFile: flags.config,
    overrides: { ...(flags.logLevel ? { logLevel: flags.logLevel } : {}), ...overrides },
  });
  const logger = createLogger({
    level: config.logLevel,
    secrets: configuredSecrets(config, io.env),
  });
  return { config, logger, stdout: io.stdout, stderr: io.stderr, env: io.env };
}

/** Where the configured database is and how long it may take to answer. */
export function databaseOptions(ctx: Pick<CommandContext, 'config' | 'logger'>): OpenDatabaseOptions {
  return {
    url: ctx.config.databaseUrl,
    dataDir: ctx.config.dataDir,
    logger: ctx.logger,
    connectTimeoutMs: ctx.config.databaseConnectTimeout,
    statementTimeoutMs: ctx.config.databaseStatementTimeout,
  };
}

/** Open the configured database and bring its schema up to date. */
export async function openMigratedDatabase(ctx: CommandContext): Promise<Database> {
  const database = await openDatabase(databaseOptions(ctx));
  try {
    await migrateDatabase(database, ctx.logger, { readerRole: ctx.config.databaseReaderRole });
  } catch (error) {
    await database.close().catch(() => undefined);
    throw error;
  }
  return database;
}
