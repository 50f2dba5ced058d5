import { auditActionsResponseSchema } from '../hub/schemas.js';
import type { Row, SliceRun } from '../sync/context.js';
import { entities } from '../sync/entities.js';
import { obj, str } from './map.js';
import { enc, type EndpointDefinition } from './types.js';

/**
 * The catalogue comes grouped (`{actions: {repo: {label, actions: [{name …}]}}}`); an event's
 * `action` is `<group>.<name>` (repo.tag.push), which is the key here.
 */
export function actionRows(account: string, body: Record<string, unknown>): Row[] {
  const rows: Row[] = [];
  for (const [group, value] of Object.entries(obj(body.actions))) {
    const groupObject = obj(value);
    const actions = Array.isArray(groupObject.actions) ? groupObject.actions : [];
    for (const item of actions) {
      const action = obj(item);
      const short = String(action.name);
      rows.push({
        account,
        name: short.startsWith(`${group}.`) ? short : `${group}.${short}`,
        group,
        group_label: str(groupObject.label),
        description: str(action.description),
        label: str(action.label),
        raw: { ...action, group },
      });
    }
  }
  return rows;
}

async function run(run: SliceRun): Promise<void> {
  const account = run.slice.params.account!;
  const response = await run.deps.client.request<unknown>({
    path: `/v2/auditlogs/${enc(account)}/actions`,
    endpoint: `audit log actions of ${account}`,
  });
  run.pageFetched();
  await run.transaction(async (tx) => {
    const checked = await run.validate(tx, auditActionsResponseSchema, [response.body], response.url);
    const item = checked.valid[0];
    if (!item) return;
    const rows = actionRows(account, item.raw);
    await run.upsert(tx, entities.auditLogActions, rows);
    await run.markMissing(tx, entities.auditLogActions, { account }, 'name', rows.map((row) => row.name));
    await run.setCursor(tx, { actions: rows.length }, { complete: true });
  });
}

export const auditLogActionsEndpoint: EndpointDefinition = {
  name: 'audit_log_actions',
  title: 'Audit log action catalogue',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/audit-logs/operation/AuditLogs_ListAuditActions',
  tables: ['audit_log_actions'],
  schedule: '30 3 * * *',
  async slices(plan) {
    return plan.orgs.map((account) => ({ key: account, params: { account } }));
  },
  run,
  request(slice) {
    return { path: `/v2/auditlogs/${enc(slice.params.account!)}/actions`, shape: 'object', schema: auditActionsResponseSchema };
  },
};
