import { inviteSchema } from '../hub/schemas.js';
import type { Row } from '../sync/context.js';
import { entities } from '../sync/entities.js';
import { str, ts } from './map.js';
import { orgSnapshotEndpoint } from './snapshot.js';
import { enc } from './types.js';

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

export const orgInvitesEndpoint = orgSnapshotEndpoint({
  name: 'org_invites',
  title: 'Pending invites of an organization',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/invites',
  table: 'org_invites',
  schedule: '25 * * * *',
  path: (org) => `/v2/orgs/${enc(org)}/invites`,
  shape: 'data',
  pageSize: null,
  schema: inviteSchema,
  spec: entities.orgInvites,
  keyColumn: 'id',
  toRow: inviteRow,
  label: (org) => `invites of ${org}`,
});
