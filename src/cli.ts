#!/usr/bin/env node
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
// The configuration and the context load on demand: `healthcheck` runs every 30 s without them.
import type { CommandContext } from './commands/context.js';
import { UsageError } from './cli-errors.js';
import { isProgrammingError } from './logger.js';
import { maskSecrets } from './secret-text.js';

/**
 * The command line: flags in, calls into the rest out. Every command rejects unknown flags,
 * prints its own `--help`, and exits 2 on a usage or configuration error, 1 on a failure.
 */

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

interface CommandSpec {
  summary: string;
  usage: string;
  details?: string;
  options: Options;
  positionals?: { min: number; max: number; names: string };
  run: (ctx: CommandContext, values: Values, positionals: string[]) => Promise<number>;
  /** Instead of `run`: a command that needs no configuration, logger or database (kept light). */
  bare?: (values: Values, io: CliIo) => Promise<number>;
  /** Flags that map straight onto config paths (they win over env and file). */
  configOverrides?: (values: Values) => Record<string, unknown>;
}

const GLOBAL_OPTIONS: Options = {
  config: { type: 'string', short: 'c' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

const GLOBAL_HELP = `Global flags:
  -c, --config <file>    YAML or JSON config file (environment variables win over it)
      --log-level <lvl>  fatal, error, warn, info, debug, trace or silent
  -h, --help             show help`;

const lazy =
  <M, K extends keyof M>(load: () => Promise<M>, key: K) =>
  async (ctx: CommandContext, values: Values, positionals: string[]): Promise<number> => {
    const module = await load();
    const fn = module[key] as unknown as (c: CommandContext, v: Values, p: string[]) => Promise<number>;
    return fn(ctx, values, positionals);
  };

export const COMMANDS: Record<string, CommandSpec> = {
  sync: {
    summary: 'one pass over every configured endpoint, then exit',
    usage: 'dockerhub-sync sync [--only a,b] [--namespace x]... [--full] [--backfill --from <ISO> [--to <ISO>]] [--dry-run]',
    details: `  --only <a,b>        run only these endpoints (see \`dockerhub-sync status\` for names)
  --namespace <x>     limit to this namespace / organization (repeatable)
  --full              ignore cursors: re-read everything and detect deletions
  --backfill          load older audit-log events: needs --from, optional --to (default now)
  --from <ISO>        start of the backfill window, e.g. 2025-01-01
  --to <ISO>          end of the backfill window
  --dry-run           fetch and validate, write nothing
  --no-progress       plain log lines even on a terminal`,
    options: {
      only: { type: 'string' },
      namespace: { type: 'string', multiple: true },
      full: { type: 'boolean' },
      backfill: { type: 'boolean' },
      from: { type: 'string' },
      to: { type: 'string' },
      'dry-run': { type: 'boolean' },
      'no-progress': { type: 'boolean' },
    },
    run: lazy(() => import('./commands/sync.js'), 'syncCommand'),
  },
  serve: {
    summary: 'run forever: cron schedules per endpoint, /healthz /readyz /metrics on PORT',
    usage: 'dockerhub-sync serve [--port <n>]',
    options: { port: { type: 'string' } },
    configOverrides: (values) => ({ port: values.port }),
    run: lazy(() => import('./commands/serve.js'), 'serveCommand'),
  },
  healthcheck: {
    summary: "ask the running `serve` for /healthz: exit 0 when healthy, 1 when not (the image's HEALTHCHECK)",
    usage: 'dockerhub-sync healthcheck [--port <n>]',
    details: `  --port <n>          the port to ask (default: the one the running \`serve\` listens on, as it
                      noted in the temp folder, whatever --port or config started it; else PORT)`,
    options: { port: { type: 'string' } },
    run: () => Promise.reject(new Error('healthcheck runs bare')),
    bare: async (values, io) => (await import('./commands/healthcheck.js')).healthcheckCommand(values, io),
  },
  migrate: {
    summary: 'apply database migrations and exit',
    usage: 'dockerhub-sync migrate',
    options: {},
    run: async (ctx) => (await import('./commands/migrate.js')).migrateCommand(ctx),
  },
  status: {
    summary: 'last run, result, rows and cursor per endpoint and slice',
    usage: 'dockerhub-sync status [--json]',
    options: { json: { type: 'boolean' } },
    run: async (ctx, values) => (await import('./commands/status.js')).statusCommand(ctx, { json: values.json === true }),
  },
  doctor: {
    summary: 'log in with each credential and read one item of every configured endpoint: what each can read, and the scope or role it lacks',
    usage: 'dockerhub-sync doctor [--json]',
    details: `  --json              the checks and warnings as JSON
One request per endpoint and namespace or organization (a chained endpoint tries the first item
its parent listed); no database is opened and nothing is written. Exit 1 when a configured
endpoint cannot be read (401, 403, 404, plan-limited or another error).`,
    options: { json: { type: 'boolean' } },
    run: async (ctx, values) => (await import('./commands/doctor.js')).doctorCommand(ctx, { json: values.json === true }),
  },
  'test-endpoint': {
    summary: 'fetch one page of an endpoint (built-in, custom or ad hoc) and print sample records, writing nothing',
    usage: 'dockerhub-sync test-endpoint <name> [--namespace x] [--limit n] | test-endpoint --path /v2/... [--data-path $...] [--metadata-path $...] [--query k=v]... [--method GET|POST]',
    details: `  <name>                 a built-in endpoint or one of the config's \`endpoints:\`
  --namespace <x>        the namespace or organization to try (default: the first configured)
  --limit <n>            sample records to print (default 3)
  --path </v2/...>       an ad-hoc request (also as the argument: test-endpoint /v2/...) (macros allowed: {now-7d}, {org} ...), relative to the API base
  --data-path <$...>     JSONPath of the records in the response (see the suggestions printed)
  --metadata-path <$...> JSONPath of metadata kept with each record
  --query <k=v>          a query parameter (repeatable)
  --method <GET|POST>    default GET`,
    options: {
      namespace: { type: 'string', multiple: true },
      limit: { type: 'string' },
      path: { type: 'string' },
      'data-path': { type: 'string' },
      'metadata-path': { type: 'string' },
      query: { type: 'string', multiple: true },
      method: { type: 'string' },
    },
    positionals: { min: 0, max: 1, names: '<name> (or --path)' },
    run: lazy(() => import('./commands/test-endpoint.js'), 'testEndpointCommand'),
  },
  endpoints: {
    summary: 'list the endpoints, or print one in the config syntax of a custom endpoint (a starting point to copy)',
    usage: 'dockerhub-sync endpoints list | endpoints show <name>',
    options: {},
    positionals: { min: 1, max: 2, names: 'list, or show <name>' },
    run: lazy(() => import('./commands/endpoints.js'), 'endpointsCommand'),
  },
  sql: {
    summary: 'run one SQL query on the configured database and print the rows',
    usage: 'dockerhub-sync sql "<query>" | --file q.sql [--csv | --json] [--write]',
    details: `  --file <q.sql>      read the query from a file instead of the argument
  --csv               comma-separated values with a header row
  --json              an array of objects (numbers, booleans and json columns as JSON values;
                      a repeated column name gets _2, _3)
  --write             allow changes (by default the query runs in a read-only transaction)
One statement per call. Times print in UTC. With the embedded database held by \`db serve\` or
\`serve\` with SQL_PORT, the query goes through that port.`,
    options: { file: { type: 'string', short: 'f' }, csv: { type: 'boolean' }, json: { type: 'boolean' }, write: { type: 'boolean' } },
    positionals: { min: 0, max: 1, names: '"<query>"' },
    run: lazy(() => import('./commands/sql.js'), 'sqlCommand'),
  },
  db: {
    summary: 'the embedded database: serve it on a Postgres port, dump it, move it into Postgres',
    usage: 'dockerhub-sync db serve [--port 5432] [--host 127.0.0.1] | db dump [--out file.sql] | db move --to postgres://...',
    details: `  serve               expose the embedded database on a Postgres port (psql, Grafana, DBeaver, Metabase)
    --port <n>        default SQL_PORT, else 5432 (0: any free port)
    --host <addr>     default SQL_HOST, else 127.0.0.1; another address is reachable without a password
  dump                a plain SQL dump (pg_dump) of the embedded database
    --out <file>      write it to a file instead of stdout
  move                copy everything into a Postgres server and check the row counts of every table
    --to <url>        the target postgres:// URL (its dockerhub tables must be empty)`,
    options: { port: { type: 'string' }, host: { type: 'string' }, out: { type: 'string' }, to: { type: 'string' } },
    positionals: { min: 1, max: 1, names: 'serve, dump or move' },
    run: lazy(() => import('./commands/db.js'), 'dbCommand'),
  },
  push: {
    summary: 'run a write-back job (records → Docker Hub API calls)',
    usage: 'dockerhub-sync push <job> [--plan | --dry-run] [--retry-unknown] [--validate] [--allow-removals N] [--reveal-secrets]',
    details: `  --plan, --dry-run   print the calls it would make (method, URL, body with secrets masked), grouped
                      by action, and exit 0 without sending or writing anything
  --retry-unknown     calls whose outcome is unknown (cut off by a crash, no answer) are checked
                      again and, if their change is still missing, sent again
  --validate          send templates that have an API dry run (org_invites.bulk) with it: Docker Hub
                      checks every invitee and changes nothing; other calls are not sent
  --allow-removals N  a mirror job may remove up to N records in this run (more than its maxRemove,
                      which is 10% of the records it manages, at least 1, unless the job sets it)
  --reveal-secrets    print the secret of each token the job creates (it is never stored, and can
                      be shown only on the run that creates the token: use it the first time)
Jobs are the \`writeback:\` entries of the config file (--config). Exit 1 when a record failed or
has an unknown outcome, or a mirror run was refused for removing more than maxRemove.`,
    options: { plan: { type: 'boolean' }, 'dry-run': { type: 'boolean' }, 'retry-unknown': { type: 'boolean' }, validate: { type: 'boolean' }, 'allow-removals': { type: 'string' }, 'reveal-secrets': { type: 'boolean' } },
    positionals: { min: 1, max: 1, names: '<job>' },
    run: lazy(() => import('./commands/push.js'), 'pushCommand'),
  },
  emulator: {
    summary: 'serve the Docker Hub emulator',
    usage:
      'dockerhub-sync emulator [--port 8080] [--host 127.0.0.1] [--seed 1] [--scale 1] [--rate-limit 180] [--rate-limit-by address|credential] [--token-ttl 600] [--latency ms] [--error-rate 0..1] [--drop-rate 0..1] [--malformed-rate 0..1] [--extra-field] [--page-fault <page>:empty|missing|short] [--page-size-cap n] [--epoch now|<date>]',
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      seed: { type: 'string' },
      scale: { type: 'string' },
      'rate-limit': { type: 'string' },
      'rate-limit-by': { type: 'string' },
      'token-ttl': { type: 'string' },
      latency: { type: 'string' },
      'error-rate': { type: 'string' },
      'drop-rate': { type: 'string' },
      'malformed-rate': { type: 'string' },
      'extra-field': { type: 'boolean' },
      'page-fault': { type: 'string' },
      'page-size-cap': { type: 'string' },
      epoch: { type: 'string' },
    },
    run: lazy(() => import('./commands/emulator.js'), 'emulatorCommand'),
  },
  demo: {
    summary: 'offline end to end: emulator + embedded database + one sync + a short report',
    usage: 'dockerhub-sync demo [--seed 1] [--scale 1] [--epoch now|<date>]',
    options: { seed: { type: 'string' }, scale: { type: 'string' }, epoch: { type: 'string' } },
    run: lazy(() => import('./commands/demo.js'), 'demoCommand'),
  },
};

function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  return `dockerhub-sync: keep a Postgres database in sync with Docker Hub

Usage: dockerhub-sync <command> [flags]

Commands:
${Object.entries(COMMANDS)
  .map(([name, spec]) => `  ${name.padEnd(width)}  ${spec.summary}`)
  .join('\n')}

${GLOBAL_HELP}

Run \`dockerhub-sync <command> --help\` for a command's flags.`;
}

