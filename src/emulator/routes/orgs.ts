// Organization members, invites and settings.

import { actorName } from '../access.js';
import {
  booleanParam, enumParam, NO_CONTENT, paging, requireBodyObject, resultsPage, route, type Route, type RouteContext, type RouteResult, stringParam,
} from '../http.js';
import { ORG_ROLES } from '../state/orgs.js';
import { refusePatToken, requireOrg } from './guards.js';

const DEFAULT_MEMBERS_PAGE_SIZE = 25;

/** One page object {count, next, previous, results}; the spec wraps it in an array, real Hub does not (docs/hub-quirks.md). */
function listMembers(ctx: RouteContext): RouteResult {
  const org = ctx.params.org ?? '';
  requireOrg(ctx, org, 'member');
  const paged = paging(ctx, DEFAULT_MEMBERS_PAGE_SIZE);
  const search = stringParam(ctx.query, 'search');
  const role = enumParam(ctx.query, 'role', ORG_ROLES);
  const type = enumParam(ctx.query, 'type', ['all', 'invitee', 'member'] as const);
  const invites = booleanParam(ctx.query, 'invites');
  const all = ctx.state.orgs.members(org, {
    ...(search !== undefined ? { search } : {}),
    ...(role !== undefined ? { role } : {}),
    ...(type !== undefined ? { type } : {}),
    ...(invites !== undefined ? { invites } : {}),
  });
  const results = all.slice(paged.offset, paged.offset + paged.pageSize);
  return resultsPage(ctx, paged, all.length, results, 'member');
}

function csvField(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function exportMembers(ctx: RouteContext): RouteResult {
  const org = ctx.params.org ?? '';
  requireOrg(ctx, org, 'owner');
  const rows = [['Name', 'Username', 'Email', 'Type', 'Permission', 'Teams', 'Date Joined']];
  for (const m of ctx.state.orgs.members(org, { type: 'all' })) {
    const invitee = m.role === 'Invitee';
    rows.push([
      m.full_name,
      m.username,
      m.email,
      invitee ? 'Invitee' : 'User',
      m.role === 'Owner' ? 'Owner' : 'Member',
      m.groups.join(', '),
      m.date_joined.replace('T', ' ').replace(/Z$/, ' +0000 UTC'),
    ]);
  }
  const stamp = new Date(ctx.clock.now()).toISOString().replace(/[-:]/g, '').slice(0, 15);
  return {
    status: 200,
    text: { contentType: 'text/csv', body: `${rows.map((row) => row.map(csvField).join(',')).join('\n')}\n` },
    headers: { 'content-disposition': `attachment;filename="${org}-members-${stamp}.csv"` },
  };
}

function updateMember(ctx: RouteContext): RouteResult {
  const { org = '', username = '' } = ctx.params;
  requireOrg(ctx, org, 'owner');
  refusePatToken(ctx, 'manage organization members');
  const member = ctx.state.setMemberRole(org, username, requireBodyObject(ctx).role, actorName(ctx.principal));
  return { status: 200, body: member, single: true };
}

function removeMember(ctx: RouteContext): RouteResult {
  const { org = '', username = '' } = ctx.params;
  requireOrg(ctx, org, 'owner');
  refusePatToken(ctx, 'manage organization members');
  ctx.state.deleteMember(org, username, actorName(ctx.principal));
  return NO_CONTENT;
}

/** `{data: [...]}` with no paging (docs/hub-quirks.md). */
function listInvites(ctx: RouteContext): RouteResult {
  const org = ctx.params.org ?? '';
  requireOrg(ctx, org, 'owner');
  const data = ctx.state.orgs.invites(org);
  return { status: 200, body: { data }, items: { list: data, kind: 'invite' } };
}

function bulkInvite(ctx: RouteContext): RouteResult {
  const body = requireBodyObject(ctx);
  const org = typeof body.org === 'string' ? body.org : '';
  requireOrg(ctx, org, 'owner');
  refusePatToken(ctx, 'invite organization members');
  return { status: 202, body: { invitees: ctx.state.bulkInvite(body, actorName(ctx.principal)) } };
}

function inviteOrg(ctx: RouteContext): string {
  const { org } = ctx.state.orgs.findInvite(ctx.params.id ?? '');
  requireOrg(ctx, org, 'owner');
  refusePatToken(ctx, 'manage invites');
  return org;
}

function resendInvite(ctx: RouteContext): RouteResult {
  inviteOrg(ctx);
  return NO_CONTENT;
}

function cancelInvite(ctx: RouteContext): RouteResult {
  inviteOrg(ctx);
  ctx.state.orgs.deleteInvite(ctx.params.id ?? '');
  return NO_CONTENT;
}

function getSettings(ctx: RouteContext): RouteResult {
  const org = ctx.params.org ?? '';
  requireOrg(ctx, org, 'owner');
  return { status: 200, body: ctx.state.orgs.settings(org), single: true };
}

function updateSettings(ctx: RouteContext): RouteResult {
  const org = ctx.params.org ?? '';
  requireOrg(ctx, org, 'owner');
  refusePatToken(ctx, 'change organization settings');
  return { status: 200, body: ctx.state.updateSettings(org, ctx.body, actorName(ctx.principal)), single: true };
}

/** Not in the spec, but answered by real Hub (docs/hub-quirks.md); the shape here is the emulator's best guess. */
function getRegistryAccess(ctx: RouteContext): RouteResult {
  const org = ctx.params.org ?? '';
  requireOrg(ctx, org, 'owner');
  return { status: 200, body: ctx.state.orgs.registryAccess(org), single: true };
}

export const orgRoutes: Route[] = [
  route('GET', '/v2/orgs/:org/members', 'members.list', listMembers),
  route('GET', '/v2/orgs/:org/members/export', 'members.export', exportMembers),
  route('PUT', '/v2/orgs/:org/members/:username', 'members.update', updateMember),
  route('DELETE', '/v2/orgs/:org/members/:username', 'members.delete', removeMember),
  route('GET', '/v2/orgs/:org/invites', 'invites.list', listInvites),
  route('POST', '/v2/invites/bulk', 'invites.bulk', bulkInvite),
  route('PATCH', '/v2/invites/:id/resend', 'invites.resend', resendInvite),
  route('DELETE', '/v2/invites/:id', 'invites.delete', cancelInvite),
  route('GET', '/v2/orgs/:org/settings', 'settings.get', getSettings, 'required', 'Error'),
  route('PUT', '/v2/orgs/:org/settings', 'settings.update', updateSettings, 'required', 'Error'),
  route('GET', '/v2/orgs/:org/settings/registry-access-management', 'settings.ram', getRegistryAccess, 'required', 'Error'),
];
