import { bigserial, index, integer, jsonb, text } from 'drizzle-orm/pg-core';
import { dockerhub, ts } from './common.js';

/** Every write-back call: what was sent and what came back (secrets removed). */
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
  },
  (t) => [index('writeback_results_job_idx').on(t.job, t.created_at)],
);
