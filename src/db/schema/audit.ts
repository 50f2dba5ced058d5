import { index, jsonb, primaryKey, text } from 'drizzle-orm/pg-core';
import { dockerhub, entityColumns, ts } from './common.js';

/**
 * Audit events carry no id, so the key is a hash of the event's own fields: re-reading an
 * overlapping window is then idempotent.
 */
export const auditLogs = dockerhub.table(
  'audit_logs',
  {
    account: text('account').notNull(),
    event_hash: text('event_hash').notNull(),
    action: text('action'),
    name: text('name'),
    actor: text('actor'),
    data: jsonb('data'),
    timestamp: ts('timestamp'),
    action_description: text('action_description'),
    ...entityColumns(),
  },
  (t) => [
    primaryKey({ columns: [t.account, t.event_hash] }),
    index('audit_logs_timestamp_idx').on(t.account, t.timestamp),
  ],
);

export const auditLogActions = dockerhub.table(
  'audit_log_actions',
  {
    account: text('account').notNull(),
    name: text('name').notNull(),
    group: text('group'),
    group_label: text('group_label'),
    description: text('description'),
    label: text('label'),
    ...entityColumns(),
  },
  (t) => [primaryKey({ columns: [t.account, t.name] })],
);
