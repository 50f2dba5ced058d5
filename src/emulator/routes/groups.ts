// Teams, which the API calls groups.

import { actorName } from '../access.js';
import { NO_CONTENT, paging, requireBodyObject, resultsPage, route, type Route, type RouteContext, type RouteResult, stringParam } from '../http.js';
import { refusePatToken, requireOrg } from './guards.js';

const DEFAULT_PAGE_SIZE = 10;

function listGroups(ctx: RouteContext): RouteResult {
  const org = ctx.params.org ?? '';
  requireOrg(ctx, org, 'member');
  const paged = paging(ctx, DEFAULT_PAGE_SIZE);
  const username = stringParam(ctx.query, 'username');
  const search = stringParam(ctx.query, 'search');
  const all = ctx.state.orgs.teams(org, { ...(username !== undefined ? { username } : {}), ...(search !== undefined ? { search } : {}) });
  const results = all.slice(paged.offset, paged.offset + paged.pageSize);
  return resultsPage(ctx, paged, all.length, results, 'group');
}

function getGroup(ctx: RouteContext): RouteResult {
  const { org = '', group = '' } = ctx.params;
  requireOrg(ctx, org, 'member');
  return { status: 200, body: ctx.state.orgs.groupShape(ctx.state.orgs.team(org, group)), single: true };
}

function manage(ctx: RouteContext): string {
  const org = ctx.params.org ?? '';
  requireOrg(ctx, org, 'owner');
  refusePatToken(ctx, 'manage teams');
  return org;
}

function createGroup(ctx: RouteContext): RouteResult {
  const org = manage(ctx);
  return { status: 201, body: ctx.state.createTeam(org, requireBodyObject(ctx), actorName(ctx.principal)), single: true };
}

function replaceGroup(ctx: RouteContext): RouteResult {
  const org = manage(ctx);
  return { status: 200, body: ctx.state.updateTeam(org, ctx.params.group ?? '', requireBodyObject(ctx), true, actorName(ctx.principal)), single: true };
}

function patchGroup(ctx: RouteContext): RouteResult {
  const org = manage(ctx);
  return { status: 200, body: ctx.state.updateTeam(org, ctx.params.group ?? '', requireBodyObject(ctx), false, actorName(ctx.principal)), single: true };
}

function deleteGroup(ctx: RouteContext): RouteResult {
  const org = manage(ctx);
  ctx.state.deleteTeam(org, ctx.params.group ?? '', actorName(ctx.principal));
  return NO_CONTENT;
}

/**
 * The spec describes a paged object; real responses have been seen as a bare array (docs/hub-quirks.md).
 * The emulator answers the bare array with every member, so clients must handle that shape.
 */
function listGroupMembers(ctx: RouteContext): RouteResult {
  const { org = '', group = '' } = ctx.params;
  requireOrg(ctx, org, 'member');
  const members = ctx.state.orgs.teamMembers(org, group, stringParam(ctx.query, 'search'));
  return { status: 200, body: members, items: { list: members, kind: 'groupMember' } };
}

function addGroupMember(ctx: RouteContext): RouteResult {
  const org = manage(ctx);
  ctx.state.addTeamMember(org, ctx.params.group ?? '', requireBodyObject(ctx).member, actorName(ctx.principal));
  return { status: 200 };
}

function removeGroupMember(ctx: RouteContext): RouteResult {
  const org = manage(ctx);
  ctx.state.removeTeamMember(org, ctx.params.group ?? '', ctx.params.username ?? '', actorName(ctx.principal));
  return NO_CONTENT;
}

const GROUPS = '/v2/orgs/:org/groups';

export const groupRoutes: Route[] = [
  route('GET', GROUPS, 'groups.list', listGroups),
  route('POST', GROUPS, 'groups.create', createGroup),
  route('GET', `${GROUPS}/:group`, 'groups.get', getGroup),
  route('PUT', `${GROUPS}/:group`, 'groups.update', replaceGroup),
  route('PATCH', `${GROUPS}/:group`, 'groups.patch', patchGroup),
  route('DELETE', `${GROUPS}/:group`, 'groups.delete', deleteGroup),
  route('GET', `${GROUPS}/:group/members`, 'groups.members.list', listGroupMembers),
  route('POST', `${GROUPS}/:group/members`, 'groups.members.add', addGroupMember),
  route('DELETE', `${GROUPS}/:group/members/:username`, 'groups.members.remove', removeGroupMember),
];
