import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { UsageError } from './cli-errors.js';
import { customEndpointsSchema } from './custom/config.js';
import { CREDENTIAL_KINDS, credentialProblems, FORBIDDEN_SECRET_KEYS } from './hub/credentials.js';
import { writebackJobSchema, writebackProblems } from './writeback/job.js';
import { DEFAULT_HTTP_PORT } from './server/serve-port.js';
import { isSecretKeyName, maskSecrets, SECRET_KEY_HINT } from './secret-text.js';

/**
 * Configuration comes from the environment (12-factor) and, optionally, a YAML or JSON file
 * given with `--config`. The environment wins over the file so a deployment can override one
 * value without editing the file. Everything is parsed once, here; the rest of the code gets a
 * typed `Config` and never reads `process.env` itself.
 */

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Docker Hub's own rule for namespace names (lower-case, 2-255 chars, no leading separator). */
const NAMESPACE_RE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

const NAMESPACE_RULE = 'is not a valid Docker Hub namespace (lower-case letters, digits, . _ -)';

const namespaceName = z.string().regex(NAMESPACE_RE, NAMESPACE_RULE);

/**
 * The namespaces given with `--namespace`, checked by the rule DOCKERHUB_NAMESPACES follows: a
 * value like ".." would otherwise change which resource a path names.
 */
export function namespaceFlags(values: readonly unknown[]): string[] {
  const names = values.map(String);
  const bad = names.filter((name) => !NAMESPACE_RE.test(name));
  if (bad.length > 0) throw new UsageError(bad.map((name) => `--namespace ${JSON.stringify(name)} ${NAMESPACE_RULE}`).join('; '));
  return names;
}

const durationRe = /^(\d+)\s*(ms|s|m|h|d)$/;
/** Durations are written like `90s`, `15m`, `24h`, `7d`; parsed to milliseconds. */
export const duration = z
  .string()
  .trim()
  .regex(durationRe, 'must be a duration like 30s, 15m, 24h or 7d')
  .transform((value) => parseDuration(value));

export function parseDuration(value: string): number {
  const match = durationRe.exec(value.trim());
  if (!match) throw new Error(`"${value}" is not a duration like 30s, 15m, 24h or 7d`);
  const amount = Number(match[1]);
  const unit = match[2] as 'ms' | 's' | 'm' | 'h' | 'd';
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit];
  return amount * factor;
}

/** Node's timers hold at most 2^31-1 ms (about 24.8 days); a longer delay fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A duration that is handed to a timer: capped at what a timer can hold. */
const timerDuration = duration.refine((ms) => ms <= MAX_TIMER_MS, {
  message: 'is longer than 24 days, the longest a timer can wait; use a shorter duration',
  abort: true,
});

/** A timeout: more than 0, because 0 switches the timeout off and lets a silent peer hang the process. */
const timeoutDuration = timerDuration.refine((ms) => ms > 0, {
  message: 'must be more than 0 (0 would switch the timeout off and let a silent server hang the process)',
});

const commaList = z
  .union([z.string(), z.array(z.string())])
  .transform((value) =>
    (Array.isArray(value) ? value : value.split(','))
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  );

const watchedTag = z
  .string()
  .regex(/^[a-z0-9._-]+\/[a-z0-9._-]+:[\w][\w.-]{0,127}$/, 'must look like namespace/repository:tag');

// Checked (with the key it belongs to) against the endpoints and jobs: src/commands/config-check.ts.
const cronExpression = z.string().trim();

/** One Docker Hub credential and the namespaces it serves; its secret lives outside the config file. */
const hubCredential = z.object({
  /** Docker ID, or the organization name for an organization access token; the `credential` label. */
  username: z.string().trim().min(1),
  kind: z.enum(CREDENTIAL_KINDS, { error: `must be one of ${CREDENTIAL_KINDS.join(', ')}` }),
  secretEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name').optional(),
  secretFile: z.string().min(1).optional(),
  namespaces: commaList.pipe(z.array(namespaceName)).default([]),
  orgs: commaList.pipe(z.array(namespaceName)).optional(),
});

