// The /_emulator/* surface: the same state changes as the in-process methods, for tests that
// drive the emulator from another process (the CLI, e2e). Never rate limited, faulted or counted.

import type { FaultOptions, Faults, PageFault } from './faults.js';
import { fail, invalid, NO_CONTENT, requireBodyObject, route, type Route, type RouteContext, type RouteResult } from './http.js';
import type { RateLimiter } from './rate-limit.js';
import type { RequestLog } from './request-log.js';
import { pageFaultProblems, type Credentials } from './options.js';
import type { NewRepositoryInput, NewTagInput } from './state/repositories.js';

export interface AdminDeps {
  requests: RequestLog;
  faults: Faults;
  limiter: RateLimiter;
  credentials: Credentials;
}

const NUMERIC_FAULTS = ['latencyMs', 'errorRate', 'dropRate', 'malformedRate'] as const;

export function adminRoutes(deps: AdminDeps): Route[] {
  const admin = (method: Parameters<typeof route>[0], path: string, name: string, handler: Route['handler']) =>
    route(method, `/_emulator${path}`, `admin.${name}`, handler, 'none', 'Error');

  return [
    admin('GET', '/health', 'health', () => ({ status: 200, body: { ok: true } })),
    admin('GET', '/credentials', 'credentials', () => ({ status: 200, body: deps.credentials })),
    admin('GET', '/requests', 'requests', () => ({ status: 200, body: deps.requests.toJSON() })),
    admin('POST', '/requests/reset', 'requests.reset', () => {
      deps.requests.reset();
      return NO_CONTENT;
    }),
    admin('GET', '/snapshot', 'snapshot', (ctx) => ({ status: 200, body: ctx.state.snapshot({ tags: ctx.query.get('tags') !== 'false' }) })),
    admin('GET', '/config', 'config', () => ({ status: 200, body: currentConfig(deps) })),
    admin('POST', '/config', 'config.update', (ctx) => setConfig(deps, ctx)),
    admin('POST', '/repositories/:namespace', 'repositories.add', addRepository),
    admin('DELETE', '/repositories/:namespace/:repository', 'repositories.delete', deleteRepository),
    admin('POST', '/repositories/:namespace/:repository/tags', 'tags.add', addTag),
    admin('DELETE', '/repositories/:namespace/:repository/tags/:tag', 'tags.delete', deleteTag),
    admin('POST', '/repositories/:namespace/:repository/pulls', 'pulls.bump', bumpPulls),
    admin('POST', '/auditlogs/:account', 'auditlogs.append', appendAuditEvents),
    admin('DELETE', '/orgs/:org/members/:username', 'members.remove', removeMember),
    admin('POST', '/orgs/:org/roles', 'roles.add', addCustomRole),
  ];
}

function currentConfig(deps: AdminDeps): Record<string, unknown> {
  return { ...deps.faults.settings, rateLimitPerMinute: deps.limiter.limit };
}

/** POST /_emulator/config: change the faults and the rate limit. */
function setConfig(deps: AdminDeps, ctx: RouteContext): RouteResult {
  const body = requireBodyObject(ctx);
  const change: Partial<FaultOptions> = {};
  for (const key of NUMERIC_FAULTS) {
    const value = body[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || value < 0 || (key !== 'latencyMs' && value > 1)) invalid({ [key]: ['Out of range.'] }, `invalid ${key}`);
    change[key] = value;
  }
  if (body.extraField !== undefined) change.extraField = body.extraField === true;
  if (body.pageFault !== undefined) change.pageFault = body.pageFault as PageFault | null;
  if (body.pageSizeCap !== undefined) change.pageSizeCap = body.pageSizeCap as number | null;
  const pageProblems = pageFaultProblems(change.pageFault ?? null, change.pageSizeCap ?? null);
  if (pageProblems.length > 0) invalid({ pageFault: pageProblems }, 'invalid pageFault or pageSizeCap');
  if (body.loginErrorStatus !== undefined) {
    const status = body.loginErrorStatus;
    if (status !== null && status !== 500 && status !== 502 && status !== 503) invalid({ loginErrorStatus: ['500, 502, 503 or null.'] }, 'invalid loginErrorStatus');
    change.loginErrorStatus = status as FaultOptions['loginErrorStatus'];
  }
  if (body.rateLimitPerMinute !== undefined) {
    const limit = body.rateLimitPerMinute;
    if (limit !== null && (typeof limit !== 'number' || limit < 0)) invalid({ rateLimitPerMinute: ['A number ≥ 0 or null.'] }, 'invalid rateLimitPerMinute');
    deps.limiter.setLimit(limit as number | null);
  }
  deps.faults.configure(change);
  return { status: 200, body: currentConfig(deps) };
}

function addRepository(ctx: RouteContext): RouteResult {
  const body = requireBodyObject(ctx) as unknown as NewRepositoryInput;
  return { status: 201, body: ctx.state.addRepository(ctx.params.namespace ?? '', body) };
}

function deleteRepository(ctx: RouteContext): RouteResult {
  if (!ctx.state.deleteRepository(ctx.params.namespace ?? '', ctx.params.repository ?? '')) fail('Error', 404, 'repository not found');
  return NO_CONTENT;
}

function addTag(ctx: RouteContext): RouteResult {
  const body = requireBodyObject(ctx) as unknown as NewTagInput;
  return { status: 201, body: ctx.state.addTag(ctx.params.namespace ?? '', ctx.params.repository ?? '', body) };
}

function deleteTag(ctx: RouteContext): RouteResult {
  if (!ctx.state.deleteTag(ctx.params.namespace ?? '', ctx.params.repository ?? '', ctx.params.tag ?? '')) fail('Error', 404, 'tag not found');
  return NO_CONTENT;
}

function bumpPulls(ctx: RouteContext): RouteResult {
  const body = ctx.body === undefined ? {} : requireBodyObject(ctx);
  const count = body.count ?? 1;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) invalid({ count: ['A non-negative integer.'] }, 'invalid count');
  const tag = typeof body.tag === 'string' ? body.tag : undefined;
  const pullCount = ctx.state.bumpPulls(ctx.params.namespace ?? '', ctx.params.repository ?? '', count, tag);
  return { status: 200, body: { pull_count: pullCount } };
}

function appendAuditEvents(ctx: RouteContext): RouteResult {
  const body = requireBodyObject(ctx);
  const input = Array.isArray(body.events) ? (body.events as Record<string, never>[]) : body.count;
  if (typeof input !== 'number' && !Array.isArray(input)) invalid({ count: ['Give count (number) or events (list).'] }, 'invalid audit append');
  return { status: 201, body: { events: ctx.state.appendAuditEvents(ctx.params.account ?? '', input) } };
}

/** `{name, label?, base?: member|editor}`: a custom role of the organization (Hub: Admin Console, no API). */
function addCustomRole(ctx: RouteContext): RouteResult {
  return { status: 201, body: ctx.state.addCustomRole(ctx.params.org ?? '', requireBodyObject(ctx)) };
}

function removeMember(ctx: RouteContext): RouteResult {
  if (!ctx.state.removeMember(ctx.params.org ?? '', ctx.params.username ?? '')) fail('Error', 404, 'member not found');
  return NO_CONTENT;
}
