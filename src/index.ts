/** Library surface: the Docker Hub client, the database layer and the config loader. */
export * from './hub/index.js';
export { loadConfig, ConfigError, type Config } from './config.js';
export { createLogger, scrubSecrets } from './logger.js';
export { openDatabase, type Database, type Db } from './db/client.js';
export { migrateDatabase } from './db/migrate.js';
export * as schema from './db/schema/index.js';