/**
 * Every `z.object` below is closed: a key it does not declare is reported by `unknownKeys` (with
 * the nearest known key), so a typo such as `databaseURL:` fails loudly instead of silently
 * falling back to a default. A section that takes free keys says so with `z.record` or
 * `z.looseObject`.
 */
export const configSchema = z
  .object({
    databaseUrl: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
    dataDir: z.string().min(1).default('./data'),
    /** The NOLOGIN role granted read access to the schema; one per deployment on a shared server. */
    databaseReaderRole: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lowercase role name: letters, digits and _, at most 63, not starting with a digit')
      .refine((name) => !name.startsWith('pg_'), 'must not start with pg_ (reserved by Postgres)')
      .default('dockerhub_reader'),
    hub: z
      .object({
        apiUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default('https://hub.docker.com'),
        /** The Enterprise Data API (pull-usage reports); unset: see dataApiUrlOf. */
        dataApiUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
        username: z.string().min(1).optional(),
        token: z.string().min(1).optional(),
        password: z.string().min(1).optional(),
        jwt: z.string().min(1).optional(),
        otp: z.string().regex(/^\d{6}$/, 'must be a 6-digit code').optional(),
        /** The organization's SCIM bearer token (bearerSCIMAuth): scim_users reads nothing without it. */
        scimToken: z.string().min(1).optional(),
        /** The organization the SCIM token belongs to (default: the pass's only organization). */
        scimOrg: namespaceName.optional(),
        maxRetryWait: timerDuration.default(15 * 60_000),
        maxRetries: z.coerce.number().int().min(0).max(20).default(5),
        /** Idle time allowed while waiting for headers or between two chunks of a body. */
        timeout: timeoutDuration.default(30_000),
        /** Total time one request attempt may take, however steadily its body trickles in. */
        requestDeadline: timeoutDuration.default(3 * 60_000),
        /** Largest response body read; the read stops as soon as a body passes it. */
        maxResponseBytes: z.coerce
          .number({ error: 'must be a number of bytes, e.g. 67108864 for 64 MiB' })
          .int('must be a whole number of bytes')
          .positive('must be more than 0')
          .default(64 * 1024 * 1024),
        credentials: z.array(hubCredential).default([]),
        /** Credentials working at the same time in one pass (default: all of them). */
        concurrency: z.coerce.number().int().min(1).max(64).optional(),
      })
      .prefault({}),
    namespaces: commaList.pipe(z.array(namespaceName)).default([]),
    orgs: commaList.pipe(z.array(namespaceName)).optional(),
    logLevel: z.enum(LOG_LEVELS).default('info'),
    port: z.coerce.number().int().min(0).max(65535).default(DEFAULT_HTTP_PORT),
    /**
     * `serve` accepts Docker Hub repository webhooks at POST /hooks/dockerhub/<this secret> (unset:
     * that route does not exist). It is the only thing that tells a delivery from noise (Hub signs
     * nothing), so it is long and random, and only URL-safe characters (it is a path segment).
     */
    webhookSecret: z
      .string()
      .regex(/^[A-Za-z0-9._~-]+$/, 'must hold only letters, digits and . _ ~ - (it is a URL path segment); e.g. `openssl rand -hex 24`')
      .min(16, 'must be at least 16 characters (anyone who guesses it can make serve read a repository); e.g. `openssl rand -hex 24`')
      .max(256, 'must be at most 256 characters')
      .optional(),
    /** `serve` also exposes the embedded database on this Postgres port (unset: it does not). */
    sqlPort: z.coerce.number().int().min(0).max(65535).optional(),
    /** Interface for the SQL port; anything but loopback is reachable from other machines. */
    sqlHost: z.string().trim().min(1).default('127.0.0.1'),
    /** Clients the SQL port serves at once; one more is refused with "too many clients". */
    sqlMaxConnections: z.coerce.number({ error: 'must be a number of clients, e.g. 20' }).int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000').default(20),
    /** A SQL-port client that sends nothing for this long is closed (0: never). */
    sqlIdleTimeout: timerDuration.default(10 * 60_000),
    sync: z
      .object({
        /**
         * How often the repository list is read completely (the only read that decides deletions
         * and sees pull-only changes); passes in between read it newest first and stop at the
         * first unchanged repository. 0: every pass is complete. Unset: `serve` lists completely
         * hourly (its repositories job ticks every minute, see serveConfig), a `sync` every pass.
         */
        repositoryListInterval: duration.optional(),
        /**
         * Tags are re-read when the list shows a push (last_updated) or a pull (pull_count); this
         * slow refresh catches what Hub changes without either (tag status).
         */
        tagRefreshInterval: duration.default(7 * 86_400_000),
        /**
         * Organization listings are re-read when the audit log names a change they show; this
         * complete read (the only one that marks rows deleted) comes this often whatever the log
         * says. 0: the listings do not follow the audit log and are read completely every hour.
         */
        organizationSafetyNetInterval: duration.default(24 * 3_600_000),
        /** Audit-log windows start this far before the stored cursor. */
        auditOverlap: duration.default(10 * 60_000),
        /** Length of one audit-log window (backfills are cut into such windows; empty ones grow). */
        auditWindow: duration.refine((ms) => ms > 0, 'must be longer than 0 (e.g. 7d)').default(7 * 86_400_000),
        /** How far back the first audit-log read goes when nothing is stored yet. */
        auditInitialLookback: duration.default(90 * 86_400_000),
        /** Unchanged rows get `last_seen_at` refreshed at most this often (bounded write amplification). */
        lastSeenGranularity: duration.default(24 * 3_600_000),
        watchedTags: commaList.pipe(z.array(watchedTag)).default([]),
        /** A slice's lease lives this long without renewal: how soon a dead replica's slices are run by others. */
        leaseTtl: duration.pipe(z.number().min(3_000, 'must be at least 3s')).default(90_000),
      })
      .prefault({}),
    schedules: z.record(z.string(), cronExpression).default({}),
    shutdownTimeout: timerDuration.default(30_000),
    /** How long opening a database connection may take. */
    databaseConnectTimeout: timeoutDuration.default(10_000),
    /** How long one SQL statement may run (Postgres `statement_timeout`, plus a client-side guard). */
    databaseStatementTimeout: timeoutDuration.default(5 * 60_000),
    /** `/readyz` reports a running tick that finished no page for this long as stalled. */
    readyzStallLimit: timeoutDuration.default(30 * 60_000),
    /** User-defined endpoints (README "Custom endpoints"); checked further against the registry (src/commands/config-check.ts). */
    endpoints: customEndpointsSchema,
    /** Write-back jobs: records from a table or query become Docker Hub calls (`push <job>`, or `schedule` under `serve`). */
    writeback: z.array(writebackJobSchema).default([]),
  });

