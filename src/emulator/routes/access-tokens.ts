// Personal access tokens (`{count, next, previous, active_count, results}`) and organization
// access tokens (`{total, next, previous, results}`). Secrets appear only in creation responses.

import { actorName } from '../access.js';
import { fail, links, NO_CONTENT, paging, requireBodyObject, route, type Route, type RouteContext, type RouteResult } from '../http.js';
import { refusePatToken, requireOrg, requireUser } from './guards.js';

const DEFAULT_PAGE_SIZE = 10;

/** PAT management: the emulated user, signed in with a password (Hub refuses PAT-derived tokens here). */
function patOwner(ctx: RouteContext): void {
  const user = requireUser(ctx);
  refusePatToken(ctx, 'manage personal access tokens');
  if (user.username !== ctx.state.user) fail(ctx.errors, 403, `the emulator keeps personal access tokens for ${ctx.state.user} only`);
}

function listPats(ctx: RouteContext): RouteResult {
  patOwner(ctx);
  const paged = paging(ctx, DEFAULT_PAGE_SIZE);
  const all = ctx.state.tokens.list();
  const results = all.slice(paged.offset, paged.offset + paged.pageSize).map((pat) => ctx.state.tokens.shape(pat));
  return {
    status: 200,
    body: { count: all.length, ...links(ctx, paged, all.length), active_count: all.filter((pat) => pat.isActive).length, results },
    items: { list: results, kind: 'accessToken' },
  };
}

function getPat(ctx: RouteContext): RouteResult {
  patOwner(ctx);
  return { status: 200, body: ctx.state.tokens.shape(ctx.state.tokens.get(ctx.params.uuid ?? '')), single: true };
}

function createPat(ctx: RouteContext): RouteResult {
  patOwner(ctx);
  const userAgent = ctx.req.headers['user-agent'] ?? '';
  const pat = ctx.state.tokens.create(requireBodyObject(ctx), { ip: ctx.req.socket.remoteAddress ?? '127.0.0.1', userAgent });
  return { status: 201, body: ctx.state.tokens.shape(pat, true), single: true };
}

function updatePat(ctx: RouteContext): RouteResult {
  patOwner(ctx);
  return { status: 200, body: ctx.state.tokens.shape(ctx.state.tokens.update(ctx.params.uuid ?? '', requireBodyObject(ctx))), single: true };
}

function deletePat(ctx: RouteContext): RouteResult {
  patOwner(ctx);
  ctx.state.tokens.delete(ctx.params.uuid ?? '');
  return NO_CONTENT;
}

function listOats(ctx: RouteContext): RouteResult {
  const org = ctx.params.org ?? '';
  requireOrg(ctx, org, 'owner');
  const paged = paging(ctx, DEFAULT_PAGE_SIZE);
  const all = ctx.state.orgs.oats(org);
  const results = all.slice(paged.offset, paged.offset + paged.pageSize).map((token) => ctx.state.orgs.oatShape(token));
  return { status: 200, body: { total: all.length, ...links(ctx, paged, all.length), results }, items: { list: results, kind: 'orgAccessToken' } };
}

function getOat(ctx: RouteContext): RouteResult {
  const org = ctx.params.org ?? '';
  requireOrg(ctx, org, 'owner');
  return { status: 200, body: ctx.state.orgs.oatDetail(ctx.state.orgs.oat(org, ctx.params.id ?? '')), single: true };
}

function manageOats(ctx: RouteContext): string {
  const org = ctx.params.org ?? '';
  requireOrg(ctx, org, 'owner');
  refusePatToken(ctx, 'manage organization access tokens');
  return org;
}

function createOat(ctx: RouteContext): RouteResult {
  const org = manageOats(ctx);
  const token = ctx.state.createOat(org, requireBodyObject(ctx), actorName(ctx.principal));
  return { status: 201, body: ctx.state.orgs.oatCreated(token), single: true };
}

function updateOat(ctx: RouteContext): RouteResult {
  const org = manageOats(ctx);
  const token = ctx.state.updateOat(org, ctx.params.id ?? '', requireBodyObject(ctx), actorName(ctx.principal));
  return { status: 200, body: ctx.state.orgs.oatDetail(token), single: true };
}

function deleteOat(ctx: RouteContext): RouteResult {
  const org = manageOats(ctx);
  ctx.state.deleteOat(org, ctx.params.id ?? '', actorName(ctx.principal));
  return NO_CONTENT;
}

export const accessTokenRoutes: Route[] = [
  route('GET', '/v2/access-tokens', 'accesstokens.list', listPats, 'required', 'Error'),
  route('POST', '/v2/access-tokens', 'accesstokens.create', createPat, 'required', 'Error'),
  route('GET', '/v2/access-tokens/:uuid', 'accesstokens.get', getPat, 'required', 'Error'),
  route('PATCH', '/v2/access-tokens/:uuid', 'accesstokens.update', updatePat, 'required', 'Error'),
  route('DELETE', '/v2/access-tokens/:uuid', 'accesstokens.delete', deletePat, 'required', 'Error'),
  route('GET', '/v2/orgs/:org/access-tokens', 'orgaccesstokens.list', listOats, 'required', 'Error'),
  route('POST', '/v2/orgs/:org/access-tokens', 'orgaccesstokens.create', createOat, 'required', 'Error'),
  route('GET', '/v2/orgs/:org/access-tokens/:id', 'orgaccesstokens.get', getOat, 'required', 'Error'),
  route('PATCH', '/v2/orgs/:org/access-tokens/:id', 'orgaccesstokens.update', updateOat, 'required', 'Error'),
  route('DELETE', '/v2/orgs/:org/access-tokens/:id', 'orgaccesstokens.delete', deleteOat, 'required', 'Error'),
];
