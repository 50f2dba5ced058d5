// Organization members, invites and settings. Reference:
// https://docs.docker.com/reference/api/hub/latest/#tag/org-members, #tag/invites, #tag/org-settings
import { sql } from 'drizzle-orm';
import { bool, canonical, given, text, type Row } from '../values.js';
import { booleanColumn, oneOf, ORG_ROLES, pathFor, roleProblem, roleValue, str } from './common.js';
import type { Lookup, RecordOutcome, WritebackTemplate } from './types.js';
import { HUB_PATHS } from '../../hub/paths.js';

const org = (r: Row) => str(r, 'org');

const memberRow = (lookup: Lookup, orgName: string, who: string) =>
  lookup.one(sql`SELECT username, role FROM dockerhub.org_members WHERE org = ${orgName} AND deleted_at IS NULL
                 AND (username = ${who} OR lower(email) = lower(${who})) LIMIT 1`);
const pendingInvite = (lookup: Lookup, orgName: string, invitee: string) =>
  lookup.one(sql`SELECT id FROM dockerhub.org_invites WHERE org = ${orgName} AND lower(invitee) = lower(${invitee}) AND deleted_at IS NULL LIMIT 1`);

/** Statuses of a bulk invite answer that leave the invitee where the record wants them. */
const IN_PLACE_STATUS: Record<string, string> = { already_invited: 'already invited', existing_org_member: 'already a member' };

function inviteResults(response: unknown): Row[] {
  const outer = (response as Row | undefined)?.invitees;
  const items = Array.isArray(outer) ? outer : ((outer as Row | undefined)?.invitees as unknown[] | undefined);
  return Array.isArray(items) ? (items as Row[]) : [];
}

export const bulkInvite: WritebackTemplate = {
  name: 'org_invites.bulk',
  summary: 'invite people (emails or Docker IDs) to an organization, optionally into a team with a role; one call per org, team and role',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/invites/paths/~1v2~1invites~1bulk/post',
  method: 'POST',
  path: '/v2/invites/bulk',
  requires: ['org', 'invitee'],
  optional: ['team', 'role'],
  key: ['org', 'invitee'],
  idempotent: false,
  scope: org,
  batch: { groupBy: ['org', 'team', 'role'], max: 100 },
  prepare: (r) => oneOf(r, 'role', ORG_ROLES) ?? r,
  body: (records) => {
    const first = records[0]!;
    return {
      org: org(first),
      ...(given(first, 'team') ? { team: str(first, 'team') } : {}),
      ...(given(first, 'role') ? { role: str(first, 'role').toLowerCase() } : {}),
      invitees: records.map((r) => str(r, 'invitee')),
    };
  },
  inPlace: async (r, lookup) => {
    if (await memberRow(lookup, org(r), str(r, 'invitee'))) return 'already a member';
    if (await pendingInvite(lookup, org(r), str(r, 'invitee'))) return 'already invited';
    return undefined;
  },
  outcomes: (response, records) => {
    const byInvitee = new Map(inviteResults(response).map((item) => [text(item.invitee).toLowerCase(), item]));
    return records.map((r): RecordOutcome => {
      const item = byInvitee.get(str(r, 'invitee').toLowerCase());
      const status = item ? text(item.status) : 'missing from the answer';
      if (status === 'invited') return { outcome: 'applied', createdId: (item!.invite as Row | undefined)?.id === undefined ? undefined : text((item!.invite as Row).id) };
      if (status === 'valid') return { outcome: 'validated', detail: 'valid' };
      if (IN_PLACE_STATUS[status]) return { outcome: 'in_place', reason: IN_PLACE_STATUS[status]! };
      return { outcome: 'failed', error: `Docker Hub: ${status}` };
    });
  },
  createdIds: (response, records) => {
    const byInvitee = new Map(inviteResults(response).map((item) => [text(item.invitee).toLowerCase(), item]));
    return records.map((r) => {
      const invite = byInvitee.get(str(r, 'invitee').toLowerCase())?.invite as Row | undefined;
      return invite?.id === undefined ? undefined : text(invite.id);
    });
  },
  confirm: async (records, hub) => {
    const invites = await hub.list(pathFor('/v2/orgs/{org}/invites', records[0]!), 'data');
    const byInvitee = new Map(invites.map((i) => [text(i.invitee).toLowerCase(), text(i.id)]));
    const ids = records.map((r) => byInvitee.get(str(r, 'invitee').toLowerCase()));
    // Any invitee of the batch pending now means the call arrived (the others were refused or accepted since).
    return ids.some((id) => id !== undefined) ? { found: true, createdIds: ids } : { found: undefined };
  },
  inverse: { template: 'org_invites.cancel', record: (stored, id) => ({ org: stored.org, invitee: stored.invitee, ...(id ? { invite_id: id } : {}) }) },
  apiDryRun: (body) => ({ ...(body as Row), dry_run: true }),
};

