import { boolean, jsonb, primaryKey, text } from 'drizzle-orm/pg-core';
import { dockerhub, entityColumns, ts } from './common.js';

/** Personal access tokens of the authenticated account. Metadata only: the secret is never stored. */
export const accessTokens = dockerhub.table('access_tokens', {
  uuid: text('uuid').primaryKey(),
  /** The Docker ID the token belongs to. */
  account: text('account'),
  client_id: text('client_id'),
  creator_ip: text('creator_ip'),
  creator_ua: text('creator_ua'),
  created_at: ts('created_at'),
  last_used: ts('last_used'),
  generated_by: text('generated_by'),
  is_active: boolean('is_active'),
  token_label: text('token_label'),
  scopes: jsonb('scopes'),
  expires_at: ts('expires_at'),
  ...entityColumns(),
});

/** Organization access tokens. Metadata only. */
export const orgAccessTokens = dockerhub.table(
  'org_access_tokens',
  {
    org: text('org').notNull(),
    id: text('id').notNull(),
    label: text('label'),
    description: text('description'),
    created_by: text('created_by'),
    is_active: boolean('is_active'),
    created_at: ts('created_at'),
    expires_at: ts('expires_at'),
    last_used_at: ts('last_used_at'),
    resources: jsonb('resources'),
    ...entityColumns(),
  },
  (t) => [primaryKey({ columns: [t.org, t.id] })],
);
