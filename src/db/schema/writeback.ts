import { bigint, bigserial, boolean, index, integer, jsonb, primaryKey, text } from 'drizzle-orm/pg-core';
import { dockerhub, ts } from './common.js';

/**
 * One row per write-back call, committed before the call is sent and completed after it: the
 * record of intent that makes a crash recoverable without sending a create twice. An intent
 * still `pending` after its process is gone is checked against Docker Hub (or the synced
 * tables), never blindly re-sent.
 *
 * state: pending → succeeded | failed | confirmed (the check found the change made) |
 * unknown (the check could not tell; `push --retry-unknown` decides) | abandoned (an idempotent
 * call cut off by a crash: the next run plans it again) | retried (an unknown intent handed back
 * to `--retry-unknown`).
 */
export const writebackIntents = dockerhub.table(
  'writeback_intents',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    job: text('job').notNull(),
    run_id: text('run_id').notNull(),
    /** The template (or `custom`) and, for mirror removals, its inverse: `team_members.remove`. */
    action: text('action').notNull(),
    /** Keys of the records the call carries (one, or a batch). */
    record_keys: jsonb('record_keys').notNull(),
    /** The records as the call needs them again for a check (secrets masked). */
    records: jsonb('records').notNull(),
    /** sha256 of method, URL and body: the same call twice has the same hash. */
    payload_hash: text('payload_hash').notNull(),
    method: text('method').notNull(),
    url: text('url').notNull(),
    /** The request body, secrets masked. */
    body: jsonb('body'),
    idempotent: boolean('idempotent').notNull(),
    /** A mirror removal (the inverse of an earlier call). */
    inverse: boolean('inverse').notNull().default(false),
    state: text('state').notNull(),
    note: text('note'),
    created_at: ts('created_at').notNull().defaultNow(),
    completed_at: ts('completed_at'),
  },
  (t) => [index('writeback_intents_job_state_idx').on(t.job, t.state)],
);

/** Every write-back call and every record decision: what was sent and what came back (secrets removed). */
export const writebackResults = dockerhub.table(
  'writeback_results',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    job: text('job').notNull(),
    record_key: text('record_key'),
    method: text('method').notNull(),
    url: text('url').notNull(),
    request_body: jsonb('request_body'),
    status: integer('status'),
    response: jsonb('response'),
    error: text('error'),
    dry_run: text('dry_run'),
    created_at: ts('created_at').notNull().defaultNow(),
    /** The intent this call completed (null for records decided without a call: skipped, bad). */
    intent_id: bigint('intent_id', { mode: 'number' }),
    run_id: text('run_id'),
    /** sent | failed | skipped | confirmed | unknown | validated */
    outcome: text('outcome'),
    duration_ms: integer('duration_ms'),
    /** Ids of what the call created (repository, team, token uuid, invite ids). */
    created_ids: jsonb('created_ids'),
  },
  (t) => [
    index('writeback_results_job_idx').on(t.job, t.created_at),
    index('writeback_results_intent_idx').on(t.intent_id),
  ],
);

/**
 * Per job and record: the payload hash of its last successful call (or of the state the synced
 * tables already showed), so an unchanged record is not sent again, and what a mirror removal
 * needs to undo it (the record and the id Docker Hub gave what was created).
 */
export const writebackRecords = dockerhub.table(
  'writeback_records',
  {
    job: text('job').notNull(),
    record_key: text('record_key').notNull(),
    payload_hash: text('payload_hash').notNull(),
    /** applied (a call made the change) | in_place (the synced tables showed it done already) */
    state: text('state').notNull(),
    record: jsonb('record').notNull(),
    created_id: text('created_id'),
    intent_id: bigint('intent_id', { mode: 'number' }),
    note: text('note'),
    updated_at: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.job, t.record_key] })],
);
