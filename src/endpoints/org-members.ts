import { orgMemberSchema } from '../hub/schemas.js';
import type { Row } from '../sync/context.js';
import { entities } from '../sync/entities.js';
import { bool, json, str, ts } from './map.js';
import { orgSnapshotEndpoint } from './snapshot.js';
import { enc } from './types.js';

export function orgMemberRow(org: string, raw: Record<string, unknown>): Row {
  return {
    org,
    id: String(raw.id ?? raw.username),
    username: str(raw.username),
    full_name: str(raw.full_name),
    email: str(raw.email),
    role: str(raw.role),
    type: str(raw.type),
    groups: json(raw.groups),
    is_guest: bool(raw.is_guest),
    company: str(raw.company),
    location: str(raw.location),
    date_joined: ts(raw.date_joined),
    last_logged_in_at: ts(raw.last_logged_in_at),
    member_last_seen_at: ts(raw.last_seen_at),
    last_desktop_version: str(raw.last_desktop_version),
    raw,
  };
}

export const orgMembersEndpoint = orgSnapshotEndpoint({
  name: 'org_members',
  title: 'Organization members',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/org-members',
  table: 'org_members',
  schedule: '15 * * * *',
  path: (org) => `/v2/orgs/${enc(org)}/members`,
  shape: 'results',
  schema: orgMemberSchema,
  spec: entities.orgMembers,
  keyColumn: 'id',
  toRow: orgMemberRow,
  label: (org) => `members of ${org}`,
});
