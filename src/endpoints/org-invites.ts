import { inviteSchema } from '../hub/schemas.js';
import type { Row } from '../sync/context.js';
import { entities } from '../sync/entities.js';
import { str, ts } from './map.js';
import { syncSnapshotList } from './snapshot.js';
import { enc, type EndpointDefinition } from './types.js';

export function inviteRow(org: string, raw: Record<string, unknown>): Row {
  return {
    org,
    id: String(raw.id),
    inviter_username: str(raw.inviter_username),
    invitee: str(raw.invitee),
    team: str(raw.team),
    role: str(raw.role),
    created_at: ts(raw.created_at),
    raw,
  };
}

export const orgInvitesEndpoint: EndpointDefinition = {
  name: 'org_invites',
  title: 'Pending invites of an organization',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/invites',
  tables: ['org_invites'],
  schedule: '25 * * * *',
  async slices(plan) {
    return plan.orgs.map((org) => ({ key: org, params: { org } }));
  },
  run: (run) => {
    const org = run.slice.params.org!;
    return syncSnapshotList(run, {
      path: `/v2/orgs/${enc(org)}/invites`,
      shape: 'data',
      pageSize: null,
      schema: inviteSchema,
      spec: entities.orgInvites,
      scope: { org },
      keyColumn: 'id',
      toRow: (raw) => inviteRow(org, raw),
      endpointLabel: `invites of ${org}`,
    });
  },
  request(slice) {
    return { path: `/v2/orgs/${enc(slice.params.org!)}/invites`, shape: 'data', schema: inviteSchema };
  },
};
