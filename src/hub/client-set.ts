// One Docker Hub client per credential, and which one serves a namespace. Each client keeps its
// own login, token refresh, login budget, cache and pacing on its own responses' X-RateLimit-*
// headers; nothing here reaches into a client.

import { countKeys, sumCounts, type CountKeys } from '../counts.js';
import type { HubClient } from './client.js';
import type { CredentialKindName } from './credentials.js';
import type { HubStats } from './types.js';

export interface CredentialClient {
  /** The username: the `credential` label of metrics, status and error messages. Never the secret. */
  name: string;
  kind: CredentialKindName | 'default';
  client: HubClient;
  /** Namespaces and organizations it serves. */
  scopes: readonly string[];
  /** Namespaces whose repositories and audit logs it reads. */
  namespaces: readonly string[];
  /** Organizations known without asking Docker Hub (undefined: ask). */
  knownOrgs: readonly string[] | undefined;
  /**
   * The Enterprise Data API client of an organization access token (its bearer, sent as is, bound
   * to the Data API's origin); undefined for any other kind of credential, which that API refuses.
   */
  data?: HubClient | undefined;
}

export interface HubClientSet {
  /** The credentials of `hub.credentials`, in config order. */
  readonly credentials: readonly CredentialClient[];
  /** DOCKERHUB_USERNAME/DOCKERHUB_TOKEN, or anonymous: serves what no listed credential serves. */
  readonly fallback: CredentialClient;
  /** The credential serving a namespace or organization. */
  forScope(scope: string): CredentialClient;
  /** Counters of every client, added up. */
  stats(): HubStats;
  statsByCredential(): Map<string, HubStats>;
  /** Every secret of the set, for redaction. */
  readonly secrets: readonly string[];
  close(): Promise<void>;
}

export function createHubClientSet(
  credentials: readonly CredentialClient[],
  fallback: CredentialClient,
  options: { secrets?: readonly string[]; onClose?: () => Promise<void> } = {},
): HubClientSet {
  const byScope = new Map<string, CredentialClient>();
  for (const credential of credentials) for (const scope of credential.scopes) if (!byScope.has(scope)) byScope.set(scope, credential);
  const all = [...credentials, fallback];
  const clientsOf = (c: CredentialClient) => (c.data ? [c.client, c.data] : [c.client]);
  return {
    credentials,
    fallback,
    forScope: (scope) => byScope.get(scope) ?? fallback,
    stats: () => addStats(all.flatMap(clientsOf).map((client) => client.stats)),
    // The Hub client's rate-limit headers stand for the credential (the Data API is paced apart).
    statsByCredential: () => new Map(all.map((c) => [c.name, c.data ? { ...addStats([c.client.stats, c.data.stats]), rateLimit: c.client.stats.rateLimit } : c.client.stats])),
    secrets: options.secrets ?? [],
    async close() {
      await Promise.allSettled(all.flatMap(clientsOf).map((client) => client.close()));
      await options.onClose?.();
    },
  };
}

/** A set of one: the shorthand credential (or anonymous) serving everything. */
export function singleClientSet(client: HubClient, name: string): HubClientSet {
  return createHubClientSet([], { name, kind: 'default', client, scopes: [], namespaces: [], knownOrgs: undefined });
}

const HUB_COUNTERS = countKeys<CountKeys<HubStats>>({ requests: true, retries: true, rateLimited: true, bytes: true, waitedMs: true, cacheHits: true, logins: true, networkErrors: true });

/** The counters of several clients added up (rate-limit headers are per client: not added). */
function addStats(all: HubStats[]): HubStats {
  return { ...sumCounts(HUB_COUNTERS, all), rateLimit: {} };
}
