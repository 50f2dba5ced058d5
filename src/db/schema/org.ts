import { bigint, boolean, integer, jsonb, primaryKey, text } from 'drizzle-orm/pg-core';
import { dockerhub, entityColumns, ts } from './common.js';

export const orgMembers = dockerhub.table(
  'org_members',
  {
    org: text('org').notNull(),
    id: text('id').notNull(),
    username: text('username'),
    full_name: text('full_name'),
    email: text('email'),
    role: text('role'),
    type: text('type'),
    groups: jsonb('groups'),
    is_guest: boolean('is_guest'),
    company: text('company'),
    location: text('location'),
    date_joined: ts('date_joined'),
    last_logged_in_at: ts('last_logged_in_at'),
    member_last_seen_at: ts('member_last_seen_at'),
    last_desktop_version: text('last_desktop_version'),
    ...entityColumns(),
  },
  (t) => [primaryKey({ columns: [t.org, t.id] })],
);

/** Teams; Docker Hub calls them groups. */
export const teams = dockerhub.table(
  'teams',
  {
    org: text('org').notNull(),
    id: bigint('id', { mode: 'number' }).notNull(),
    uuid: text('uuid'),
    name: text('name'),
    description: text('description'),
    member_count: integer('member_count'),
    /** A core role (owner, editor, member) or a custom role's name; null before Hub sent it (spec c95ded2). */
    role: text('role'),
    ...entityColumns(),
  },
  (t) => [primaryKey({ columns: [t.org, t.id] })],
);

export const teamMembers = dockerhub.table(
  'team_members',
  {
    org: text('org').notNull(),
    team: text('team').notNull(),
    id: text('id').notNull(),
    username: text('username'),
    full_name: text('full_name'),
    email: text('email'),
    type: text('type'),
    ...entityColumns(),
  },
  (t) => [primaryKey({ columns: [t.org, t.team, t.id] })],
);

export const orgSettings = dockerhub.table('org_settings', {
  org: text('org').primaryKey(),
  restricted_images: jsonb('restricted_images'),
  registry_access_management: jsonb('registry_access_management'),
  ...entityColumns(),
});

export const orgInvites = dockerhub.table(
  'org_invites',
  {
    org: text('org').notNull(),
    id: text('id').notNull(),
    inviter_username: text('inviter_username'),
    invitee: text('invitee'),
    team: text('team'),
    role: text('role'),
    created_at: ts('created_at'),
    ...entityColumns(),
  },
  (t) => [primaryKey({ columns: [t.org, t.id] })],
);
