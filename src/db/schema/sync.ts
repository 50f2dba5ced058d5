import { bigint, bigserial, index, integer, jsonb, primaryKey, text } from 'drizzle-orm/pg-core';
import { dockerhub, ts } from './common.js';

/** Cursors per endpoint and slice, written in the same transaction as the rows they cover. */
export const syncState = dockerhub.table(
  'sync_state',
  {
    endpoint: text('endpoint').notNull(),
    slice_key: text('slice_key').notNull(),
    cursor: jsonb('cursor'),
    last_complete_at: ts('last_complete_at'),
    updated_at: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.endpoint, t.slice_key] })],
);

/**
 * Whether each namespace is an organization or a user account: asked of Docker Hub once per
 * namespace (a one-item member listing; 404 means a user) and remembered here.
 */
export const namespaceKinds = dockerhub.table('namespace_kinds', {
  namespace: text('namespace').primaryKey(),
  /** `org` or `user`. */
  kind: text('kind').notNull(),
  checked_at: ts('checked_at').notNull().defaultNow(),
});

/** One row per run of an endpoint slice. */
export const syncRuns = dockerhub.table(
  'sync_runs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    run_group: text('run_group'),
    endpoint: text('endpoint').notNull(),
    slice_key: text('slice_key').notNull(),
    mode: text('mode'),
    status: text('status').notNull(),
    started_at: ts('started_at').notNull().defaultNow(),
    finished_at: ts('finished_at'),
    requests: integer('requests').notNull().default(0),
    pages: integer('pages').notNull().default(0),
    rows_inserted: integer('rows_inserted').notNull().default(0),
    rows_updated: integer('rows_updated').notNull().default(0),
    rows_deleted: integer('rows_deleted').notNull().default(0),
    rows_invalid: integer('rows_invalid').notNull().default(0),
    rate_limit_wait_ms: bigint('rate_limit_wait_ms', { mode: 'number' }).notNull().default(0),
    error: text('error'),
  },
  (t) => [index('sync_runs_endpoint_idx').on(t.endpoint, t.slice_key, t.started_at)],
);

/** Items or pages that failed validation, with the raw payload and the zod issues. */
export const syncErrors = dockerhub.table(
  'sync_errors',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    run_id: bigint('run_id', { mode: 'number' }),
    endpoint: text('endpoint').notNull(),
    slice_key: text('slice_key').notNull(),
    kind: text('kind').notNull(),
    url: text('url'),
    payload: jsonb('payload'),
    issues: jsonb('issues'),
    message: text('message'),
    created_at: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('sync_errors_endpoint_idx').on(t.endpoint, t.created_at)],
);

/** One row per observed insert, update, delete or restore of an entity. */
export const changes = dockerhub.table(
  'changes',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    run_id: bigint('run_id', { mode: 'number' }),
    entity: text('entity').notNull(),
    entity_key: jsonb('entity_key').notNull(),
    op: text('op').notNull(),
    changed: jsonb('changed'),
    observed_at: ts('observed_at').notNull().defaultNow(),
  },
  (t) => [index('changes_entity_idx').on(t.entity, t.observed_at)],
);

/**
 * Who runs which slice now. A replica takes a row (insert, or update of an expired one), renews
 * it while it works and deletes it when done; a replica that dies stops renewing and its lease
 * lapses. The read-only role can see these rows but not write them, so it cannot stall a sync.
 */
export const syncLeases = dockerhub.table('sync_leases', {
  key: text('key').primaryKey(),
  holder: text('holder').notNull(),
  acquired_at: ts('acquired_at').notNull().defaultNow(),
  expires_at: ts('expires_at').notNull(),
});
