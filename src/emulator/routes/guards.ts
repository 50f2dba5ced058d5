// Checks shared by the route modules. Each throws the HTTP error Docker Hub would answer with.

import { organizationRole, repositoryPermissions } from '../access.js';
import type { Principal } from '../auth.js';
import { fail, type RouteContext } from '../http.js';
import type { OrgRole, RepositoryPermissions } from '../model.js';
import type { RepoState } from '../state/repositories.js';

export function requireUser(ctx: RouteContext): Extract<Principal, { kind: 'user' }> {
  const { principal } = ctx;
  if (principal.kind === 'anonymous') fail(ctx.errors, 401, 'Authentication credentials were not provided.');
  if (principal.kind !== 'user') fail(ctx.errors, 403, 'token issued from organization access token is not allowed on this endpoint');
  return principal;
}

/** PAT management and organization management need a password login (or, for organizations, an OAT). */
export function refusePatToken(ctx: RouteContext, what: string): void {
  const { principal } = ctx;
  if (principal.kind === 'user' && principal.source === 'pat') {
    fail(ctx.errors, 403, `token issued from personal access token is not allowed to ${what}; sign in with your password or use an organization access token`);
  }
}

/** Hub's answer to an OAT on a legacy repository path (spec c95ded2), whatever the token's scopes. */
const OAT_LEGACY_REFUSAL = 'token issued from organization access token is not allowed';

/** Legacy `/v2/repositories/…` and `/v2/users/{username}/repositories` paths refuse every OAT. */
export function refuseOat(ctx: RouteContext): void {
  if (ctx.principal.kind === 'oat') fail(ctx.errors, 403, OAT_LEGACY_REFUSAL);
}

export function namespaceExists(ctx: RouteContext, namespace: string): void {
  if (!ctx.state.repositories.hasNamespace(namespace)) fail(ctx.errors, 404, `namespace ${namespace} not found`);
}

export interface VisibleRepository {
  repo: RepoState;
  permissions: RepositoryPermissions;
}

/** A repository the caller may read; private ones without access are reported as missing, like Hub. */
export function readableRepository(ctx: RouteContext, namespace: string, name: string): VisibleRepository {
  namespaceExists(ctx, namespace);
  const repo = ctx.state.repositories.get(namespace, name);
  const permissions = repo ? repositoryPermissions(ctx.state, ctx.principal, namespace, repo.seed.isPrivate) : undefined;
  if (!repo || !permissions?.read) fail(ctx.errors, 404, `repository ${namespace}/${name} not found`);
  return { repo, permissions };
}

export function writableRepository(ctx: RouteContext, namespace: string, name: string, level: 'write' | 'admin' = 'write'): VisibleRepository {
  if (ctx.principal.kind === 'anonymous') fail(ctx.errors, 401, 'Authentication credentials were not provided.');
  const visible = readableRepository(ctx, namespace, name);
  if (!visible.permissions[level]) fail(ctx.errors, 403, `you need ${level} access to ${namespace}/${name}`);
  return visible;
}

const RANK: Record<OrgRole, number> = { member: 1, editor: 2, owner: 3 };

/** The organization exists and the caller has at least `level` in it (an OAT of the organization counts as owner). */
export function requireOrg(ctx: RouteContext, org: string, level: OrgRole): OrgRole {
  if (ctx.principal.kind === 'anonymous') fail(ctx.errors, 401, 'Authentication credentials were not provided.');
  if (!ctx.state.orgs.has(org)) fail(ctx.errors, 404, `organization ${org} not found`);
  const role = organizationRole(ctx.state, ctx.principal, org);
  if (role === undefined) fail(ctx.errors, 403, `you are not a member of ${org}`);
  if (RANK[role] < RANK[level]) fail(ctx.errors, 403, `only organization ${level}s can use this endpoint`);
  return role;
}
