import { orgInvites } from '../db/schema/index.js';
import { inviteSchema } from '../hub/schemas.js';
import type { Row } from '../sync/context.js';
import { ORGANIZATION_JOB } from './org-members.js';
import { touchesListing } from './org-audit.js';
import { defineEndpoint } from './define.js';
import { HUB_PATHS } from '../hub/paths.js';

export const orgInvitesEndpoint = defineEndpoint({
  name: 'org_invites',
  title: 'Pending invites of an organization',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/invites',
  job: ORGANIZATION_JOB,
  table: orgInvites,
  // `{data: [...]}`, one page, no paging parameters.
  request: { path: HUB_PATHS.invites, shape: 'data', pageSize: null },
  label: 'invites of {org}',
  slices: { per: 'org', param: 'org' },
  schema: inviteSchema,
  deletes: { scope: ['org'] },
  followsAudit: { org: 'org', touches: touchesListing('org_invites') },
  cursor: 'snapshot',
});

export const inviteRow = (org: string, raw: Record<string, unknown>): Row => orgInvitesEndpoint.toRows(raw, { org })[0]!;
