import { teams } from '../db/schema/index.js';
import { orgGroupSchema } from '../hub/schemas.js';
import type { Row } from '../sync/context.js';
import { ORGANIZATION_JOB } from './org-members.js';
import { touchesListing } from './org-audit.js';
import { defineEndpoint } from './define.js';
import { HUB_PATHS } from '../hub/paths.js';

export const teamsEndpoint = defineEndpoint({
  name: 'teams',
  title: 'Teams (groups) of an organization',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/groups',
  job: ORGANIZATION_JOB,
  table: teams,
  request: { path: HUB_PATHS.teams, shape: 'results' },
  label: 'teams of {org}',
  slices: { per: 'org', param: 'org' },
  schema: orgGroupSchema,
  deletes: { scope: ['org'] },
  followsAudit: { org: 'org', touches: touchesListing('teams') },
  cursor: 'snapshot',
});

export const teamRow = (org: string, raw: Record<string, unknown>): Row => teamsEndpoint.toRows(raw, { org })[0]!;
