import { teamMembers, teams } from '../db/schema/index.js';
import { groupMemberSchema } from '../hub/schemas.js';
import type { Row } from '../sync/context.js';
import { touchesListing } from './org-audit.js';
import { defineEndpoint } from './define.js';
import { HUB_PATHS } from '../hub/paths.js';

export const teamMembersEndpoint = defineEndpoint({
  name: 'team_members',
  title: 'Members of each team',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/groups',
  table: teamMembers,
  request: { path: HUB_PATHS.teamMembers, shape: 'results' },
  label: 'members of team {org}/{team}',
  // Chained from the teams table: one slice per live team of each organization.
  slices: { parent: 'teams', table: teams, params: { org: 'org', team: 'name' }, within: { field: 'org', plan: 'orgs' } },
  schema: groupMemberSchema,
  mapping: { columns: { id: (item) => item.id ?? item.username } },
  deletes: { scope: ['org', 'team'] },
  // A team deleted since it was listed: the teams' next complete read marks it deleted.
  notFound: 'skip',
  followsAudit: { org: 'org', touches: touchesListing('team_members') },
  cursor: 'snapshot',
});

export const teamMemberRow = (org: string, team: string, raw: Record<string, unknown>): Row => teamMembersEndpoint.toRows(raw, { org, team })[0]!;
