import { orgGroupSchema } from '../hub/schemas.js';
import type { Row } from '../sync/context.js';
import { entities } from '../sync/entities.js';
import { num, str } from './map.js';
import { syncSnapshotList } from './snapshot.js';
import { enc, type EndpointDefinition } from './types.js';

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

export const teamsEndpoint: EndpointDefinition = {
  name: 'teams',
  title: 'Teams (groups) of an organization',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/groups',
  tables: ['teams'],
  schedule: '15 * * * *',
  async slices(plan) {
    return plan.orgs.map((org) => ({ key: org, params: { org } }));
  },
  run: (run) => {
    const org = run.slice.params.org!;
    return syncSnapshotList(run, {
      path: `/v2/orgs/${enc(org)}/groups`,
      shape: 'results',
      schema: orgGroupSchema,
      spec: entities.teams,
      scope: { org },
      keyColumn: 'id',
      toRow: (raw) => teamRow(org, raw),
      endpointLabel: `teams of ${org}`,
    });
  },
  request(slice) {
    return { path: `/v2/orgs/${enc(slice.params.org!)}/groups`, shape: 'results', schema: orgGroupSchema };
  },
};