function commandHelp(name: string, spec: CommandSpec): string {
  return `${spec.usage}\n\n${spec.summary}\n${spec.details ? `\n${spec.details}\n` : ''}\n${GLOBAL_HELP}`;
}

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/** Run the CLI; resolves to the process exit code. */
export async function main(argv: string[], cliIo: CliIo): Promise<number> {
  // Every message the command line prints about a mistake or a failure passes one secret rule:
  // a token given in the wrong place (a flag, a job name) is never echoed.
  const io: CliIo = { ...cliIo, stderr: maskingStream(cliIo.stderr) };
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${mainHelp()}\n`);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v') {
    const { createRequire } = await import('node:module');
    const pkg = createRequire(import.meta.url)('../package.json') as { version: string };
    io.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  const spec = COMMANDS[name];
  if (!spec) {
    io.stderr.write(`Unknown command "${name}". Commands: ${Object.keys(COMMANDS).join(', ')}.\nRun \`dockerhub-sync --help\`.\n`);
    return 2;
  }
  const parsed = parseCommandLine(name, spec, rest, io);
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (spec.bare) {
    try {
      return await spec.bare(values, io);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      io.stderr.write(`dockerhub-sync ${name}: ${error.message}\n`);
      return 2;
    }
  }
  return runWithContext(name, spec, values, positionals, io);
}