/** invite_id given, or the pending invite of (org, invitee) in dockerhub.org_invites. */
async function withInviteId(r: Row, lookup: Lookup): Promise<Row | string> {
  if (given(r, 'invite_id')) return r;
  if (!given(r, 'org') || !given(r, 'invitee')) return 'needs invite_id, or org and invitee';
  const invite = await pendingInvite(lookup, org(r), str(r, 'invitee'));
  return invite ? { ...r, invite_id: text(invite.id) } : { ...r, invite_id: null };
}

export const resendInvite: WritebackTemplate = {
  name: 'org_invites.resend',
  summary: 'send a pending invite again',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/invites/paths/~1v2~1invites~1%7Bid%7D~1resend/patch',
  method: 'PATCH',
  path: '/v2/invites/{invite_id}/resend',
  requires: [],
  optional: ['org', 'invitee', 'invite_id'],
  key: ['org', 'invitee'],
  // Each call sends an email.
  idempotent: false,
  scope: (r) => (given(r, 'org') ? org(r) : undefined),
  prepare: async (r, lookup) => {
    const out = await withInviteId(r, lookup);
    if (typeof out === 'string') return out;
    return out.invite_id === null ? `no pending invite for ${str(r, 'invitee')} in dockerhub.org_invites (sync first, or give invite_id)` : out;
  },
};

export const cancelInvite: WritebackTemplate = {
  name: 'org_invites.cancel',
  summary: 'cancel a pending invite',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/invites/paths/~1v2~1invites~1%7Bid%7D/delete',
  method: 'DELETE',
  path: '/v2/invites/{invite_id}',
  requires: [],
  optional: ['org', 'invitee', 'invite_id'],
  key: ['org', 'invitee'],
  idempotent: true,
  scope: (r) => (given(r, 'org') ? org(r) : undefined),
  prepare: withInviteId,
  inPlace: async (r) => (r.invite_id === null ? 'no pending invite' : undefined),
};

export const changeMemberRole: WritebackTemplate = {
  name: 'org_members.role',
  summary: "change an organization member's role (owner, editor, member, or a custom role's name; Docker Hub decides)",
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/org-members/paths/~1v2~1orgs~1%7Borg_name%7D~1members~1%7Busername%7D/put',
  method: 'PUT',
  path: '/v2/orgs/{org}/members/{member}',
  requires: ['org', 'member', 'role'],
  key: ['org', 'member'],
  idempotent: true,
  scope: org,
  prepare: (r) => roleProblem(r, 'role') ?? r,
  body: ([r]) => ({ role: roleValue(r!, 'role') }),
  inPlace: async (r, lookup) => {
    const row = await memberRow(lookup, org(r), str(r, 'member'));
    // The list shows core roles capitalised (Editor) and custom roles by name.
    return row && text(row.role).toLowerCase() === roleValue(r, 'role').toLowerCase() ? `already ${roleValue(r, 'role')}` : undefined;
  },
};

export const removeMember: WritebackTemplate = {
  name: 'org_members.remove',
  summary: 'remove a member from an organization',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/org-members/paths/~1v2~1orgs~1%7Borg_name%7D~1members~1%7Busername%7D/delete',
  method: 'DELETE',
  path: '/v2/orgs/{org}/members/{member}',
  requires: ['org', 'member'],
  key: ['org', 'member'],
  idempotent: true,
  scope: org,
};

const SETTINGS = ['enabled', 'allow_official_images', 'allow_verified_publishers'] as const;

export const updateOrgSettings: WritebackTemplate = {
  name: 'org_settings.update',
  summary: 'set the restricted-images settings of an organization',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/org-settings/paths/~1v2~1orgs~1%7Bname%7D~1settings/put',
  method: 'PUT',
  path: HUB_PATHS.orgSettings,
  requires: ['org', ...SETTINGS],
  key: ['org'],
  idempotent: true,
  scope: org,
  prepare: (r) => {
    for (const column of SETTINGS) {
      const bad = booleanColumn(r, column);
      if (bad) return bad;
    }
    return r;
  },
  body: ([r]) => ({ restricted_images: Object.fromEntries(SETTINGS.map((c) => [c, bool(r![c])])) }),
  inPlace: async (r, lookup) => {
    const row = await lookup.one(sql`SELECT restricted_images FROM dockerhub.org_settings WHERE org = ${org(r)} AND deleted_at IS NULL`);
    const want = Object.fromEntries(SETTINGS.map((c) => [c, bool(r[c])]));
    return row?.restricted_images && canonical(row.restricted_images) === canonical(want) ? 'settings already so' : undefined;
  },
};

export const memberTemplates = [bulkInvite, resendInvite, cancelInvite, changeMemberRole, removeMember, updateOrgSettings];
