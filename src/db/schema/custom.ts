import { jsonb, primaryKey, text } from 'drizzle-orm/pg-core';
import { dockerhub, entityColumns } from './common.js';

/** Rows of user-defined endpoints, kept as JSON. */
export const customRecords = dockerhub.table(
  'custom_records',
  {
    endpoint: text('endpoint').notNull(),
    record_key: text('record_key').notNull(),
    data: jsonb('data'),
    ...entityColumns(),
  },
  (t) => [primaryKey({ columns: [t.endpoint, t.record_key] })],
);
