import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { CREDENTIAL_KINDS, credentialProblems } from './hub/credentials.js';

/**
 * Configuration comes from the environment (12-factor) and, optionally, a YAML or JSON file
 * given with `--config`. The environment wins over the file so a deployment can override one
 * value without editing the file. Everything is parsed once, here; the rest of the code gets a
 * typed `Config` and never reads `process.env` itself.
 */

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Docker Hub's own rule for namespace names (lower-case, 2-255 chars, no leading separator). */
const NAMESPACE_RE = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

const namespaceName = z
  .string()
  .regex(NAMESPACE_RE, 'is not a valid Docker Hub namespace (lower-case letters, digits, . _ -)');

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

const cronExpression = z.string().trim().min(1);

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

export const configSchema = z
  .object({
    databaseUrl: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
      .optional(),
    dataDir: z.string().min(1).default('./data'),
    hub: z
      .object({
        apiUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default('https://hub.docker.com'),
        username: z.string().min(1).optional(),
        token: z.string().min(1).optional(),
        password: z.string().min(1).optional(),
        jwt: z.string().min(1).optional(),
        otp: z.string().regex(/^\d{6}$/, 'must be a 6-digit code').optional(),
        maxRetryWait: duration.default(15 * 60_000),
        maxRetries: z.coerce.number().int().min(0).max(20).default(5),
        timeout: duration.default(30_000),
        credentials: z.array(hubCredential).default([]),
        /** Credentials working at the same time in one pass (default: all of them). */
        concurrency: z.coerce.number().int().min(1).max(64).optional(),
      })
      .prefault({}),
    namespaces: commaList.pipe(z.array(namespaceName)).default([]),
    orgs: commaList.pipe(z.array(namespaceName)).optional(),
    logLevel: z.enum(LOG_LEVELS).default('info'),
    port: z.coerce.number().int().min(0).max(65535).default(8080),
    sync: z
      .object({
        /**
         * Between complete repository listings, passes read the list newest first and stop at the
         * first unchanged repository. 0 (the default): every pass reads the complete list.
         */
        repositoryListInterval: duration.default(0),
        /** How often tags of unchanged repositories are re-read for pull recency. */
        tagRefreshInterval: duration.default(24 * 3_600_000),
        /** Audit-log windows start this far before the stored cursor. */
        auditOverlap: duration.default(10 * 60_000),
        /** Length of one audit-log window (backfills are cut into such windows). */
        auditWindow: duration.default(7 * 86_400_000),
        /** How far back the first audit-log read goes when nothing is stored yet. */
        auditInitialLookback: duration.default(90 * 86_400_000),
        /** Unchanged rows get `last_seen_at` refreshed at most this often (bounded write amplification). */
        lastSeenGranularity: duration.default(24 * 3_600_000),
        watchedTags: commaList.pipe(z.array(watchedTag)).default([]),
      })
      .prefault({}),
    schedules: z.record(z.string(), cronExpression).default({}),
    shutdownTimeout: duration.default(30_000),
  });

export type Config = z.infer<typeof configSchema>;

/** Which environment variable feeds which config path; used for parsing and for error messages. */
export const ENV_MAP: Record<string, string> = {
  DATABASE_URL: 'databaseUrl',
  DATA_DIR: 'dataDir',
  DOCKERHUB_API_URL: 'hub.apiUrl',
  DOCKERHUB_USERNAME: 'hub.username',
  DOCKERHUB_TOKEN: 'hub.token',
  DOCKERHUB_PASSWORD: 'hub.password',
  DOCKERHUB_JWT: 'hub.jwt',
  DOCKERHUB_OTP: 'hub.otp',
  DOCKERHUB_MAX_RETRY_WAIT: 'hub.maxRetryWait',
  DOCKERHUB_MAX_RETRIES: 'hub.maxRetries',
  DOCKERHUB_TIMEOUT: 'hub.timeout',
  HUB_CONCURRENCY: 'hub.concurrency',
  DOCKERHUB_NAMESPACES: 'namespaces',
  DOCKERHUB_ORGS: 'orgs',
  DOCKERHUB_WATCHED_TAGS: 'sync.watchedTags',
  TAG_REFRESH_INTERVAL: 'sync.tagRefreshInterval',
  REPOSITORY_LIST_INTERVAL: 'sync.repositoryListInterval',
  AUDIT_OVERLAP: 'sync.auditOverlap',
  AUDIT_WINDOW: 'sync.auditWindow',
  AUDIT_INITIAL_LOOKBACK: 'sync.auditInitialLookback',
  LAST_SEEN_GRANULARITY: 'sync.lastSeenGranularity',
  LOG_LEVEL: 'logLevel',
  PORT: 'port',
  SHUTDOWN_TIMEOUT: 'shutdownTimeout',
  SCHEDULES: 'schedules',
};

const SECRET_PATHS = new Set(['hub.token', 'hub.password', 'hub.jwt', 'hub.otp', 'databaseUrl']);

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
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

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  configFile?: string;
  /** Values from CLI flags; they win over env and file. Dotted paths. */
  overrides?: Record<string, unknown>;
}

/** Parse env + file + overrides, or throw a ConfigError listing every problem at once. */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
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
  const result = configSchema.safeParse(input);
  // Cross-field rules run on the raw input so they are reported together with field errors.
  const crossProblems = [...envProblems, ...crossFieldProblems(input, sourceOf)];
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

  const issues = result.success ? [] : result.error.issues;
  const problems = issues.map((issue) => {
    // Array items (namespaces.0) are reported against the variable that holds the list.
    const pathParts = issue.path.filter((part) => typeof part === 'string');
    const dotted = pathParts.join('.');
    // Name the variable the user actually set, or the file key, so the fix is obvious.
    const envName =
      sourceOf.get(dotted) ??
      Object.entries(ENV_MAP).find(([, p]) => p === dotted)?.[0];
    const where = sourceOf.has(dotted)
      ? sourceOf.get(dotted)!
      : options.configFile
        ? `${dotted || '(top level)'} in ${options.configFile}${envName ? ` (or ${envName})` : ''}`
        : (envName ?? dotted);
    // Never echo a secret back; for other values show what was received.
    const received =
      SECRET_PATHS.has(dotted) || issue.code === 'custom' ? '' : describeReceived(input, issue.path);
    return `${where}: ${issue.message}${received}`;
  });
  throw new ConfigError([...problems, ...crossProblems]);
}

// SCHEDULES="job=cron; job=cron": the environment's form of `schedules`.
function parseSchedules(text: string, variable: string, problems: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(';').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) problems.push(`${variable}: "${part}" is not job=cron (entries are separated by ";")`);
    else out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
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
