import { orgSettings } from '../db/schema/index.js';
import { HubNotFoundError, HubPermissionError } from '../hub/errors.js';
import { orgSettingsSchema } from '../hub/schemas.js';
import type { Row } from '../sync/context.js';
import { ORGANIZATION_JOB } from './org-members.js';
import { touchesListing } from './org-audit.js';
import { defineEndpoint, pathTemplate } from './define.js';

const registryAccessPath = pathTemplate('/v2/orgs/{org}/settings/registry-access-management', ['org']);
import { obj } from '../sync/convert.js';
import { HUB_PATHS } from '../hub/paths.js';

export const orgSettingsEndpoint = defineEndpoint({
  name: 'org_settings',
  title: 'Organization settings',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/org-settings',
  job: ORGANIZATION_JOB,
  table: orgSettings,
  request: { path: HUB_PATHS.orgSettings, shape: 'object' },
  label: 'settings of {org}',
  slices: { per: 'org', param: 'org' },
  schema: orgSettingsSchema,
  // Registry access management has its own call, outside the spec; plans without it answer
  // 403/404, which only means there is nothing to store.
  async enrich(run, { org }) {
    try {
      const ram = await run.deps.client.request<unknown>({
        path: registryAccessPath.render({ org }),
        endpoint: `registry access management of ${org}`,
      });
      run.pageFetched();
      return (raw) => ({ ...raw, registry_access_management: obj(ram.body) });
    } catch (error) {
      if (!(error instanceof HubNotFoundError || error instanceof HubPermissionError)) throw error;
      run.logger.debug({ org }, 'registry access management not available');
      return undefined;
    }
  },
  followsAudit: { org: 'org', touches: touchesListing('org_settings') },
  cursor: 'none',
});

export const orgSettingsRow = (org: string, raw: Record<string, unknown>): Row => orgSettingsEndpoint.toRows(raw, { org })[0]!;
