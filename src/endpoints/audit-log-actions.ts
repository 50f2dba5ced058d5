import { auditLogActions } from '../db/schema/index.js';
import { auditActionsResponseSchema } from '../hub/schemas.js';
import type { Row } from '../sync/context.js';
import { defineEndpoint } from './define.js';
import { obj, str } from '../sync/convert.js';
import { HUB_PATHS } from '../hub/paths.js';

export const auditLogActionsEndpoint = defineEndpoint({
  name: 'audit_log_actions',
  title: 'Audit log action catalogue',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/audit-logs/operation/AuditLogs_ListAuditActions',
  schedule: '30 3 * * *',
  table: auditLogActions,
  request: { path: HUB_PATHS.auditLogActions, shape: 'object' },
  label: 'audit log actions of {account}',
  slices: { per: 'org', param: 'account' },
  schema: auditActionsResponseSchema,
  /**
   * The catalogue comes grouped (`{actions: {repo: {label, actions: [{name …}]}}}`); an event's
   * `action` is `<group>.<name>` (repo.tag.push), which is the key here.
   */
  rows(body, { account }, map) {
    const rows: Row[] = [];
    for (const [group, value] of Object.entries(obj(body.actions))) {
      const groupObject = obj(value);
      const actions = Array.isArray(groupObject.actions) ? groupObject.actions : [];
      for (const item of actions) {
        const action = obj(item);
        const short = String(action.name);
        const name = short.startsWith(`${group}.`) ? short : `${group}.${short}`;
        rows.push(map({ ...action, group }, { account, name, group_label: str(groupObject.label) }));
      }
    }
    return rows;
  },
  deletes: { scope: ['account'] },
  cursor: (summary) => ({ actions: summary.rows }),
});

export const actionRows = (account: string, body: Record<string, unknown>): Row[] => auditLogActionsEndpoint.toRows(body, { account });