export type Config = z.infer<typeof configSchema>;

export const DEFAULT_DATA_API_URL = 'https://api.docker.com/enterprise-data/v1';

/**
 * The Enterprise Data API's base URL: `hub.dataApiUrl` when set; else Docker's, when the Hub API
 * is Docker's own; else the configured Hub API URL + `/enterprise-data/v1` (the emulator serves it
 * there, and a proxy in front of Hub is not bypassed for the reports).
 */
export function dataApiUrlOf(hub: Pick<Config['hub'], 'apiUrl' | 'dataApiUrl'>): string {
  if (hub.dataApiUrl) return hub.dataApiUrl.replace(/\/+$/, '');
  const api = new URL(hub.apiUrl);
  if (api.origin === 'https://hub.docker.com') return DEFAULT_DATA_API_URL;
  return `${hub.apiUrl.replace(/\/+$/, '')}/enterprise-data/v1`;
}

/** Between two complete repository listings under `serve` when REPOSITORY_LIST_INTERVAL is unset. */
export const SERVE_REPOSITORY_LIST_INTERVAL_MS = 3_600_000;

/**
 * The config `serve`'s sync jobs run with: what is unset and differs from a one-shot `sync` gets
 * serve's default. A `sync` run reads the complete repository list (it is the truth a user asked
 * for); `serve` ticks every minute, so in between its hourly complete listings it reads the list
 * newest first (one request per namespace when nothing was pushed).
 */
