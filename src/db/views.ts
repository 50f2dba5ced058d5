import { bigint, boolean, date, integer, jsonb, text } from 'drizzle-orm/pg-core';
import { dockerhub, ts } from './schema/common.js';

/**
 * Typed handles on the SQL views of migrations/0002_views.sql, for TypeScript consumers:
 * `db.select().from(staleTags).where(gt(staleTags.days_since_pull, 90))`.
 * `.existing()` tells drizzle-kit the views are managed by hand-written migrations, so
 * `drizzle-kit generate` never creates or drops them. A test checks every column here against
 * the database, so this file and the SQL cannot drift apart.
 */

const day = (name: string) => date(name, { mode: 'string' });

export const staleTags = dockerhub
  .view('stale_tags', {
    namespace: text('namespace').notNull(),
    repository: text('repository').notNull(),
    tag: text('tag').notNull(),
    is_private: boolean('is_private'),
    tag_status: text('tag_status'),
    digest: text('digest'),
    full_size: bigint('full_size', { mode: 'number' }),
    tag_last_pulled: ts('tag_last_pulled'),
    tag_last_pushed: ts('tag_last_pushed'),
    last_updated: ts('last_updated'),
    never_pulled: boolean('never_pulled').notNull(),
    idle_since: ts('idle_since'),
    days_since_pull: integer('days_since_pull'),
  })
  .existing();

export const imagesPerArchitecture = dockerhub
  .view('images_per_architecture', {
    namespace: text('namespace').notNull(),
    os: text('os'),
    architecture: text('architecture'),
    variant: text('variant'),
    platform: text('platform').notNull(),
    images: integer('images').notNull(),
    tags: integer('tags').notNull(),
    repositories: integer('repositories').notNull(),
    total_size: bigint('total_size', { mode: 'number' }).notNull(),
    last_pushed: ts('last_pushed'),
    last_pulled: ts('last_pulled'),
  })
  .existing();

export const repositoryVisibilityChanges = dockerhub
  .view('repository_visibility_changes', {
    namespace: text('namespace').notNull(),
    name: text('name').notNull(),
    changed_at: ts('changed_at').notNull(),
    was_private: boolean('was_private'),
    is_private: boolean('is_private'),
    change: text('change').notNull(),
    repository_deleted: boolean('repository_deleted').notNull(),
    op: text('op').notNull(),
    run_id: bigint('run_id', { mode: 'number' }),
    change_id: bigint('change_id', { mode: 'number' }).notNull(),
  })
  .existing();

export const repositoryVisibility = dockerhub
  .view('repository_visibility', {
    namespace: text('namespace').notNull(),
    name: text('name').notNull(),
    visibility: text('visibility').notNull(),
    is_private: boolean('is_private'),
    pull_count: bigint('pull_count', { mode: 'number' }),
    star_count: integer('star_count'),
    last_updated: ts('last_updated'),
    date_registered: ts('date_registered'),
    visibility_changed_at: ts('visibility_changed_at'),
    previous_visibility: text('previous_visibility'),
    made_public: boolean('made_public').notNull(),
    days_since_visibility_change: integer('days_since_visibility_change'),
  })
  .existing();

export const tokenUsage = dockerhub
  .view('token_usage', {
    kind: text('kind').$type<'personal' | 'organization'>().notNull(),
    owner: text('owner'),
    token_id: text('token_id').notNull(),
    label: text('label'),
    is_active: boolean('is_active'),
    scopes: jsonb('scopes'),
    created_at: ts('created_at'),
    last_used_at: ts('last_used_at'),
    expires_at: ts('expires_at'),
    never_used: boolean('never_used').notNull(),
    days_since_use: integer('days_since_use'),
    days_until_expiry: integer('days_until_expiry'),
    expired: boolean('expired').notNull(),
    status: text('status').$type<'inactive' | 'expired' | 'expiring' | 'never used' | 'unused' | 'ok'>().notNull(),
  })
  .existing();

export const memberActivity = dockerhub
  .view('member_activity', {
    org: text('org').notNull(),
    id: text('id').notNull(),
    username: text('username'),
    full_name: text('full_name'),
    email: text('email'),
    role: text('role'),
    is_guest: boolean('is_guest'),
    groups: jsonb('groups'),
    team_count: integer('team_count').notNull(),
    date_joined: ts('date_joined'),
    last_logged_in_at: ts('last_logged_in_at'),
    member_last_seen_at: ts('member_last_seen_at'),
    never_logged_in: boolean('never_logged_in').notNull(),
    days_since_login: integer('days_since_login'),
    last_desktop_version: text('last_desktop_version'),
  })
  .existing();

export const pendingInvites = dockerhub
  .view('pending_invites', {
    org: text('org').notNull(),
    id: text('id').notNull(),
    invitee: text('invitee'),
    inviter_username: text('inviter_username'),
    team: text('team'),
    role: text('role'),
    created_at: ts('created_at'),
    age_days: integer('age_days'),
  })
  .existing();

export const repositoryPullGrowth = dockerhub
  .view('repository_pull_growth', {
    namespace: text('namespace').notNull(),
    name: text('name').notNull(),
    day: day('day').notNull(),
    observed_at: ts('observed_at').notNull(),
    pull_count: bigint('pull_count', { mode: 'number' }),
    star_count: integer('star_count'),
    pulls_added: bigint('pulls_added', { mode: 'number' }),
    stars_added: integer('stars_added'),
    previous_day: day('previous_day'),
    days_covered: integer('days_covered'),
  })
  .existing();

export const auditActivityDaily = dockerhub
  .view('audit_activity_daily', {
    account: text('account').notNull(),
    day: day('day').notNull(),
    actor: text('actor'),
    action: text('action'),
    action_group: text('action_group'),
    action_label: text('action_label'),
    events: integer('events').notNull(),
    first_event_at: ts('first_event_at').notNull(),
    last_event_at: ts('last_event_at').notNull(),
  })
  .existing();

export const deletions = dockerhub
  .view('deletions', {
    entity: text('entity').notNull(),
    entity_key: jsonb('entity_key').$type<Record<string, unknown>>().notNull(),
    deleted_at: ts('deleted_at').notNull(),
    run_id: bigint('run_id', { mode: 'number' }),
    restored_at: ts('restored_at'),
    change_id: bigint('change_id', { mode: 'number' }).notNull(),
  })
  .existing();

/** Pulls per repository and tag per day from the daily pull-usage reports (migrations/0013_pulls_daily_view.sql). */
export const pullsDaily = dockerhub
  .view('pulls_daily', {
    org: text('org').notNull(),
    namespace: text('namespace').notNull(),
    repository: text('repository').notNull(),
    tag: text('tag').notNull(),
    day: day('day').notNull(),
    pulls: bigint('pulls', { mode: 'number' }).notNull(),
  })
  .existing();

/** Every view, by its SQL name (docs, tests and the read-only role checks walk this). */
export const views = {
  stale_tags: staleTags,
  images_per_architecture: imagesPerArchitecture,
  repository_visibility: repositoryVisibility,
  repository_visibility_changes: repositoryVisibilityChanges,
  token_usage: tokenUsage,
  member_activity: memberActivity,
  pending_invites: pendingInvites,
  repository_pull_growth: repositoryPullGrowth,
  audit_activity_daily: auditActivityDaily,
  deletions,
  pulls_daily: pullsDaily,
} as const;

export type ViewName = keyof typeof views;
export const VIEW_NAMES = Object.keys(views) as ViewName[];

/** The read-only role created by migrations/0003_reader_role.sql. */
export const READER_ROLE = 'dockerhub_reader';
