import { sql } from 'drizzle-orm';
import { rowsOf } from '../db/client.js';
import { HubNotFoundError, HubPermissionError } from '../hub/errors.js';
import { HUB_PATHS, hubPath } from '../hub/paths.js';
import type { SyncDeps, SyncOptions, SyncPlan } from './context.js';

export class PlanError extends Error {}

/** What to do when the configuration names nothing to read. */
export const NOTHING_CONFIGURED = 'set DOCKERHUB_NAMESPACES (users or organizations to read), or DOCKERHUB_USERNAME to read your own namespace.';

/** Where earlier versions kept the answers (sync_state rows of a pseudo-endpoint); still read, never written. */
const LEGACY_KIND_ENDPOINT = '_namespace_kind';

/**
 * Is each namespace an organization? Asked once per namespace (a one-item member listing: 404
 * means a user account) and remembered in sync_state, so later passes cost nothing.
 */
async function detectOrgs(deps: SyncDeps, namespaces: string[], options: SyncOptions): Promise<string[]> {
  const { database, logger } = deps;
  const known = new Map<string, string>();
  const result = await database.db.execute(sql`
    SELECT namespace, kind FROM dockerhub.namespace_kinds
    UNION ALL
    SELECT slice_key, cursor->>'kind' FROM dockerhub.sync_state
    WHERE endpoint = ${LEGACY_KIND_ENDPOINT} AND slice_key NOT IN (SELECT namespace FROM dockerhub.namespace_kinds)`);
  for (const row of rowsOf<{ namespace: string; kind: string }>(result)) known.set(row.namespace, row.kind);
  const probe = async (namespace: string): Promise<'org' | 'user'> => {
    let kind: 'org' | 'user';
    let conclusive = true;
    try {
      // Asked with the credential that serves the namespace: an organization access token sees only its own.
      const client = deps.clients?.forScope(namespace).client ?? deps.client;
      await client.request({
        path: hubPath(HUB_PATHS.orgMembers, { org: namespace }),
        query: { page_size: 1 },
        endpoint: `organization check for ${namespace}`,
      });
      kind = 'org';
    } catch (error) {
      if (error instanceof HubNotFoundError) kind = 'user';
      else {
        // Forbidden or anything else: it exists as an organization we may not fully read;
        // its endpoints will report the precise permission problem.
        logger.debug({ namespace, err: error }, 'organization check inconclusive; treating as organization');
        kind = 'org';
        // A failed login or an outage says nothing about the namespace: ask again next pass.
        conclusive = error instanceof HubPermissionError;
      }
    }
    if (!options.dryRun && conclusive) {
      await database.db.execute(sql`
        INSERT INTO dockerhub.namespace_kinds (namespace, kind, checked_at)
        VALUES (${namespace}, ${kind}, now())
        ON CONFLICT (namespace) DO UPDATE SET kind = excluded.kind, checked_at = now()`);
    }
    return kind;
  };
  const shared = deps.namespaceKinds;
  const orgs: string[] = [];
  for (const namespace of namespaces) {
    const stored = options.full ? undefined : known.get(namespace);
    let kind: string;
    if (stored) kind = stored;
    else if (shared && !options.full) {
      let pending = shared.get(namespace);
      if (!pending) {
        pending = probe(namespace);
        shared.set(namespace, pending);
        pending.catch(() => shared.delete(namespace));
      }
      kind = await pending;
    } else kind = await probe(namespace);
    if (kind === 'org') orgs.push(namespace);
  }
  return orgs;
}

/** Resolve who and what this pass covers from config, flags and (once) the API. */
export async function buildPlan(deps: SyncDeps, options: SyncOptions): Promise<SyncPlan> {
  return planOf(deps, options, (ask) => detectOrgs(deps, ask, options));
}

/**
 * The plan from config, flags and credentials; `detect` answers which of the namespaces it asks
 * about are organizations (a pass remembers the answers, `doctor` asks without a database).
 */
export async function planOf(deps: Pick<SyncDeps, 'config' | 'clients'>, options: SyncOptions, detect: (namespaces: string[]) => Promise<string[]>): Promise<SyncPlan> {
  const { config } = deps;
  const username = config.hub.username;
  const authenticated = Boolean(config.hub.token || config.hub.password || config.hub.jwt);
  const credentials = deps.clients?.credentials ?? [];
  const knownOrgs = credentials.flatMap((c) => c.knownOrgs ?? []);
  let namespaces = configuredNamespaces(config, credentials);
  if (options.namespaces && options.namespaces.length > 0) namespaces = [...new Set(options.namespaces)];
  if (namespaces.length === 0 && !(config.orgs && config.orgs.length > 0) && knownOrgs.length === 0) {
    throw new PlanError(`Nothing to sync: ${NOTHING_CONFIGURED}`);
  }
  const wanted = (org: string) => !options.namespaces || options.namespaces.length === 0 || options.namespaces.includes(org);
  let orgs: string[];
  if (config.orgs) {
    orgs = [...new Set([...config.orgs, ...knownOrgs])].filter(wanted);
  } else {
    // Organization endpoints need credentials; anonymous passes read public repositories only.
    // A credential that names its organizations (or is an organization's token) is not asked.
    const decided = new Set(credentials.filter((c) => c.knownOrgs).flatMap((c) => c.scopes));
    const ask = namespaces.filter((ns) => !decided.has(ns) && (authenticated || (deps.clients !== undefined && deps.clients.forScope(ns).kind !== 'default')));
    // A hinted pass reads repositories only: it asks Docker Hub nothing else.
    const detected = ask.length > 0 && !options.hints ? await detect(ask) : [];
    orgs = [...new Set([...knownOrgs.filter(wanted), ...detected])];
  }
  const user = authenticated && username && !orgs.includes(username) ? username : undefined;
  return {
    namespaces,
    orgs,
    user,
    full: Boolean(options.full),
    ...(options.followAudit ? { followAudit: true } : {}),
    dryRun: Boolean(options.dryRun),
    backfill: options.backfill,
    ...(options.hints ? { hints: options.hints } : {}),
  };
}

/**
 * The namespaces a pass reads when none is named: DOCKERHUB_NAMESPACES and those of the
 * credentials, else the user's own.
 */
export function configuredNamespaces(config: SyncDeps['config'], credentials: readonly { namespaces: readonly string[] }[] = []): string[] {
  const listed = [...new Set([...config.namespaces, ...credentials.flatMap((c) => c.namespaces)])];
  return listed.length > 0 ? listed : config.hub.username ? [config.hub.username] : [];
}
