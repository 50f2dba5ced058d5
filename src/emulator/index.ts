// The Docker Hub emulator: deterministic data from a seed and a scale, the real read endpoints and
// the writes a destination uses, Hub's auth, pagination shapes, rate limits and faults on demand.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { adminRoutes } from './admin.js';
import { Authenticator } from './auth.js';
import { systemClock } from './clock.js';
import { Faults, type FaultOptions } from './faults.js';
import { EMULATOR_PASSWORD, generateWorld } from './generator/world.js';
import { Router } from './http.js';
import type { Credentials, EmulatorOptions } from './options.js';
import { pageFaultProblems, resolveOptions } from './options.js';
import { RateLimiter } from './rate-limit.js';
import { RequestLog } from './request-log.js';
import { accessTokenRoutes } from './routes/access-tokens.js';
import { auditLogRoutes } from './routes/audit-logs.js';
import { authRoutes } from './routes/auth.js';
import { groupRoutes } from './routes/groups.js';
import { orgRoutes } from './routes/orgs.js';
import { repositoryRoutes } from './routes/repositories.js';
import { scimRoutes, scimToken } from './routes/scim.js';
import { DATA_API_PREFIX, enterpriseDataRoutes } from './routes/enterprise-data.js';
import { createRequestHandler } from './server.js';
import { startObjectStorage, type ObjectStorage } from './storage.js';
import { type EmulatorSnapshot, EmulatorState, type SnapshotOptions } from './state/state.js';

export type { Clock } from './clock.js';
export type { Credentials, EmulatorOptions } from './options.js';
export type { FaultOptions, PageFault, PageFaultMode } from './faults.js';
export { EXTRA_FIELD_NAME } from './faults.js';
export type { RequestLog } from './request-log.js';
export type { EmulatorSnapshot, SnapshotOptions } from './state/state.js';
export type { ObjectStorage, StorageViolation } from './storage.js';
export type { ReportCorruption } from './state/usage.js';
export { DATA_API_PREFIX } from './routes/enterprise-data.js';
export { EmulatorState } from './state/state.js';
export type { NewRepositoryInput, NewTagInput } from './state/repositories.js';
export type * from './model.js';

export const API_ROUTES = [...authRoutes, ...repositoryRoutes, ...auditLogRoutes, ...orgRoutes, ...groupRoutes, ...accessTokenRoutes, ...scimRoutes];

/** Every name `requests.counts` can contain (plus `not_found` and `method_not_allowed`). */
export const ROUTE_NAMES: readonly string[] = API_ROUTES.map((r) => r.name);

export interface RuntimeSettings extends FaultOptions {
  rateLimitPerMinute: number | null;
}

export interface RunningEmulator {
  /** Base URL, e.g. http://127.0.0.1:43121 (use as DOCKERHUB_API_URL). */
  url: string;
  port: number;
  state: EmulatorState;
  credentials: Credentials;
  requests: RequestLog;
  /** The Enterprise Data API's base URL on this emulator (use as DOCKERHUB_DATA_API_URL). */
  dataApiUrl: string;
  /** The object-storage stand-in the report downloads redirect to (another port). */
  storage: ObjectStorage;
  /** API-shaped objects exactly as the API returns them to an owner. */
  snapshot(options?: SnapshotOptions): EmulatorSnapshot;
  /** Change faults or the rate limit while running. */
  configure(change: Partial<RuntimeSettings>): void;
  close(): Promise<void>;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const resolved = resolveOptions(options);
  const clock = options.clock ?? systemClock;
  const world = generateWorld(resolved.seed, resolved.scale, options.epochMs);
  const state = new EmulatorState(world, clock);
  const auth = new Authenticator(state, clock, {
    tokenTtlSeconds: resolved.tokenTtlSeconds,
    lockoutAfterFailures: resolved.lockoutAfterFailedLogins,
    ...(options.twoFactorCode !== undefined ? { twoFactorCode: options.twoFactorCode } : {}),
  });
  const limiter = new RateLimiter(clock, resolved.rateLimitPerMinute);
  const faults = new Faults(world.seedKey, {
    latencyMs: resolved.latencyMs,
    errorRate: resolved.errorRate,
    dropRate: resolved.dropRate,
    malformedRate: resolved.malformedRate,
    extraField: resolved.extraField,
    pageFault: resolved.pageFault,
    pageSizeCap: resolved.pageSizeCap,
    loginErrorStatus: null,
  });
  const requests = new RequestLog();
  const credentials = credentialsOf(state);

  const storage = await startObjectStorage({ host: resolved.host, clock, read: (key) => reportObject(state, key) });
  const server = createServer(
    createRequestHandler({
      state,
      auth,
      api: new Router([...API_ROUTES, ...enterpriseDataRoutes(storage)]),
      admin: new Router(adminRoutes({ requests, faults, limiter, credentials })),
      limiter,
      rateLimitBy: resolved.rateLimitBy,
      faults,
      requests,
      clock,
      logger: options.logger,
    }),
  );
  server.keepAliveTimeout = 5_000;
  await listen(server, resolved.port, resolved.host).catch(async (error: unknown) => {
    await storage.close();
    throw error;
  });
  const { port } = server.address() as AddressInfo;
  const host = resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host;
  options.logger?.info({ port, seed: resolved.seed, scale: resolved.scale }, 'docker hub emulator listening');

  return {
    url: `http://${host}:${port}`,
    port,
    dataApiUrl: `http://${host}:${port}${DATA_API_PREFIX}`,
    storage,
    state,
    credentials,
    requests,
    snapshot: (snapshotOptions) => state.snapshot(snapshotOptions),
    configure: (change) => {
      const { rateLimitPerMinute, ...faultChange } = change;
      const problems = pageFaultProblems(faultChange.pageFault ?? null, faultChange.pageSizeCap ?? null);
      if (problems.length > 0) throw new Error(`invalid emulator settings:\n- ${problems.join('\n- ')}`);
      if (rateLimitPerMinute !== undefined) limiter.setLimit(rateLimitPerMinute);
      faults.configure(faultChange);
    },
    close: async () => {
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      await storage.close();
    },
  };
}

/** The secrets tests and the demo sign in with: the user's, the first OAT of each organization, the SCIM tokens. */
function credentialsOf(state: EmulatorState): Credentials {
  const { world } = state;
  return {
    username: world.user.username,
    password: EMULATOR_PASSWORD,
    pat: world.pats[0]?.secret ?? '',
    oat: world.orgs.map((org) => ({ org: org.name, token: org.oats[0]?.secret ?? '' })),
    member: { username: world.member.username, password: EMULATOR_PASSWORD, org: world.orgs[0]?.name ?? '' },
    scim: world.orgs.map((org) => ({ org: org.name, token: scimToken(state, org.name) })),
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** A report CSV by its storage key (`org/usage_pulls/cadence/date.csv`), when that report exists. */
function reportObject(state: EmulatorState, key: string): string | undefined {
  const match = /^([^/]+)\/([^/]+)\/([^/]+)\/(\d{4}-\d{2}-\d{2})\.csv$/.exec(key);
  if (!match) return undefined;
  const [, org, type, cadence, date] = match as unknown as [string, string, string, string, string];
  if (!state.usage.reports(org, type, cadence)?.some((r) => r.Date === date)) return undefined;
  return state.usage.csv(org, cadence, date);
}