export function serveConfig(config: Config): Config {
  if (config.sync.repositoryListInterval !== undefined) return config;
  return { ...config, sync: { ...config.sync, repositoryListInterval: SERVE_REPOSITORY_LIST_INTERVAL_MS } };
}

/** Which environment variable feeds which config path; used for parsing and for error messages. */
export const ENV_MAP: Record<string, string> = {
  DATABASE_URL: 'databaseUrl',
  DATA_DIR: 'dataDir',
  DATABASE_READER_ROLE: 'databaseReaderRole',
  DOCKERHUB_API_URL: 'hub.apiUrl',
  DOCKERHUB_DATA_API_URL: 'hub.dataApiUrl',
  DOCKERHUB_USERNAME: 'hub.username',
  DOCKERHUB_TOKEN: 'hub.token',
  DOCKERHUB_PASSWORD: 'hub.password',
  DOCKERHUB_JWT: 'hub.jwt',
  DOCKERHUB_OTP: 'hub.otp',
  DOCKERHUB_SCIM_TOKEN: 'hub.scimToken',
  DOCKERHUB_SCIM_ORG: 'hub.scimOrg',
  DOCKERHUB_MAX_RETRY_WAIT: 'hub.maxRetryWait',
  DOCKERHUB_MAX_RETRIES: 'hub.maxRetries',
  DOCKERHUB_TIMEOUT: 'hub.timeout',
  DOCKERHUB_REQUEST_DEADLINE: 'hub.requestDeadline',
  DOCKERHUB_MAX_RESPONSE_BYTES: 'hub.maxResponseBytes',
  HUB_CONCURRENCY: 'hub.concurrency',
  DOCKERHUB_NAMESPACES: 'namespaces',
  DOCKERHUB_ORGS: 'orgs',
  DOCKERHUB_WATCHED_TAGS: 'sync.watchedTags',
  TAG_REFRESH_INTERVAL: 'sync.tagRefreshInterval',
  REPOSITORY_LIST_INTERVAL: 'sync.repositoryListInterval',
  ORGANIZATION_SAFETY_NET_INTERVAL: 'sync.organizationSafetyNetInterval',
  AUDIT_OVERLAP: 'sync.auditOverlap',
  AUDIT_WINDOW: 'sync.auditWindow',
  AUDIT_INITIAL_LOOKBACK: 'sync.auditInitialLookback',
  LAST_SEEN_GRANULARITY: 'sync.lastSeenGranularity',
  SYNC_LEASE_TTL: 'sync.leaseTtl',
  LOG_LEVEL: 'logLevel',
  PORT: 'port',
  WEBHOOK_SECRET: 'webhookSecret',
  SQL_PORT: 'sqlPort',
  SQL_HOST: 'sqlHost',
  SQL_MAX_CONNECTIONS: 'sqlMaxConnections',
  SQL_IDLE_TIMEOUT: 'sqlIdleTimeout',
  SHUTDOWN_TIMEOUT: 'shutdownTimeout',
  DATABASE_CONNECT_TIMEOUT: 'databaseConnectTimeout',
  DATABASE_STATEMENT_TIMEOUT: 'databaseStatementTimeout',
  READYZ_STALL_LIMIT: 'readyzStallLimit',
  SCHEDULES: 'schedules',
};

