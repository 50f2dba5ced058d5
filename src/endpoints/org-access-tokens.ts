import { orgAccessTokenSchema } from '../hub/schemas.js';
import type { Row } from '../sync/context.js';
import { entities } from '../sync/entities.js';
import { bool, json, str, ts } from './map.js';
import { orgSnapshotEndpoint } from './snapshot.js';
import { enc } from './types.js';

/** Metadata only: a `token` field (present on creation answers) is never stored. */
export function orgAccessTokenRow(org: string, input: Record<string, unknown>): Row {
  const { token: _secret, ...raw } = input;
  return {
    org,
    id: String(raw.id),
    label: str(raw.label),
    description: str(raw.description),
    created_by: str(raw.created_by),
    is_active: bool(raw.is_active),
    created_at: ts(raw.created_at),
    expires_at: ts(raw.expires_at),
    last_used_at: ts(raw.last_used_at),
    resources: json(raw.resources),
    raw,
  };
}

export const orgAccessTokensEndpoint = orgSnapshotEndpoint({
  name: 'org_access_tokens',
  title: 'Organization access tokens (metadata)',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/org-access-tokens',
  table: 'org_access_tokens',
  schedule: '25 * * * *',
  path: (org) => `/v2/orgs/${enc(org)}/access-tokens`,
  shape: 'total',
  schema: orgAccessTokenSchema,
  spec: entities.orgAccessTokens,
  keyColumn: 'id',
  toRow: orgAccessTokenRow,
  label: (org) => `organization access tokens of ${org}`,
});
