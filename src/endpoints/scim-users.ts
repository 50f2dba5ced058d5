import { UsageError } from '../cli-errors.js';
import { scimUsers } from '../db/schema/index.js';
import { scimUserSchema } from '../hub/schemas.js';
import type { Row } from '../sync/context.js';
import { ORGANIZATION_JOB } from './org-members.js';
import { touchesListing } from './org-audit.js';
import { defineEndpoint } from './define.js';
import { HUB_PATHS } from '../hub/paths.js';

/**
 * Users provisioned through SCIM. The SCIM API answers to the organization's SCIM token
 * (DOCKERHUB_SCIM_TOKEN), not to a login, and the token decides the organization: there is
 * nothing to read without one.
 */
export const scimUsersEndpoint = defineEndpoint({
  name: 'scim_users',
  title: 'Users provisioned through SCIM (single sign-on)',
  reference: 'https://docs.docker.com/reference/api/hub/beta/#tag/scim/operation/GetScimUsers',
  job: ORGANIZATION_JOB,
  table: scimUsers,
  request: {
    path: HUB_PATHS.scimUsers,
    shape: 'scim',
    auth: 'none',
    headers: (_params, deps) => {
      // Slices are empty without a token, so only a direct try (test-endpoint) gets here without one.
      if (!deps.config.hub.scimToken) throw new UsageError("scim_users needs the organization's SCIM token: set DOCKERHUB_SCIM_TOKEN.");
      return { authorization: `Bearer ${deps.config.hub.scimToken}` };
    },
  },
  label: 'SCIM users of {org}',
  slices: {
    params: ['org'],
    needs: "the organization's SCIM token: set DOCKERHUB_SCIM_TOKEN (and DOCKERHUB_SCIM_ORG with several organizations)",
    async list(plan, deps) {
      const { scimToken, scimOrg } = deps.config.hub;
      if (!scimToken) {
        deps.logger.info('scim_users skipped: DOCKERHUB_SCIM_TOKEN is not set (the SCIM API needs the organization\'s SCIM token)');
        return [];
      }
      // With several credentials each sees only its own organizations: only DOCKERHUB_SCIM_ORG can say which one the token is for.
      const several = (deps.clients?.credentials.length ?? 0) > 0;
      const org = scimOrg ?? (!several && plan.orgs.length === 1 ? plan.orgs[0] : undefined);
      if (!org) {
        deps.logger.warn(
          { orgs: plan.orgs },
          'scim_users skipped: set DOCKERHUB_SCIM_ORG to the organization the SCIM token belongs to (it cannot be told from the configured organizations)',
        );
        return [];
      }
      return [{ org }];
    },
  },
  schema: scimUserSchema,
  mapping: {
    columns: {
      user_name: 'userName',
      display_name: 'displayName',
      created: (item) => (item.meta as { created?: unknown } | null | undefined)?.created,
      last_modified: (item) => (item.meta as { lastModified?: unknown } | null | undefined)?.lastModified,
    },
  },
  deletes: { scope: ['org'] },
  followsAudit: { org: 'org', touches: touchesListing('scim_users') },
  cursor: 'snapshot',
});

export const scimUserRow = (org: string, raw: Record<string, unknown>): Row => scimUsersEndpoint.toRows(raw, { org })[0]!;
