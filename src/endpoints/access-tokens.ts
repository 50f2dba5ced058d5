import { accessTokens } from '../db/schema/index.js';
import { accessTokenSchema } from '../hub/schemas.js';
import type { Row } from '../sync/context.js';
import { defineEndpoint } from './define.js';
import { HUB_PATHS } from '../hub/paths.js';

export const accessTokensEndpoint = defineEndpoint({
  name: 'access_tokens',
  title: 'Personal access tokens (metadata)',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/access-tokens',
  // The user's own tokens, in no organization's audit log: read hourly in a job of their own.
  schedule: '15 * * * *',
  table: accessTokens,
  request: { path: HUB_PATHS.accessTokens, shape: 'results' },
  label: 'personal access tokens',
  // Only the authenticated user's own tokens can be listed, and Docker Hub refuses a token
  // that was itself issued from a personal access token: a password login is needed.
  slices: {
    params: ['account'],
    async list(plan, deps) {
      if (!plan.user) return [];
      const { hub } = deps.config;
      const patOnly = deps.credentialKind && deps.credentialKind !== 'default' ? deps.credentialKind === 'pat' : hub.token?.startsWith('dckr_pat_') && !hub.password && !hub.jwt;
      if (patOnly) {
        deps.logger.warn(
          'access_tokens skipped: Docker Hub refuses to list personal access tokens to a session opened with a personal access token; set DOCKERHUB_PASSWORD to include them',
        );
        return [];
      }
      return [{ account: plan.user }];
    },
  },
  schema: accessTokenSchema,
  // Metadata only: the `token` field (the secret, "" on reads) is dropped before storing.
  mapping: { raw: ({ token: _secret, ...raw }) => raw },
  deletes: { scope: ['account'] },
  cursor: 'snapshot',
});

export const accessTokenRow = (account: string, raw: Record<string, unknown>): Row => accessTokensEndpoint.toRows(raw, { account })[0]!;
