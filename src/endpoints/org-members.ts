import { orgMembers } from '../db/schema/index.js';
import { orgMemberSchema } from '../hub/schemas.js';
import type { Row } from '../sync/context.js';
import { touchesListing } from './org-audit.js';
import { defineEndpoint } from './define.js';
import { HUB_PATHS } from '../hub/paths.js';
import type { JobDeclaration } from '../sync/context.js';

/**
 * The organization listings share one job. It ticks every five minutes, two minutes after the
 * audit log's, but reads a listing only when the audit log named a change it shows, or for its
 * complete safety-net read (sync/audit-follow.ts): an idle organization costs no request here.
 */
export const ORGANIZATION_JOB: JobDeclaration = { name: 'organization', schedule: '2-59/5 * * * *' };

export const orgMembersEndpoint = defineEndpoint({
  name: 'org_members',
  title: 'Organization members',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/org-members',
  job: ORGANIZATION_JOB,
  table: orgMembers,
  request: { path: HUB_PATHS.orgMembers, shape: 'results' },
  label: 'members of {org}',
  slices: { per: 'org', param: 'org' },
  schema: orgMemberSchema,
  mapping: {
    columns: {
      // Invitees may have no id yet.
      id: (item) => item.id ?? item.username,
      // Hub's own `last_seen_at` would clash with ours.
      member_last_seen_at: 'last_seen_at',
    },
  },
  deletes: { scope: ['org'] },
  followsAudit: { org: 'org', touches: touchesListing('org_members') },
  cursor: 'snapshot',
});

export const orgMemberRow = (org: string, raw: Record<string, unknown>): Row => orgMembersEndpoint.toRows(raw, { org })[0]!;
