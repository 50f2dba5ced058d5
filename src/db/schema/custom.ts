import { sql } from 'drizzle-orm';
import { index, jsonb, primaryKey, text } from 'drizzle-orm/pg-core';
import { dockerhub, entityColumns } from './common.js';

/**
 * Rows of user-defined endpoints (the `endpoints:` section of the config), kept as JSON. A record
 * is identified within its endpoint and slice (one organization, or one parent row): `raw` is the
 * item as the API sent it, `data` what is stored of it (with the parent's fields under `_parent`),
 * `metadata` what the endpoint's metadataPath picked from the page around it. Each endpoint gets
 * a view `dockerhub.custom_<name>` with the typed columns it declares (src/custom/views.ts).
 */
export const customRecords = dockerhub.table(
  'custom_records',
  {
    endpoint: text('endpoint').notNull(),
    slice_key: text('slice_key').notNull().default(''),
    record_key: text('record_key').notNull(),
    data: jsonb('data').notNull(),
    metadata: jsonb('metadata'),
    ...entityColumns(),
  },
  (t) => [primaryKey({ columns: [t.endpoint, t.slice_key, t.record_key] }), index('custom_records_endpoint_live').on(t.endpoint).where(sql`deleted_at IS NULL`)],
);
