import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import { PAGE_FAULT_MODES, type PageFault } from './faults.js';

/**
 * Options of `startEmulator`. The first block maps 1:1 to the CLI flags of
 * `dockerhub-sync emulator` (--port --seed --scale --rate-limit --latency --error-rate
 * --drop-rate --malformed-rate --extra-field --token-ttl).
 */
export interface EmulatorOptions {
  /** --port; 0 (default) picks a free port. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** --seed; same seed and scale → byte-identical data. Default 1. */
  seed?: number | string;
  /** --scale; 1 ≈ 40 repositories, 100 ≈ 4,000, 250 ≈ 1M tags. Default 1. */
  scale?: number;
  /** --rate-limit; requests per minute before 429. null or 0: never 429 (headers still sent). Default null. */
  rateLimitPerMinute?: number | null;
  /**
   * --rate-limit-by; whose budget a request spends: `address` (the caller's IP, Hub's anonymous
   * rule) or `credential` (the user or organization the bearer token was issued to; requests
   * without a token fall back to the address). Default address.
   */
  rateLimitBy?: RateLimitScope;
  /** --latency; added delay per API response in ms. Default 0. */
  latencyMs?: number;
  /** --error-rate; 0..1 share of API requests answered 500/502/503. Default 0. */
  errorRate?: number;
  /** --drop-rate; 0..1 share of API requests whose connection is destroyed. Default 0. */
  dropRate?: number;
  /** --malformed-rate; 0..1 share of list items altered to fail the schema. Default 0. */
  malformedRate?: number;
  /** --extra-field; every item gains an unknown field (schema drift). Default false. */
  extraField?: boolean;
  /** --token-ttl; lifetime of issued JWTs in seconds. Default 600 (Hub: about ten minutes). */
  tokenTtlSeconds?: number;
  /** --page-fault <page>:<empty|missing|short>; one broken page in every paged list. Default none. */
  pageFault?: PageFault | null;
  /** --page-size-cap; at most this many items per page whatever page_size asks. Default none. */
  pageSizeCap?: number | null;
  /** --epoch; the "now" of the generated data (unix ms). Default: fixed by the seed. */
  epochMs?: number;

  logger?: Logger;
  /** Time source (tests: expire tokens, roll rate-limit windows). Generated data never depends on it. */
  clock?: Clock;
  /** Turns on 2FA for the user: password logins on /v2/users/login then need this code. */
  twoFactorCode?: string;
  /** Failed logins per identifier before a ten-minute lockout (0 disables). Default 5. */
  lockoutAfterFailedLogins?: number;
}

export type RateLimitScope = 'address' | 'credential';

export interface Credentials {
  /** The emulated user (owner of every organization). */
  username: string;
  password: string;
  /** A personal access token of the user (scope repo:admin). */
  pat: string;
  /** One organization access token per organization; the identifier is the organization name. */
  oat: { org: string; token: string }[];
  /** A plain member of the first organization, for tests of what non-owners see. */
  member: { username: string; password: string; org: string };
  /** One SCIM token per organization (bearerSCIMAuth on /v2/scim/2.0/…). */
  scim: { org: string; token: string }[];
}

export interface ResolvedOptions {
  port: number;
  host: string;
  seed: number | string;
  scale: number;
  rateLimitPerMinute: number | null;
  rateLimitBy: RateLimitScope;
  latencyMs: number;
  errorRate: number;
  dropRate: number;
  malformedRate: number;
  extraField: boolean;
  pageFault: PageFault | null;
  pageSizeCap: number | null;
  tokenTtlSeconds: number;
  lockoutAfterFailedLogins: number;
}

/** Defaults applied, and every invalid option reported at once. */
export function resolveOptions(options: EmulatorOptions): ResolvedOptions {
  const resolved: ResolvedOptions = {
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    seed: options.seed ?? 1,
    scale: options.scale ?? 1,
    rateLimitPerMinute: options.rateLimitPerMinute ?? null,
    rateLimitBy: options.rateLimitBy ?? 'address',
    latencyMs: options.latencyMs ?? 0,
    errorRate: options.errorRate ?? 0,
    dropRate: options.dropRate ?? 0,
    malformedRate: options.malformedRate ?? 0,
    extraField: options.extraField ?? false,
    pageFault: options.pageFault ?? null,
    pageSizeCap: options.pageSizeCap ?? null,
    tokenTtlSeconds: options.tokenTtlSeconds ?? 600,
    lockoutAfterFailedLogins: options.lockoutAfterFailedLogins ?? 5,
  };
  const problems: string[] = [];
  if (!Number.isInteger(resolved.port) || resolved.port < 0 || resolved.port > 65535) problems.push(`port must be an integer 0..65535 (got ${resolved.port})`);
  if (!(resolved.scale > 0) || !Number.isFinite(resolved.scale)) problems.push(`scale must be a positive number (got ${resolved.scale})`);
  if (resolved.rateLimitPerMinute !== null && !(Number.isInteger(resolved.rateLimitPerMinute) && resolved.rateLimitPerMinute >= 0)) {
    problems.push(`rateLimitPerMinute must be a non-negative integer or null (got ${resolved.rateLimitPerMinute})`);
  }
  if (resolved.rateLimitBy !== 'address' && resolved.rateLimitBy !== 'credential') problems.push(`rateLimitBy must be "address" or "credential" (got ${String(resolved.rateLimitBy)})`);
  if (!(resolved.latencyMs >= 0)) problems.push(`latencyMs must be ≥ 0 (got ${resolved.latencyMs})`);
  for (const key of ['errorRate', 'dropRate', 'malformedRate'] as const) {
    if (!(resolved[key] >= 0 && resolved[key] <= 1)) problems.push(`${key} must be between 0 and 1 (got ${resolved[key]})`);
  }
  problems.push(...pageFaultProblems(resolved.pageFault, resolved.pageSizeCap));
  if (!(Number.isInteger(resolved.tokenTtlSeconds) && resolved.tokenTtlSeconds > 0)) problems.push(`tokenTtlSeconds must be a positive integer (got ${resolved.tokenTtlSeconds})`);
  if (problems.length > 0) throw new Error(`invalid emulator options:\n- ${problems.join('\n- ')}`);
  return resolved;
}

/** What is wrong with a page fault or a page size cap (empty when both are fine). */
export function pageFaultProblems(fault: PageFault | null, cap: number | null): string[] {
  const problems: string[] = [];
  if (fault !== null) {
    if (!Number.isInteger(fault.page) || fault.page < 1) problems.push(`pageFault.page must be an integer ≥ 1 (got ${String(fault.page)})`);
    if (!PAGE_FAULT_MODES.includes(fault.mode)) problems.push(`pageFault.mode must be one of ${PAGE_FAULT_MODES.join(', ')} (got ${String(fault.mode)})`);
  }
  if (cap !== null && !(Number.isInteger(cap) && cap >= 1)) problems.push(`pageSizeCap must be an integer ≥ 1 or null (got ${String(cap)})`);
  return problems;
}
