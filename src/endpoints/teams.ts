import { orgGroupSchema } from '../hub/schemas.js';
import type { Row } from '../sync/context.js';
import { entities } from '../sync/entities.js';
import { num, str } from './map.js';
import { orgSnapshotEndpoint } from './snapshot.js';
import { enc } from './types.js';

export function teamRow(org: string, raw: Record<string, unknown>): Row {
  return {
    org,
    id: num(raw.id),
    uuid: str(raw.uuid),
    name: str(raw.name),
    description: str(raw.description),
    member_count: num(raw.member_count),
    raw,
  };
}

export const teamsEndpoint = orgSnapshotEndpoint({
  name: 'teams',
  title: 'Teams (groups) of an organization',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/groups',
  table: 'teams',
  schedule: '15 * * * *',
  path: (org) => `/v2/orgs/${enc(org)}/groups`,
  shape: 'results',
  schema: orgGroupSchema,
  spec: entities.teams,
  keyColumn: 'id',
  toRow: teamRow,
  label: (org) => `teams of ${org}`,
});
