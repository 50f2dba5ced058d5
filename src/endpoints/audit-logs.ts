import { auditLogs } from '../db/schema/index.js';
import { auditLogEventSchema } from '../hub/schemas.js';
import type { Row } from '../sync/context.js';
import { auditEventHash } from '../sync/hash.js';
import { defineEndpoint } from './define.js';
import { HUB_PATHS } from '../hub/paths.js';

export const auditLogsEndpoint = defineEndpoint({
  name: 'audit_logs',
  title: 'Audit log events',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/audit-logs/operation/AuditLogs_ListAuditLogs',
  schedule: '*/5 * * * *',
  table: auditLogs,
  request: { path: HUB_PATHS.auditLogs, query: { from: '{window.from}', to: '{window.to}' }, shape: 'logs' },
  label: 'audit logs of {account}',
  slices: { per: 'org', param: 'account' },
  schema: auditLogEventSchema,
  // Events carry no id: the hash of their own fields keys them, so re-reading an overlap is idempotent.
  mapping: { columns: { event_hash: (item, context) => auditEventHash(String(context.account), item) } },
  cursor: {
    windows: {
      size: (config) => config.sync.auditWindow,
      overlap: (config) => config.sync.auditOverlap,
      initialLookback: (config) => config.sync.auditInitialLookback,
    },
  },
});

export const auditLogRow = (account: string, raw: Record<string, unknown>): Row => auditLogsEndpoint.toRows(raw, { account })[0]!;