/** The command's flags and positionals, or the exit code when they are wrong or ask for help. */
function parseCommandLine(name: string, spec: CommandSpec, rest: string[], io: CliIo): { values: Values; positionals: string[] } | number {
  let values: Values;
  let positionals: string[];
  try {
    const parsed = parseArgs({
      args: rest,
      options: { ...GLOBAL_OPTIONS, ...spec.options },
      strict: true,
      allowPositionals: Boolean(spec.positionals),
    });
    values = parsed.values as Values;
    positionals = parsed.positionals;
  } catch (error) {
    io.stderr.write(`dockerhub-sync ${name}: ${cleanParseError(error as Error)}\nRun \`dockerhub-sync ${name} --help\` for the flags it takes.\n`);
    return 2;
  }
  if (values.help) {
    io.stdout.write(`${commandHelp(name, spec)}\n`);
    return 0;
  }
  if (spec.positionals) {
    const { min, max, names } = spec.positionals;
    if (positionals.length < min || positionals.length > max) {
      io.stderr.write(`dockerhub-sync ${name}: expects ${names}.\nUsage: ${spec.usage}\n`);
      return 2;
    }
  }
  return { values, positionals };
}

/** Load the configuration, run the command, and turn its failure into one line and an exit code. */
async function runWithContext(name: string, spec: CommandSpec, values: Values, positionals: string[], io: CliIo): Promise<number> {
  const [{ ConfigError }, { createContext }] = await Promise.all([import('./config.js'), import('./commands/context.js')]);
  let ctx: CommandContext;
  try {
    ctx = createContext(
      { config: values.config as string | undefined, logLevel: values['log-level'] as string | undefined },
      io,
      spec.configOverrides?.(values) ?? {},
    );
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr.write(`${error.message}\nSee the Configuration section of the README.\n`);
      return 2;
    }
    throw error;
  }
  try {
    return await spec.run(ctx, values, positionals);
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      io.stderr.write(`dockerhub-sync ${name}: ${error.message}\n`);
      return 2;
    }
    // An expected failure is one line; a bug also logs its stack (and every failure does at debug).
    if (isProgrammingError(error)) ctx.logger.error({ err: error }, `${name} failed`);
    else ctx.logger.debug({ err: error }, `${name} failed`);
    io.stderr.write(`dockerhub-sync ${name} failed: ${(error as Error).message}\n`);
    return 1;
  } finally {
    ctx.logger.flush?.();
  }
}

/** A stream whose text is written through maskSecrets (the command's own output is untouched). */
function maskingStream(stream: NodeJS.WritableStream): NodeJS.WritableStream {
  return new Proxy(stream, {
    get(target, key, receiver) {
      if (key === 'write') {
        return (chunk: unknown, ...args: unknown[]) =>
          (target.write as (...a: unknown[]) => boolean).call(target, typeof chunk === 'string' ? maskSecrets(chunk) : chunk, ...args);
      }
      const value = Reflect.get(target, key, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function cleanParseError(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  const match = /'(-{1,2}[^']+)'/.exec(error.message);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && match) return `unknown flag ${match[1]}.`;
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return `unexpected argument: ${error.message.replace(/^.*?'([^']+)'.*$/s, '$1')}.`;
  return error.message.split('\n')[0] ?? error.message;
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`dockerhub-sync: ${(error as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
