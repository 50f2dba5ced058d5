import { orgAccessTokenSchema } from '../hub/schemas.js';
import type { Row } from '../sync/context.js';
import { entities } from '../sync/entities.js';
import { bool, json, str, ts } from './map.js';
import { syncSnapshotList } from './snapshot.js';
import { enc, type EndpointDefinition } from './types.js';

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

export const orgAccessTokensEndpoint: EndpointDefinition = {
  name: 'org_access_tokens',
  title: 'Organization access tokens (metadata)',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/org-access-tokens',
  tables: ['org_access_tokens'],
  schedule: '25 * * * *',
  async slices(plan) {
    return plan.orgs.map((org) => ({ key: org, params: { org } }));
  },
  run: (run) => {
    const org = run.slice.params.org!;
    return syncSnapshotList(run, {
      path: `/v2/orgs/${enc(org)}/access-tokens`,
      shape: 'total',
      schema: orgAccessTokenSchema,
      spec: entities.orgAccessTokens,
      scope: { org },
      keyColumn: 'id',
      toRow: (raw) => orgAccessTokenRow(org, raw),
      endpointLabel: `organization access tokens of ${org}`,
    });
  },
  request(slice) {
    return { path: `/v2/orgs/${enc(slice.params.org!)}/access-tokens`, shape: 'total', schema: orgAccessTokenSchema };
  },
};
