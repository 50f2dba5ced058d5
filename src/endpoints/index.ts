import { accessTokensEndpoint } from './access-tokens.js';
import { auditLogActionsEndpoint } from './audit-log-actions.js';
import { auditLogsEndpoint } from './audit-logs.js';
import { orgAccessTokensEndpoint } from './org-access-tokens.js';
import { orgInvitesEndpoint } from './org-invites.js';
import { orgMembersEndpoint } from './org-members.js';
import { orgSettingsEndpoint } from './org-settings.js';
import { pullUsageEndpoint } from './pull-usage.js';
import { pullUsageReportsEndpoint } from './pull-usage-reports.js';
import { repositoriesEndpoint } from './repositories.js';
import { repositoryDetailsEndpoint } from './repository-details.js';
import { scimUsersEndpoint } from './scim-users.js';
import { tagsEndpoint } from './tags.js';
import { teamMembersEndpoint } from './team-members.js';
import { teamsEndpoint } from './teams.js';
import type { EndpointDefinition } from '../sync/context.js';
import { watchedTagsEndpoint } from './watched-tags.js';

/**
 * The registry of built-in endpoints: an explicit array that the CLI (`--only`, `status`), the
 * scheduler, the docs and the tests all read. Order is the order a sync pass runs them in:
 * parents before the endpoints chained from them.
 */
export const endpoints: readonly EndpointDefinition[] = [
  repositoriesEndpoint,
  repositoryDetailsEndpoint,
  tagsEndpoint,
  watchedTagsEndpoint,
  auditLogsEndpoint,
  auditLogActionsEndpoint,
  orgMembersEndpoint,
  teamsEndpoint,
  teamMembersEndpoint,
  orgSettingsEndpoint,
  accessTokensEndpoint,
  orgAccessTokensEndpoint,
  orgInvitesEndpoint,
  scimUsersEndpoint,
  pullUsageReportsEndpoint,
  pullUsageEndpoint,
];

export const endpointNames: readonly string[] = endpoints.map((e) => e.name);

export function findEndpoint(name: string): EndpointDefinition | undefined {
  return endpoints.find((e) => e.name === name);
}

export type { EndpointDefinition } from '../sync/context.js';