const SECRET_PATHS = new Set(['hub.token', 'hub.password', 'hub.jwt', 'hub.otp', 'hub.scimToken', 'databaseUrl', 'webhookSecret']);

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    // Whatever a problem quotes (a value, a key, a zod message), a secret-looking part is masked.
    const masked = problems.map((problem) => maskSecrets(problem));
    super(`Invalid configuration:\n${masked.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = masked;
  }
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([`config file ${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`]);
  }
  let parsed: unknown;
  try {
    parsed = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ConfigError([`config file ${file}: is not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'} (${(error as Error).message.split('\n')[0]})`]);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError([`config file ${file}: must hold a mapping of settings at the top level`]);
  }
  return parsed as Record<string, unknown>;
}

/** What a check of the raw settings gets (LoadConfigOptions.check). */
export interface ConfigCheckInput {
  /** The settings as read, before parsing: the file, the environment and the flags merged. */
  input: Record<string, unknown>;
  /** When a schedule is checked to fire at all. */
  now: Date;
  /** How a problem names a key: `schedules.tags in config.yaml`, or `SCHEDULES (tags)` when the environment set it. */
  where(dotted: string): string;
}

/** Problems of the raw settings that loadConfig cannot see on its own, each a full sentence naming its key. */
export type ConfigCheck = (settings: ConfigCheckInput) => string[];

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  configFile?: string;
  /** Values from CLI flags; they win over env and file. Dotted paths. */
  overrides?: Record<string, unknown>;
  /**
   * Checks that need more than the settings themselves, such as the names `schedules` and custom
   * endpoints refer to (the endpoint registry): their problems are listed with all the others.
   * The commands pass the built-in registry's (src/commands/config-check.ts); without it only the
   * settings themselves are checked.
   */
  check?: ConfigCheck;
  /** When a schedule is checked to fire at all. */
  now?: Date;
}

/** Parse env + file + overrides, or throw a ConfigError listing every problem at once. */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const { input, sourceOf, envProblems } = mergeSettings(options, env);
  const result = configSchema.safeParse(input);
  const inFile = (dotted: string) => (options.configFile ? `${dotted} in ${options.configFile}` : dotted);
  // Cross-field rules run on the raw input so they are reported together with field errors.
  const crossProblems = [
    ...envProblems,
    ...unknownKeyProblems(input, inFile),
    ...(options.check?.({
      input,
      now: options.now ?? new Date(),
      where: (dotted) => (dotted.startsWith('schedules.') && sourceOf.get('schedules') === 'SCHEDULES' ? `SCHEDULES (${dotted.slice('schedules.'.length)})` : inFile(dotted)),
    }) ?? []),
    ...crossFieldProblems(input, sourceOf),
    ...writebackProblems(input.writeback, options.now ?? new Date()).map((problem) => (options.configFile ? problem.replace(/^(\S+):/, `$1 in ${options.configFile}:`) : problem)),
  ];
  {
    // Secrets written into the file are refused even when other fields fail to parse.
    const rawCredentials = (input.hub as { credentials?: unknown } | undefined)?.credentials;
    const parsed = result.success ? result.data : undefined;
    const hub = parsed?.hub;
    crossProblems.push(
      ...credentialProblems({
        entries: hub?.credentials ?? [],
        raw: Array.isArray(rawCredentials) ? rawCredentials : [],
        env,
        listed: { namespaces: parsed?.namespaces ?? [], orgs: parsed?.orgs ?? [] },
        hasDefaultCredential: Boolean(hub?.username && (hub.token || hub.password || hub.jwt)),
      }),
    );
  }
  if (result.success && crossProblems.length === 0) return result.data;

  const issues = result.success ? [] : result.error.issues.flatMap(unionBranch);
  const problems = issues.map((issue) => fieldProblem(issue, input, sourceOf, options.configFile));
  throw new ConfigError([...problems, ...crossProblems]);
}

