/**
 * The registry of built-in endpoints: an explicit array that the CLI (`--only`, `status`), the
 * scheduler, the docs and the tests all read. Order is the order a sync pass runs them in:
 * parents before the endpoints chained from them.
 */
export interface EndpointInfo {
  name: string;
  title: string;
  table: string;
  /** Docker Hub API reference for the call. */
  reference: string;
}

export const endpointInfos: readonly EndpointInfo[] = [
  { name: 'repositories', title: 'List repositories in a namespace', table: 'repositories, repository_stats', reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/repositories/operation/listNamespaceRepositories' },
  { name: 'repository_details', title: 'Get a repository (detail-only fields), chained from the list', table: 'repositories', reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/repositories/operation/GetRepository' },
  { name: 'tags', title: 'List repository tags and their images, chained from the list', table: 'tags, tag_images', reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/repositories/operation/ListRepositoryTags' },
  { name: 'watched_tags', title: 'Get one tag (configured watched tags)', table: 'tags, tag_images', reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/repositories/operation/GetRepositoryTag' },
  { name: 'audit_logs', title: 'Audit log events', table: 'audit_logs', reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/audit-logs/operation/AuditLogs_ListAuditLogs' },
  { name: 'audit_log_actions', title: 'Audit log action catalogue', table: 'audit_log_actions', reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/audit-logs/operation/AuditLogs_ListAuditActions' },
  { name: 'org_members', title: 'Organization members', table: 'org_members', reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/org-members' },
  { name: 'teams', title: 'Teams (groups) of an organization', table: 'teams', reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/groups' },
  { name: 'team_members', title: 'Members of each team', table: 'team_members', reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/groups' },
  { name: 'org_settings', title: 'Organization settings', table: 'org_settings', reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/org-settings' },
  { name: 'access_tokens', title: 'Personal access tokens (metadata)', table: 'access_tokens', reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/access-tokens' },
  { name: 'org_access_tokens', title: 'Organization access tokens (metadata)', table: 'org_access_tokens', reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/org-access-tokens' },
  { name: 'org_invites', title: 'Pending invites of an organization', table: 'org_invites', reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/invites' },
];

export const endpointNames: readonly string[] = endpointInfos.map((e) => e.name);
