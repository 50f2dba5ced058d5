import { sql } from 'drizzle-orm';
import { rowsOf } from '../db/client.js';
import { groupMemberSchema } from '../hub/schemas.js';
import type { Row } from '../sync/context.js';
import { entities } from '../sync/entities.js';
import { str } from './map.js';
import { syncSnapshotList } from './snapshot.js';
import { enc, type EndpointDefinition } from './types.js';

export function teamMemberRow(org: string, team: string, raw: Record<string, unknown>): Row {
  return {
    org,
    team,
    id: String(raw.id ?? raw.username),
    username: str(raw.username),
    full_name: str(raw.full_name),
    email: str(raw.email),
    type: str(raw.type),
    raw,
  };
}

export const teamMembersEndpoint: EndpointDefinition = {
  name: 'team_members',
  title: 'Members of each team',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/groups',
  tables: ['team_members'],
  schedule: '20 * * * *',
  parent: 'teams',
  // Chained from the teams table: one slice per live team of each organization.
  async slices(plan, deps) {
    const result = await deps.database.db.execute(sql`
      SELECT org, name FROM dockerhub.teams
      WHERE deleted_at IS NULL AND name IS NOT NULL AND org IN (SELECT jsonb_array_elements_text(${JSON.stringify(plan.orgs)}::jsonb))
      ORDER BY org, name`);
    return rowsOf<{ org: string; name: string }>(result).map(({ org, name }) => ({
      key: `${org}/${name}`,
      params: { org, team: name },
    }));
  },
  run: (run) => {
    const { org, team } = run.slice.params as { org: string; team: string };
    return syncSnapshotList(run, {
      path: `/v2/orgs/${enc(org)}/groups/${enc(team)}/members`,
      shape: 'results',
      schema: groupMemberSchema,
      spec: entities.teamMembers,
      scope: { org, team },
      keyColumn: 'id',
      toRow: (raw) => teamMemberRow(org, team, raw),
      endpointLabel: `members of team ${org}/${team}`,
    });
  },
  request(slice) {
    return {
      path: `/v2/orgs/${enc(slice.params.org!)}/groups/${enc(slice.params.team!)}/members`,
      shape: 'results',
      schema: groupMemberSchema,
    };
  },
};