/** The file, then the environment, then the flags, merged into one raw input; each key remembers who set it. */
function mergeSettings(
  options: LoadConfigOptions,
  env: NodeJS.ProcessEnv,
): { input: Record<string, unknown>; sourceOf: Map<string, string>; envProblems: string[] } {
  const input: Record<string, unknown> = options.configFile
    ? readConfigFile(path.resolve(options.configFile))
    : {};
  const sourceOf = new Map<string, string>();
  const envProblems: string[] = [];
  for (const [name, dotted] of Object.entries(ENV_MAP)) {
    const value = env[name];
    if (value !== undefined && value !== '') {
      setPath(input, dotted, dotted === 'schedules' ? parseSchedules(value, name, envProblems) : value);
      sourceOf.set(dotted, name);
    }
  }
  for (const [dotted, value] of Object.entries(options.overrides ?? {})) {
    if (value !== undefined) {
      setPath(input, dotted, value);
      sourceOf.set(dotted, `flag for ${dotted}`);
    }
  }
  return { input, sourceOf, envProblems };
}

/** One sentence per key the schema does not know, with the key it probably meant. */
function unknownKeyProblems(input: Record<string, unknown>, inFile: (dotted: string) => string): string[] {
  return (
    unknownKeys(configSchema, input)
      // A secret written into a credential entry has its own message (credentialProblems).
      .filter(({ path: at }) => !(at[0] === 'hub' && at[1] === 'credentials' && at.length === 4 && (FORBIDDEN_SECRET_KEYS as readonly unknown[]).includes(at[3])))
      .map(({ path: at, suggestion, known }) => {
        const dotted = keyPath(at);
        const near = suggestion && /^(writeback|endpoints)\./.test(suggestion) ? keyPath(suggestion.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p))) : suggestion;
        // A key a secret is written under (`Token:`) is pointed away from the file, never to hub.token.
        const secretKey = isSecretKeyName(String(at.at(-1))) && !/secret(Env|File)$/.test(near ?? '');
        const hint = secretKey ? `; ${SECRET_KEY_HINT}` : near ? `; did you mean "${near}"?` : ` (known: ${known.join(', ')})`;
        return `${inFile(dotted)}: unknown setting${hint}`;
      })
  );
}

/** A schema problem as a sentence naming what the user set (the variable, the flag or the file key). */
function fieldProblem(issue: z.core.$ZodIssue, input: Record<string, unknown>, sourceOf: Map<string, string>, configFile: string | undefined): string {
  // Array items (namespaces.0) are reported against the variable that holds the list.
  const pathParts = issue.path.filter((part) => typeof part === 'string');
  // Custom endpoints and write-back jobs are lists: name the entry (`endpoints[1].path`, `writeback[0].batch.size`).
  const dotted = LIST_SECTIONS.includes(String(issue.path[0])) ? keyPath(issue.path) : pathParts.join('.');
  // Name the variable the user actually set, or the file key, so the fix is obvious.
  const envName =
    sourceOf.get(dotted) ??
    Object.entries(ENV_MAP).find(([, p]) => p === dotted)?.[0];
  const where = sourceOf.has(dotted)
    ? sourceOf.get(dotted)!
    : configFile
      ? `${dotted || '(top level)'} in ${configFile}${envName ? ` (or ${envName})` : ''}`
      : (envName ?? dotted);
  // Never echo a secret back; for other values show what was received.
  const received =
    SECRET_PATHS.has(dotted) || holdsSecretReference(issue.path) || issue.code === 'custom' ? '' : describeReceived(input, issue.path);
  return `${where}: ${issue.message}${received}`;
}


// SCHEDULES="job=cron; job=cron": the environment's form of `schedules`.
function parseSchedules(text: string, variable: string, problems: string[]): Record<string, string> {
  // No prototype: a key such as `__proto__` stays a key and is reported, instead of vanishing.
  const out = Object.create(null) as Record<string, string>;
  for (const part of text.split(';').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) problems.push(`${variable}: "${part}" is not job=cron (entries are separated by ";")`);
    else out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

/**
 * A write-back `target` is a template name or an object: when the value is an object, what is
 * wrong inside it says more than "matches neither" (`writeback[0].target.method: must be …`).
 */
function unionBranch(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== 'invalid_union' || issue.path[0] !== 'writeback') return [issue];
  const branches = (issue as { errors?: z.core.$ZodIssue[][] }).errors ?? [];
  const relevant = branches.find((branch) => branch.length > 0 && !branch.every((inner) => inner.code === 'invalid_type' && inner.path.length === 0));
  return relevant ? relevant.map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] })) : [issue];
}

