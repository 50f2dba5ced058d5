import { pgSchema, jsonb, text, timestamp } from 'drizzle-orm/pg-core';

/** Everything lives in one Postgres schema so the product can share a database with others. */
export const dockerhub = pgSchema('dockerhub');

export const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'string' });

/**
 * Columns every entity table carries: the whole API object (`raw`, so a new upstream field is
 * never lost), a hash of it (so an unchanged row is never rewritten), and when the row was first
 * and last seen, and when a complete listing stopped showing it.
 */
export const entityColumns = () => ({
  raw: jsonb('raw').notNull(),
  row_hash: text('row_hash').notNull(),
  first_seen_at: ts('first_seen_at').notNull().defaultNow(),
  last_seen_at: ts('last_seen_at').notNull().defaultNow(),
  deleted_at: ts('deleted_at'),
});
