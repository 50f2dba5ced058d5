import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../cli-errors.js';
import { openDatabase } from '../db/client.js';
import { servedEndpoint } from '../db/serve-socket.js';
import { describeQueryError, embeddedClient, isPostgresError, runQuery, type QueryResult } from '../db/sql.js';
import { formatResult, type OutputFormat } from '../db/sql-format.js';
import type { CommandContext } from './context.js';

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** The query text from the argument or `--file`, and the output format from the flags. */
export function sqlRequest(values: Values, positionals: string[], readFile: (file: string) => string) {
  const file = values.file as string | undefined;
  if (file && positionals.length > 0) throw new UsageError('give the query as an argument or with --file, not both.');
  if (!file && positionals.length === 0) {
    throw new UsageError('expects a query, e.g. dockerhub-sync sql "SELECT name, pull_count FROM dockerhub.repositories LIMIT 5", or --file q.sql.');
  }
  let text: string;
  if (file) {
    try {
      text = readFile(file);
    } catch (error) {
      throw new UsageError(`--file ${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`);
    }
  } else {
    text = positionals[0]!;
  }
  if (text.trim() === '') throw new UsageError(file ? `--file ${file} holds no query.` : 'the query is empty.');
  if (values.csv && values.json) throw new UsageError('choose one of --csv and --json.');
  const format: OutputFormat = values.csv ? 'csv' : values.json ? 'json' : 'table';
  return { text, format, write: values.write === true };
}

export async function sqlCommand(ctx: CommandContext, values: Values, positionals: string[]): Promise<number> {
  const request = sqlRequest(values, positionals, (file) => readFileSync(file, 'utf8'));
  let result: QueryResult;
  try {
    result = await execute(ctx, request.text, request.write);
  } catch (error) {
    if (!isPostgresError(error)) throw error;
    ctx.stderr.write(`${describeQueryError(request.text, error)}\n`);
    return 1;
  }
  ctx.stdout.write(formatResult(result, request.format));
  return 0;
}

async function execute(ctx: CommandContext, text: string, write: boolean): Promise<QueryResult> {
  const { config } = ctx;
  const options = { write, readOnly: { readerRole: config.databaseReaderRole, statementTimeoutMs: config.databaseStatementTimeout } };
  if (config.databaseUrl) return runQuery({ kind: 'postgres', url: config.databaseUrl }, text, options);
  // A running `db serve` (or `serve` with SQL_PORT) holds the embedded database; go through it.
  const served = servedEndpoint(config.dataDir);
  if (served) {
    try {
      return await runQuery({ kind: 'postgres', url: served.url }, text, options);
    } catch (error) {
      // A crashed server's note, with its pid reused by another process: open the files instead.
      if ((error as NodeJS.ErrnoException).code !== 'ECONNREFUSED') throw error;
    }
  }
  if (!existsSync(path.join(config.dataDir, 'pglite'))) {
    throw new Error(
      `there is no embedded database in ${path.resolve(config.dataDir)} yet: run \`dockerhub-sync sync\` first ` +
        '(or point DATA_DIR at one, e.g. DATA_DIR=data/demo after `dockerhub-sync demo`), or set DATABASE_URL.',
    );
  }
  let database;
  try {
    database = await openDatabase({ dataDir: config.dataDir, logger: ctx.logger, readOnly: true });
  } catch (error) {
    if (!/in use by another dockerhub-sync process/.test((error as Error).message)) throw error;
    throw new Error(
      `${(error as Error).message} To query while it runs, start it with SQL_PORT set (\`serve\`) or use \`dockerhub-sync db serve\`: ` +
        '`sql` then goes through that port.',
    );
  }
  try {
    return await runQuery({ kind: 'pglite', pglite: embeddedClient(database) }, text, options);
  } finally {
    await database.close();
  }
}
