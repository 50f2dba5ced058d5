import { orgAccessTokens } from '../db/schema/index.js';
import { orgAccessTokenSchema } from '../hub/schemas.js';
import type { Row } from '../sync/context.js';
import { ORGANIZATION_JOB } from './org-members.js';
import { touchesListing } from './org-audit.js';
import { defineEndpoint } from './define.js';
import { HUB_PATHS } from '../hub/paths.js';

export const orgAccessTokensEndpoint = defineEndpoint({
  name: 'org_access_tokens',
  title: 'Organization access tokens (metadata)',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/org-access-tokens',
  job: ORGANIZATION_JOB,
  table: orgAccessTokens,
  request: { path: HUB_PATHS.orgAccessTokens, shape: 'total' },
  label: 'organization access tokens of {org}',
  slices: { per: 'org', param: 'org' },
  schema: orgAccessTokenSchema,
  // Metadata only: a `token` field (present on creation answers) is never stored.
  mapping: { raw: ({ token: _secret, ...raw }) => raw },
  deletes: { scope: ['org'] },
  followsAudit: { org: 'org', touches: touchesListing('org_access_tokens') },
  cursor: 'snapshot',
});

export const orgAccessTokenRow = (org: string, raw: Record<string, unknown>): Row => orgAccessTokensEndpoint.toRows(raw, { org })[0]!;
