// Teams (groups) and their members. Reference: https://docs.docker.com/reference/api/hub/latest/#tag/groups
import { sql } from 'drizzle-orm';
import { given, text, type Row } from '../values.js';
import { pathFor, pick, roleProblem, roleValue, str } from './common.js';
import type { WritebackTemplate } from './types.js';
import { HUB_PATHS } from '../../hub/paths.js';

const org = (r: Row) => str(r, 'org');

export const createTeam: WritebackTemplate = {
  name: 'teams.create',
  summary: 'create a team',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/groups/paths/~1v2~1orgs~1%7Borg_name%7D~1groups/post',
  method: 'POST',
  path: HUB_PATHS.teams,
  requires: ['org', 'name'],
  optional: ['description'],
  key: ['org', 'name'],
  idempotent: false,
  scope: org,
  body: ([r]) => ({ name: str(r!, 'name'), ...pick(r!, { description: 'text' }) }),
  inPlace: async (r, lookup) =>
    (await lookup.one(sql`SELECT id FROM dockerhub.teams WHERE org = ${org(r)} AND name = ${str(r, 'name')} AND deleted_at IS NULL LIMIT 1`)) ? 'team exists' : undefined,
  confirm: async (records, hub) => {
    const r = records[0]!;
    const team = (await hub.get(pathFor('/v2/orgs/{org}/groups/{name}', r))) as Row | undefined;
    return team ? { found: true, createdIds: [text(team.id)] } : { found: false };
  },
  createdIds: (response) => [(response as Row | undefined)?.id === undefined ? undefined : text((response as Row).id)],
  inverse: { template: 'teams.delete', record: (stored) => ({ org: stored.org, team: stored.name }) },
};

export const updateTeam: WritebackTemplate = {
  name: 'teams.update',
  summary: "rename a team, change its description or its role (a core role or a custom role's name; only the given fields)",
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/groups/paths/~1v2~1orgs~1%7Borg_name%7D~1groups~1%7Bgroup_name%7D/patch',
  method: 'PATCH',
  path: HUB_PATHS.team,
  requires: ['org', 'team'],
  optional: ['name', 'description', 'role'],
  key: ['org', 'team'],
  idempotent: true,
  scope: org,
  prepare: (r) => roleProblem(r, 'role') ?? (['name', 'description', 'role'].some((c) => given(r, c)) ? r : 'needs name, description or role'),
  body: ([r]) => ({ ...pick(r!, { name: 'text', description: 'text' }), ...(given(r!, 'role') ? { role: roleValue(r!, 'role') } : {}) }),
  inPlace: async (r, lookup) => {
    const row = await lookup.one(sql`SELECT name, description, role FROM dockerhub.teams WHERE org = ${org(r)} AND name = ${str(r, 'team')} AND deleted_at IS NULL LIMIT 1`);
    if (!row) return undefined;
    const same =
      (!given(r, 'name') || str(r, 'name') === row.name) &&
      (!given(r, 'description') || str(r, 'description') === (row.description ?? '')) &&
      (!given(r, 'role') || roleValue(r, 'role') === row.role);
    return same ? 'team already so' : undefined;
  },
};

export const deleteTeam: WritebackTemplate = {
  name: 'teams.delete',
  summary: 'delete a team',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/groups/paths/~1v2~1orgs~1%7Borg_name%7D~1groups~1%7Bgroup_name%7D/delete',
  method: 'DELETE',
  path: HUB_PATHS.team,
  requires: ['org', 'team'],
  key: ['org', 'team'],
  idempotent: true,
  scope: org,
};

const isTeamMember = (r: Row) =>
  sql`SELECT 1 AS found FROM dockerhub.team_members WHERE org = ${org(r)} AND team = ${str(r, 'team')} AND deleted_at IS NULL
      AND (username = ${str(r, 'member')} OR lower(email) = lower(${str(r, 'member')})) LIMIT 1`;

export const addTeamMember: WritebackTemplate = {
  name: 'team_members.add',
  summary: 'add an organization member to a team',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/groups/paths/~1v2~1orgs~1%7Borg_name%7D~1groups~1%7Bgroup_name%7D~1members/post',
  method: 'POST',
  path: HUB_PATHS.teamMembers,
  requires: ['org', 'team', 'member'],
  key: ['org', 'team', 'member'],
  // Adding someone already in the team changes nothing.
  idempotent: true,
  scope: org,
  body: ([r]) => ({ member: str(r!, 'member') }),
  inPlace: async (r, lookup) => ((await lookup.one(isTeamMember(r))) ? 'already a member of the team' : undefined),
  inverse: { template: 'team_members.remove', record: (stored) => ({ org: stored.org, team: stored.team, member: stored.member }) },
};

export const removeTeamMember: WritebackTemplate = {
  name: 'team_members.remove',
  summary: 'remove a member from a team',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/groups/paths/~1v2~1orgs~1%7Borg_name%7D~1groups~1%7Bgroup_name%7D~1members~1%7Busername%7D/delete',
  method: 'DELETE',
  path: '/v2/orgs/{org}/groups/{team}/members/{member}',
  requires: ['org', 'team', 'member'],
  key: ['org', 'team', 'member'],
  idempotent: true,
  scope: org,
};

export const teamTemplates = [createTeam, updateTeam, deleteTeam, addTeamMember, removeTeamMember];
