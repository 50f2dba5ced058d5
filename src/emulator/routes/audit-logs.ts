// Audit logs: `{logs: [...]}` newest first, with no count and no next link (docs/hub-quirks.md): clients
// loop pages inside a from/to window until a short page.

import { fail, invalid, paging, route, type Route, type RouteContext, type RouteResult, stringParam } from '../http.js';
import { requireOrg } from './guards.js';
import { oatHasScope } from '../access.js';

const DEFAULT_PAGE_SIZE = 25;

/** Organizations: owners (or the organization's OAT). Personal accounts: the user himself. */
function requireAuditAccess(ctx: RouteContext, account: string): void {
  const { principal, state } = ctx;
  if (principal.kind === 'anonymous') fail(ctx.errors, 401, 'Authentication credentials were not provided.');
  if (!state.audit.has(account)) fail(ctx.errors, 404, `account ${account} not found`);
  if (!state.audit.available(account)) fail(ctx.errors, 403, `audit logs are not available on the plan of ${account}`);
  if (state.isOrg(account)) {
    requireOrg(ctx, account, 'owner');
    // The organization's OAT counts as an owner, within its scopes.
    if (!oatHasScope(principal, 'scope-activity-read')) fail(ctx.errors, 403, 'the organization access token lacks the scope to read the activity (audit) log');
    return;
  }
  if (principal.kind !== 'user' || principal.username !== account) fail(ctx.errors, 403, `you cannot read the audit log of ${account}`);
}

function timeParam(ctx: RouteContext, name: string): number | undefined {
  const raw = stringParam(ctx.query, name);
  if (raw === undefined) return undefined;
  const ms = Date.parse(raw);
  if (Number.isNaN(ms)) invalid({ [name]: ['Datetime has wrong format. Use RFC 3339, e.g. 2021-02-19T01:34:35Z.'] }, `Invalid ${name}`);
  return ms;
}

function listAuditLogs(ctx: RouteContext): RouteResult {
  const account = ctx.params.account ?? '';
  requireAuditAccess(ctx, account);
  const paged = paging(ctx, DEFAULT_PAGE_SIZE);
  const fromMs = timeParam(ctx, 'from');
  const toMs = timeParam(ctx, 'to');
  const action = stringParam(ctx.query, 'action');
  const actor = stringParam(ctx.query, 'actor');
  const name = stringParam(ctx.query, 'name');
  const logs = ctx.state.audit.query(
    account,
    {
      ...(fromMs !== undefined ? { fromMs } : {}),
      ...(toMs !== undefined ? { toMs } : {}),
      ...(action !== undefined ? { action } : {}),
      ...(actor !== undefined ? { actor } : {}),
      ...(name !== undefined ? { name } : {}),
    },
    paged.offset,
    paged.pageSize,
  );
  return { status: 200, body: { logs }, items: { list: logs, kind: 'auditLog' } };
}

function listActions(ctx: RouteContext): RouteResult {
  const account = ctx.params.account ?? '';
  requireAuditAccess(ctx, account);
  return { status: 200, body: ctx.state.audit.actions(account) };
}

export const auditLogRoutes: Route[] = [
  route('GET', '/v2/auditlogs/:account', 'auditlogs.list', listAuditLogs),
  route('GET', '/v2/auditlogs/:account/actions', 'auditlogs.actions', listActions),
];
