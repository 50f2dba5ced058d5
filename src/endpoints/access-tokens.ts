import { accessTokenSchema } from '../hub/schemas.js';
import type { Row } from '../sync/context.js';
import { entities } from '../sync/entities.js';
import { bool, json, str, ts } from './map.js';
import { syncSnapshotList } from './snapshot.js';
import type { EndpointDefinition } from './types.js';

/** Metadata only: the `token` field (the secret, "" on reads) is dropped before storing. */
export function accessTokenRow(account: string, input: Record<string, unknown>): Row {
  const { token: _secret, ...raw } = input;
  return {
    uuid: String(raw.uuid),
    account,
    client_id: str(raw.client_id),
    creator_ip: str(raw.creator_ip),
    creator_ua: str(raw.creator_ua),
    created_at: ts(raw.created_at),
    last_used: ts(raw.last_used),
    generated_by: str(raw.generated_by),
    is_active: bool(raw.is_active),
    token_label: str(raw.token_label),
    scopes: json(raw.scopes),
    expires_at: ts(raw.expires_at),
    raw,
  };
}

export const accessTokensEndpoint: EndpointDefinition = {
  name: 'access_tokens',
  title: 'Personal access tokens (metadata)',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/access-tokens',
  tables: ['access_tokens'],
  schedule: '25 * * * *',
  // Only the authenticated user's own tokens can be listed, and Docker Hub refuses a token
  // that was itself issued from a personal access token: a password login is needed.
  async slices(plan, deps) {
    if (!plan.user) return [];
    const { hub } = deps.config;
    const patOnly = deps.credentialKind && deps.credentialKind !== 'default' ? deps.credentialKind === 'pat' : hub.token?.startsWith('dckr_pat_') && !hub.password && !hub.jwt;
    if (patOnly) {
      deps.logger.warn(
        'access_tokens skipped: Docker Hub refuses to list personal access tokens to a session opened with a personal access token; set DOCKERHUB_PASSWORD to include them',
      );
      return [];
    }
    return [{ key: plan.user, params: { account: plan.user } }];
  },
  run: (run) => {
    const account = run.slice.params.account!;
    return syncSnapshotList(run, {
      path: '/v2/access-tokens',
      shape: 'results',
      schema: accessTokenSchema,
      spec: entities.accessTokens,
      scope: { account },
      keyColumn: 'uuid',
      toRow: (raw) => accessTokenRow(account, raw),
      endpointLabel: 'personal access tokens',
    });
  },
  request() {
    return { path: '/v2/access-tokens', shape: 'results', schema: accessTokenSchema };
  },
};