/** A key's path as the file writes it: `hub.apiUrl`, and list entries of write-back jobs as `writeback[0].batch.size`. */
/** Config sections that are lists of named entries; their keys read `endpoints[1].path`. */
const LIST_SECTIONS: readonly string[] = ['endpoints', 'writeback'];

function keyPath(parts: readonly PropertyKey[]): string {
  if (!LIST_SECTIONS.includes(String(parts[0]))) return parts.map(String).join('.');
  return parts.reduce<string>((out, part) => (typeof part === 'number' ? `${out}[${part}]` : out ? `${out}.${String(part)}` : String(part)), '');
}

function crossFieldProblems(input: Record<string, unknown>, sourceOf: Map<string, string>): string[] {
  const hub = (input.hub ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  const name = (dotted: string, fallback: string) => sourceOf.get(dotted) ?? fallback;
  if (!hub.username && (hub.token || hub.password)) {
    problems.push(
      `${name('hub.username', 'DOCKERHUB_USERNAME')}: is required with ${hub.token ? name('hub.token', 'DOCKERHUB_TOKEN') : name('hub.password', 'DOCKERHUB_PASSWORD')} ` +
        '(your Docker ID for a personal access token or password, the organization name for an organization access token)',
    );
  }
  return problems;
}

/**
 * A key whose value is a secret or names one: a value rejected there is most likely the secret
 * itself (`secretEnv: <the token>`), so it is not quoted back even when it has no known shape.
 */
function holdsSecretReference(pathParts: readonly PropertyKey[]): boolean {
  const key = String(pathParts.at(-1) ?? '');
  return key === 'secretEnv' || key === 'secretFile' || isSecretKeyName(key);
}

function describeReceived(input: Record<string, unknown>, pathParts: PropertyKey[]): string {
  let node: unknown = input;
  for (const part of pathParts) {
    if (node === null || typeof node !== 'object') return '';
    node = (node as Record<PropertyKey, unknown>)[part];
  }
  if (node === undefined) return '';
  const text = typeof node === 'string' ? node : JSON.stringify(node);
  return ` (got "${text.length > 80 ? `${text.slice(0, 77)}...` : text}")`;
}


type AnySchema = z.core.$ZodType;
interface ObjectKeys {
  fields: Map<string, AnySchema>;
  /** Takes keys it does not declare (`z.looseObject`, `.catchall(...)`). */
  open: boolean;
}

// The zod definition of a schema; wrappers (optional, default, prefault, nullable, catch,
// readonly …) all keep the wrapped schema in `innerType`.
const defOf = (schema: AnySchema) => schema._zod.def as unknown as Record<string, unknown> & { type: string };

/** The keys an object-shaped schema declares, looking through wrappers, pipes and unions. */
function objectKeysOf(schema: AnySchema): ObjectKeys | undefined {
  const def = defOf(schema);
  switch (def.type) {
    case 'object': {
      const catchall = def.catchall as AnySchema | undefined;
      return {
        fields: new Map(Object.entries(def.shape as Record<string, AnySchema>)),
        open: catchall !== undefined && defOf(catchall).type !== 'never',
      };
    }
    case 'union':
    case 'intersection': {
      const parts = (def.type === 'union' ? (def.options as AnySchema[]) : [def.left as AnySchema, def.right as AnySchema])
        .map(objectKeysOf)
        .filter((k): k is ObjectKeys => k !== undefined);
      if (parts.length === 0) return undefined;
      const fields = new Map<string, AnySchema>();
      for (const part of parts) for (const [key, value] of part.fields) if (!fields.has(key)) fields.set(key, value);
      return { fields, open: parts.some((p) => p.open) };
    }
    case 'pipe':
      return objectKeysOf(def.in as AnySchema) ?? objectKeysOf(def.out as AnySchema);
    case 'lazy':
      return objectKeysOf((def.getter as () => AnySchema)());
    default:
      return def.innerType ? objectKeysOf(def.innerType as AnySchema) : undefined;
  }
}

/** What the items of an array-shaped schema are, or the values of a record. */
function childSchemaOf(schema: AnySchema, kind: 'array' | 'record'): AnySchema | undefined {
  const def = defOf(schema);
  if (kind === 'array' && def.type === 'array') return def.element as AnySchema;
  if (kind === 'record' && def.type === 'record') return def.valueType as AnySchema;
  if (def.type === 'union') {
    for (const option of def.options as AnySchema[]) {
      const found = childSchemaOf(option, kind);
      if (found) return found;
    }
    return undefined;
  }
  if (def.type === 'pipe') return childSchemaOf(def.in as AnySchema, kind) ?? childSchemaOf(def.out as AnySchema, kind);
  if (def.type === 'lazy') return childSchemaOf((def.getter as () => AnySchema)(), kind);
  return def.innerType ? childSchemaOf(def.innerType as AnySchema, kind) : undefined;
}

export interface UnknownKey {
  path: (string | number)[];
  /** The nearest known setting, as a dotted path. */
  suggestion: string | undefined;
  /** The keys known where this one was found. */
  known: string[];
}

/**
 * Keys in `input` that `schema` does not declare, anywhere: derived from the schema, so a
 * section added to it is checked without further work.
 */
export function unknownKeys(schema: AnySchema, input: unknown): UnknownKey[] {
  const found: UnknownKey[] = [];
  const everywhere = knownPaths(schema);
  const walk = (node: AnySchema, value: unknown, at: (string | number)[]): void => {
    if (value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      const element = childSchemaOf(node, 'array');
      if (element) value.forEach((item, index) => walk(element, item, [...at, index]));
      return;
    }
    const keys = objectKeysOf(node);
    if (!keys) {
      const values = childSchemaOf(node, 'record');
      if (values) for (const key of Object.keys(value)) walk(values, (value as Record<string, unknown>)[key], [...at, key]);
      return;
    }
    for (const key of Object.keys(value)) {
      const child = keys.fields.get(key);
      if (child) walk(child, (value as Record<string, unknown>)[key], [...at, key]);
      else if (!keys.open) {
        const known = [...keys.fields.keys()];
        const here = nearest(key, known);
        const prefix = at.map(String).join('.');
        const inPlace = here && (prefix ? `${prefix}.${here}` : here);
        found.push({ path: [...at, key], suggestion: inPlace ?? elsewhere(key, everywhere), known });
      }
    }
  };
  walk(schema, input, []);
  return found;
}

/** Dotted paths of every setting in nested objects (not inside lists), for "did you mean". */
function knownPaths(schema: AnySchema, prefix = ''): string[] {
  const keys = objectKeysOf(schema);
  if (!keys) return [];
  return [...keys.fields].flatMap(([key, child]) => [`${prefix}${key}`, ...knownPaths(child, `${prefix}${key}.`)]);
}

/** A key written at the wrong level (`apiUrl` for `hub.apiUrl`) or as its variable (`DATABASE_URL`). */
function elsewhere(key: string, paths: string[]): string | undefined {
  const variable = ENV_MAP[key];
  if (variable && paths.includes(variable)) return variable;
  const leaf = nearest(key, paths.map((p) => p.split('.').at(-1)!));
  return leaf === undefined ? undefined : paths.find((p) => p.split('.').at(-1) === leaf);
}

const normalized = (name: string) => name.toLowerCase().replace(/[_-]/g, '');

/** The closest of `candidates` to `name`: same letters ignoring case and separators, else a few edits away. */
export function nearest(name: string, candidates: readonly string[]): string | undefined {
  const target = normalized(name);
  const same = candidates.find((c) => normalized(c) === target);
  if (same) return same;
  const limit = Math.min(3, Math.max(1, Math.floor(target.length / 3)));
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(target, normalized(candidate));
    if (distance <= limit && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swapped neighbours. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}
