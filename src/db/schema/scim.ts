import { boolean, jsonb, primaryKey, text } from 'drizzle-orm/pg-core';
import { dockerhub, entityColumns, ts } from './common.js';

/**
 * Users provisioned in an organization through SCIM (single sign-on). SCIM spells its fields in
 * camelCase; the columns are the same names in snake_case, and `raw` keeps the object as sent.
 */
export const scimUsers = dockerhub.table(
  'scim_users',
  {
    org: text('org').notNull(),
    /** SCIM's user id (a v4 UUID). */
    id: text('id').notNull(),
    /** `userName`: the user's email address. */
    user_name: text('user_name'),
    /** `displayName`: the Docker ID. */
    display_name: text('display_name'),
    active: boolean('active'),
    /** `{givenName, familyName}`. */
    name: jsonb('name'),
    emails: jsonb('emails'),
    groups: jsonb('groups'),
    /** `meta.created`. */
    created: ts('created'),
    /** `meta.lastModified`. */
    last_modified: ts('last_modified'),
    ...entityColumns(),
  },
  (t) => [primaryKey({ columns: [t.org, t.id] })],
);
