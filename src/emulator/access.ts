// Who may see and change what. Deliberately coarse, but faithful where a sync notices:
// private repositories are invisible (404) to anyone without read access, organization endpoints
// answer 403 to non-members, owner-only endpoints answer 403 to plain members, PAT scopes cap
// repository access, and an OAT only reaches its own organization.

import type { Principal } from './auth.js';
import type { OrgRole, RepositoryPermissions } from './model.js';
import type { EmulatorState } from './state/state.js';

const NONE: RepositoryPermissions = { read: false, write: false, admin: false };
const READ: RepositoryPermissions = { read: true, write: false, admin: false };
const WRITE: RepositoryPermissions = { read: true, write: true, admin: false };
const ADMIN: RepositoryPermissions = { read: true, write: true, admin: true };

function capByPatScopes(base: RepositoryPermissions, scopes: string[], isPrivate: boolean): RepositoryPermissions {
  if (scopes.includes('repo:admin')) return base;
  const cap = scopes.includes('repo:write') ? WRITE : scopes.includes('repo:read') ? READ : scopes.includes('repo:public_read') && !isPrivate ? READ : NONE;
  return { read: base.read && cap.read, write: base.write && cap.write, admin: base.admin && cap.admin };
}

export function repositoryPermissions(state: EmulatorState, principal: Principal, namespace: string, isPrivate: boolean): RepositoryPermissions {
  const publicAccess = isPrivate ? NONE : READ;
  if (principal.kind === 'anonymous') return publicAccess;
  if (principal.kind === 'oat') {
    if (principal.org !== namespace) return publicAccess;
    // `repo-push` in older texts of the spec, `scope-image-push` since c95ded2.
    return principal.scopes.includes('repo-push') || principal.scopes.includes('scope-image-push') ? WRITE : READ;
  }
  let base: RepositoryPermissions;
  if (namespace === principal.username) base = ADMIN;
  else {
    const role = state.orgs.role(namespace, principal.username);
    base = role === 'owner' ? ADMIN : role === 'editor' ? WRITE : role === 'member' ? READ : publicAccess;
  }
  return principal.source === 'pat' ? capByPatScopes(base, principal.scopes, isPrivate) : base;
}

/** The caller's standing in an organization; an OAT of the organization counts as an owner. */
export function organizationRole(state: EmulatorState, principal: Principal, org: string): OrgRole | undefined {
  if (principal.kind === 'anonymous') return undefined;
  if (principal.kind === 'oat') return principal.org === org ? 'owner' : undefined;
  return state.orgs.role(org, principal.username);
}

/**
 * Whether an organization access token holds a scope (spec c95ded2 names them `scope-…`). A user's
 * credential is not limited by OAT scopes.
 */
export function oatHasScope(principal: Principal, scope: string): boolean {
  return principal.kind !== 'oat' || principal.scopes.includes(scope);
}

/**
 * The repositories a listing shows the caller: an OAT of the namespace without
 * `scope-repository-list` sees the public ones only, with a normal 200 (spec c95ded2, "OAT listing
 * behavior"); getting a private repository by name is not affected.
 */
export function listsPrivateRepositories(principal: Principal, namespace: string): boolean {
  return !(principal.kind === 'oat' && principal.org === namespace && !principal.scopes.includes('scope-repository-list'));
}

/** Who the audit log should name as the actor of a write. */
export function actorName(principal: Principal): string {
  if (principal.kind === 'user') return principal.username;
  if (principal.kind === 'oat') return principal.org;
  return 'anonymous';
}
