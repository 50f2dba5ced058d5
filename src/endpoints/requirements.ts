import type { EndpointRequirement } from '../sync/context.js';

/** The Enterprise Data API takes no user credential at all. */
const REPORTS_ROLE = 'an organization access token with Report Read (hub.credentials, kind: oat): the Enterprise Data API takes no password or personal access token';

/**
 * What each built-in endpoint needs of a credential: what `doctor` names when one is refused.
 *
 * `oatScope` follows the spec (../shared/hub-api/spec-2beta-c95ded2.yaml, SPEC-2-BETA.md section 6):
 * an operation carrying the OAT label (`<span class="oat"></span>`) takes an organization access
 * token, and the scope is the one Docker's manual lists for that resource (`scope-repository-list`,
 * `scope-activity-read`, `scope-member-read`, …); an operation without the label takes none
 * (`false`). `role` comes from the operation's text ("Only users in the owners group …") and
 * docs/hub-quirks.md (a personal access token cannot list personal access tokens).
 *
 * A new endpoint names its own in its definition (`requires`); this table is the default of
 * defineEndpoint for the ones below.
 */
export const BUILTIN_REQUIREMENTS: Readonly<Record<string, EndpointRequirement>> = {
  // "An OAT without scope-repository-list only sees public repositories … a normal 200."
  repositories: {
    oatScope: 'scope-repository-list',
    silentWithout: { what: 'private repositories', field: 'is_private' },
    role: 'read access to the private repositories (a member of the organization; a PAT with repo:read)',
  },
  repository_details: { oatScope: 'scope-repository-read', role: 'read access to the repository (a PAT with repo:read)' },
  tags: { oatScope: 'scope-tag-read', role: 'read access to the repository (a PAT with repo:read)' },
  watched_tags: { oatScope: 'scope-tag-read', role: 'read access to the repository (a PAT with repo:read)' },
  audit_logs: { oatScope: 'scope-activity-read', role: 'organization owner' },
  audit_log_actions: { oatScope: 'scope-activity-read', role: 'organization owner' },
  org_members: { oatScope: 'scope-member-read', role: 'organization member' },
  teams: { oatScope: 'scope-group-read', role: 'organization member' },
  team_members: { oatScope: 'scope-group-read', role: 'organization member' },
  // "Only users in the owners group of the organization can use this endpoint."
  org_invites: { oatScope: 'scope-invite-read', role: 'organization owner' },
  // No OAT label on these.
  org_settings: { oatScope: false, role: "organization owner (the owner's password or personal access token)" },
  org_access_tokens: { oatScope: false, role: "organization owner (the owner's password)" },
  access_tokens: { oatScope: false, role: 'a password login (Docker Hub refuses a session opened with a personal access token)' },
  scim_users: { oatScope: false, role: "the organization's SCIM token (DOCKERHUB_SCIM_TOKEN)" },
  // The Enterprise Data API (enterprise-data-c95ded2.yaml, SPEC-2-BETA.md section 7): "an
  // Organization Access Token (OAT) with the Report Read scope. Personal Access Tokens … are not
  // supported"; "An active Docker Enterprise subscription is required."
  pull_usage_reports: { oatScope: 'scope-report-read', role: REPORTS_ROLE, plan: 'Docker Enterprise' },
  pull_usage: { oatScope: 'scope-report-read', role: REPORTS_ROLE, plan: 'Docker Enterprise' },
};
