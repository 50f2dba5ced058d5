import { describe, expect, it } from 'vitest';
import { endpoints } from '../../../src/endpoints/index.js';
import { hubRouteLabel, hubRoutes, statusClass } from '../../../src/server/hub-routes.js';

const routes = hubRoutes(endpoints);

describe('hubRouteLabel', () => {
  it.each([
    ['/v2/auth/token', 'auth'],
    ['/v2/users/login', 'auth'],
    ['/v2/namespaces/acme/repositories?page_size=100&page=2', 'repositories'],
    ['/v2/namespaces/acme/repositories/api', 'repository_details'],
    ['/v2/namespaces/acme/repositories/api/tags?page_size=100', 'tags'],
    ['/v2/namespaces/acme/repositories/api/tags/latest', 'tag'],
    ['/v2/namespaces/acme/repositories/api/immutabletags', 'repository_settings'],
    ['/v2/repositories/acme/api/', 'repository_admin'],
    ['/v2/auditlogs/acme?from=2025-01-01T00:00:00Z&page=3', 'audit_logs'],
    ['/v2/auditlogs/acme/actions', 'audit_log_actions'],
    ['/v2/orgs/acme/members?page_size=1', 'org_members'],
    ['/v2/orgs/acme/members/export', 'org_members'],
    ['/v2/orgs/acme/members/judy', 'org_member'],
    ['/v2/orgs/acme/groups', 'teams'],
    ['/v2/orgs/acme/groups/owners', 'team'],
    ['/v2/orgs/acme/groups/owners/members', 'team_members'],
    ['/v2/orgs/acme/settings', 'org_settings'],
    ['/v2/orgs/acme/settings/registry-access-management', 'org_settings'],
    ['/v2/access-tokens', 'access_tokens'],
    ['/v2/access-tokens/3b1f', 'access_tokens'],
    ['/v2/orgs/acme/access-tokens?page=2', 'org_access_tokens'],
    ['/v2/orgs/acme/invites', 'org_invites'],
    ['/v2/invites/bulk', 'org_invites'],
    ['https://hub.docker.com/v2/namespaces/acme/repositories?page=2', 'repositories'],
    ['/v2/something/new', 'other'],
    ['', 'other'],
  ])('%s → %s', (path, label) => {
    expect(hubRouteLabel(path, routes)).toBe(label);
  });

  it.each([
    [200, '2xx'],
    [404, '4xx'],
    [429, '4xx'],
    [503, '5xx'],
    [undefined, 'error'],
  ])('statusClass(%s) = %s', (status, expected) => {
    expect(statusClass(status)).toBe(expected);
  });
});
