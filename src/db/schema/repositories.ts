import { bigint, boolean, index, integer, jsonb, primaryKey, text } from 'drizzle-orm/pg-core';
import { dockerhub, entityColumns, ts } from './common.js';

/** Repositories: list fields plus the detail-only fields of GET /v2/namespaces/{ns}/repositories/{repo}. */
export const repositories = dockerhub.table(
  'repositories',
  {
    namespace: text('namespace').notNull(),
    name: text('name').notNull(),
    repository_type: text('repository_type'),
    status: integer('status'),
    status_description: text('status_description'),
    description: text('description'),
    is_private: boolean('is_private'),
    is_automated: boolean('is_automated'),
    star_count: integer('star_count'),
    pull_count: bigint('pull_count', { mode: 'number' }),
    last_updated: ts('last_updated'),
    last_modified: ts('last_modified'),
    date_registered: ts('date_registered'),
    affiliation: text('affiliation'),
    media_types: jsonb('media_types'),
    content_types: jsonb('content_types'),
    categories: jsonb('categories'),
    storage_size: bigint('storage_size', { mode: 'number' }),
    user: text('user'),
    hub_user: text('hub_user'),
    collaborator_count: integer('collaborator_count'),
    has_starred: boolean('has_starred'),
    full_description: text('full_description'),
    permissions: jsonb('permissions'),
    immutable_tags_settings: jsonb('immutable_tags_settings'),
    source: text('source'),
    ...entityColumns(),
  },
  (t) => [primaryKey({ columns: [t.namespace, t.name] })],
);

/** pull_count / star_count every time either changes: the pull history Docker Hub never gives. */
export const repositoryStats = dockerhub.table(
  'repository_stats',
  {
    namespace: text('namespace').notNull(),
    name: text('name').notNull(),
    observed_at: ts('observed_at').notNull(),
    pull_count: bigint('pull_count', { mode: 'number' }),
    star_count: integer('star_count'),
  },
  (t) => [primaryKey({ columns: [t.namespace, t.name, t.observed_at] })],
);

export const tags = dockerhub.table(
  'tags',
  {
    namespace: text('namespace').notNull(),
    repository: text('repository').notNull(),
    name: text('name').notNull(),
    id: bigint('id', { mode: 'number' }),
    creator: bigint('creator', { mode: 'number' }),
    last_updater: bigint('last_updater', { mode: 'number' }),
    last_updater_username: text('last_updater_username'),
    repository_id: bigint('repository_id', { mode: 'number' }),
    full_size: bigint('full_size', { mode: 'number' }),
    v2: boolean('v2'),
    tag_status: text('tag_status'),
    tag_last_pulled: ts('tag_last_pulled'),
    tag_last_pushed: ts('tag_last_pushed'),
    last_updated: ts('last_updated'),
    media_type: text('media_type'),
    content_type: text('content_type'),
    digest: text('digest'),
    ...entityColumns(),
  },
  (t) => [
    primaryKey({ columns: [t.namespace, t.repository, t.name] }),
    index('tags_last_pulled_idx').on(t.tag_last_pulled),
  ],
);

/** One row per image (platform) of a tag: `images[]` in the tag object. */
export const tagImages = dockerhub.table(
  'tag_images',
  {
    namespace: text('namespace').notNull(),
    repository: text('repository').notNull(),
    tag: text('tag').notNull(),
    digest: text('digest').notNull(),
    architecture: text('architecture'),
    features: text('features'),
    variant: text('variant'),
    os: text('os'),
    os_features: text('os_features'),
    os_version: text('os_version'),
    size: bigint('size', { mode: 'number' }),
    status: text('status'),
    last_pulled: ts('last_pulled'),
    last_pushed: ts('last_pushed'),
    layers: jsonb('layers'),
    ...entityColumns(),
  },
  (t) => [primaryKey({ columns: [t.namespace, t.repository, t.tag, t.digest] })],
);
