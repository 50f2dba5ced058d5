// Organizations: members, teams (Docker Hub calls them groups), invites, settings and
// organization access tokens. All of it is small, so it is kept as plain mutable records.

import type { Clock } from '../clock.js';
import { hubTime, nullableTime, uuid } from '../format.js';
import { gravatarUrl, type World } from '../generator/world.js';
import type {
  CreatedOrgAccessToken, CustomRoleRecord, GroupMember, HubUser, Invite, InviteRecord, Membership, OatRecord, OrgAccessToken, OrgAccessTokenDetail, OrgAccessTokenResource,
  OrgGroup, OrgMember, OrgRecord, OrgRole, OrgSettings, Person, RegistryAccessManagement, TeamRecord,
} from '../model.js';
import type { Prng } from '../prng.js';
import { StateError } from './errors.js';

const ROLE_LABEL: Record<OrgRole, OrgMember['role']> = { owner: 'Owner', editor: 'Editor', member: 'Member' };
export const ORG_ROLES: readonly OrgRole[] = ['owner', 'editor', 'member'];
const RANK: Record<OrgRole, number> = { member: 1, editor: 2, owner: 3 };
/** A custom role's name identifier (what the API takes; not its label or UUID). */
const CUSTOM_ROLE_NAME = /^[a-z0-9][a-z0-9_-]{0,49}$/;

const isCoreRole = (role: string): role is OrgRole => (ORG_ROLES as readonly string[]).includes(role);
const TEAM_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,29}$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const DOCKER_ID = /^[a-z0-9]{4,30}$/;

export interface MemberFilter {
  search?: string;
  role?: OrgRole;
  type?: 'all' | 'invitee' | 'member';
  invites?: boolean;
}

export interface BulkInviteResult {
  invitee: string;
  status: 'invited' | 'valid' | 'existing_org_member' | 'already_invited' | 'invalid_email_or_docker_id';
  invite?: Invite;
}

export class OrgStore {
  private readonly orgs = new Map<string, OrgRecord>();
  private nextTeamId: number;

  constructor(
    private readonly world: World,
    private readonly clock: Clock,
    private readonly rng: Prng,
  ) {
    for (const org of world.orgs) this.orgs.set(org.name, org);
    this.nextTeamId = world.nextTeamId;
  }

  names(): string[] {
    return [...this.orgs.keys()];
  }

  has(org: string): boolean {
    return this.orgs.has(org);
  }

  get(org: string): OrgRecord {
    const record = this.orgs.get(org);
    if (!record) throw new StateError('not_found', `organization ${org} not found`);
    return record;
  }

  /**
   * The access a member has: the highest of their own role and their teams' roles, a custom role
   * counting as its base core role.
   */
  role(orgName: string, username: string): OrgRole | undefined {
    const org = this.orgs.get(orgName);
    const membership = org?.members.get(username);
    if (!org || !membership) return undefined;
    let best = coreRoleOf(org, membership.role);
    for (const team of org.teams) {
      const teamRole = team.members.includes(username) ? coreRoleOf(org, team.role) : 'member';
      if (RANK[teamRole] > RANK[best]) best = teamRole;
    }
    return best;
  }

  /** Defines a custom role (Hub does this in the Admin Console; the emulator's admin surface calls it). */
  addCustomRole(orgName: string, input: { name?: unknown; label?: unknown; base?: unknown }): CustomRoleRecord {
    const org = this.get(orgName);
    const { name, base = 'member' } = input;
    if (typeof name !== 'string' || !CUSTOM_ROLE_NAME.test(name) || isCoreRole(name)) {
      throw new StateError('invalid', 'a custom role needs a name: 1-50 lowercase letters, digits, "-" or "_", not a core role', { name: ['Invalid role name.'] });
    }
    if (base !== 'member' && base !== 'editor') throw new StateError('invalid', 'base must be member or editor', { base: ['Must be one of member, editor.'] });
    if (org.customRoles.some((r) => r.name === name)) throw new StateError('conflict', `custom role ${name} already exists in ${orgName}`);
    const role: CustomRoleRecord = { name, label: optionalString(input.label, 'label') ?? name, base };
    org.customRoles.push(role);
    return structuredClone(role);
  }

  private person(username: string): Person {
    const person = this.world.people.get(username);
    if (!person) throw new StateError('not_found', `user ${username} not found`);
    return person;
  }

  // ------------------------------------------------------------ API shapes

  hubUser(person: Person): HubUser {
    return {
      id: person.id,
      company: person.company,
      date_joined: hubTime(person.dateJoinedMs, true),
      full_name: person.fullName,
      gravatar_email: '',
      gravatar_url: gravatarUrl(person),
      location: person.location,
      profile_url: person.profileUrl,
      type: 'User',
      username: person.username,
    };
  }

  private memberShape(org: OrgRecord, membership: Membership): OrgMember {
    const person = this.person(membership.username);
    const out: OrgMember = {
      ...this.hubUser(person),
      email: person.email,
      role: isCoreRole(membership.role) ? ROLE_LABEL[membership.role] : membership.role,
      groups: org.teams.filter((team) => team.members.includes(person.username)).map((team) => team.name),
      is_guest: membership.isGuest,
      primary_email: person.email,
    };
    if (org.insights) {
      out.last_logged_in_at = hubTime(membership.lastLoggedInMs, true);
      out.last_seen_at = hubTime(membership.lastSeenMs, true);
      out.last_desktop_version = membership.lastDesktopVersion;
    }
    return out;
  }

  private inviteeShape(org: OrgRecord, invite: InviteRecord): OrgMember {
    const email = EMAIL.test(invite.invitee);
    return {
      id: invite.id.replaceAll('-', ''),
      company: '',
      date_joined: hubTime(invite.createdMs, true),
      full_name: '',
      gravatar_email: '',
      gravatar_url: '',
      location: '',
      profile_url: '',
      type: 'User',
      username: email ? '' : invite.invitee,
      email: email ? invite.invitee : '',
      role: 'Invitee',
      groups: org.teams.some((team) => team.name === invite.team) ? [invite.team] : [],
      is_guest: false,
      primary_email: email ? invite.invitee : '',
    };
  }

  members(orgName: string, filter: MemberFilter = {}): OrgMember[] {
    const org = this.get(orgName);
    const type = filter.type ?? (filter.invites ? 'all' : 'member');
    const out: OrgMember[] = [];
    if (type !== 'invitee') {
      for (const membership of org.members.values()) {
        if (filter.role === undefined || membership.role === filter.role) out.push(this.memberShape(org, membership));
      }
    }
    if (type !== 'member' && filter.role === undefined) {
      for (const invite of org.invites) out.push(this.inviteeShape(org, invite));
    }
    const search = filter.search?.toLowerCase();
    const found = search
      ? out.filter((m) => m.username.toLowerCase().includes(search) || m.full_name.toLowerCase().includes(search) || m.email.toLowerCase().includes(search))
      : out;
    return found.sort((a, b) => byText(a.username || a.email, b.username || b.email));
  }

  groupShape(team: TeamRecord): OrgGroup {
    return { id: team.id, uuid: team.uuid, name: team.name, description: team.description, member_count: team.members.length, role: team.role };
  }

  teams(orgName: string, filter: { username?: string; search?: string } = {}): OrgGroup[] {
    const search = filter.search?.toLowerCase();
    return this.get(orgName)
      .teams.filter((team) => filter.username === undefined || team.members.includes(filter.username))
      .filter((team) => search === undefined || team.name.toLowerCase().includes(search))
      .sort((a, b) => byText(a.name, b.name))
      .map((team) => this.groupShape(team));
  }

  team(orgName: string, teamName: string): TeamRecord {
    const team = this.get(orgName).teams.find((t) => t.name === teamName);
    if (!team) throw new StateError('not_found', `team ${teamName} not found in ${orgName}`);
    return team;
  }

  teamById(orgName: string, id: number): TeamRecord | undefined {
    return this.get(orgName).teams.find((t) => t.id === id);
  }

  teamMembers(orgName: string, teamName: string, search?: string): GroupMember[] {
    const needle = search?.toLowerCase();
    return this.team(orgName, teamName)
      .members.map((username) => this.person(username))
      .filter((p) => needle === undefined || p.username.includes(needle) || p.fullName.toLowerCase().includes(needle) || p.email.includes(needle))
      .sort((a, b) => byText(a.username, b.username))
      .map((p) => ({ ...this.hubUser(p), email: p.email }));
  }

  settings(orgName: string): OrgSettings {
    return structuredClone(this.get(orgName).settings);
  }

  registryAccess(orgName: string): RegistryAccessManagement {
    const ram = this.get(orgName).registryAccess;
    return {
      enabled: ram.enabled,
      registries: ram.registries.map((r) => ({ id: r.id, address: r.address, friendly_name: r.friendlyName, created_at: hubTime(r.createdMs, true) })),
    };
  }

  inviteShape(orgName: string, invite: InviteRecord): Invite {
    return { id: invite.id, inviter_username: invite.inviter, invitee: invite.invitee, org: orgName, team: invite.team, created_at: hubTime(invite.createdMs, true) };
  }

  invites(orgName: string): Invite[] {
    return this.get(orgName)
      .invites.slice()
      .sort((a, b) => b.createdMs - a.createdMs)
      .map((invite) => this.inviteShape(orgName, invite));
  }

  oatShape(token: OatRecord): OrgAccessToken {
    return {
      id: token.id,
      label: token.label,
      created_by: token.createdBy,
      is_active: token.isActive,
      created_at: hubTime(token.createdMs, true),
      expires_at: nullableTime(token.expiresMs, true),
      last_used_at: nullableTime(token.lastUsedMs, true),
    };
  }

  oatDetail(token: OatRecord): OrgAccessTokenDetail {
    return { ...this.oatShape(token), description: token.description, resources: structuredClone(token.resources) };
  }

  /**
   * createOrgAccessTokenResponse (spec c95ded2): the fields it inlines (id, label, is_active,
   * created_at, expires_at, last_used_at), `resources` and the secret once; no `created_by` and
   * no `description` (list and get carry both).
   */
  oatCreated(token: OatRecord): CreatedOrgAccessToken {
    const { created_by: _createdBy, description: _description, ...detail } = this.oatDetail(token);
    return { ...detail, token: token.secret };
  }

  oats(orgName: string): OatRecord[] {
    return this.get(orgName).oats.slice().sort((a, b) => b.createdMs - a.createdMs);
  }

  oat(orgName: string, id: string): OatRecord {
    const token = this.get(orgName).oats.find((t) => t.id === id);
    if (!token) throw new StateError('not_found', `access token ${id} not found`);
    return token;
  }

  /** The organization and token an OAT secret belongs to, if it is usable now. */
  findOat(orgName: string, secret: string): OatRecord | undefined {
    const token = this.orgs.get(orgName)?.oats.find((t) => t.secret === secret);
    if (!token || !token.isActive || (token.expiresMs !== null && token.expiresMs <= this.clock.now())) return undefined;
    return token;
  }

  /** Whether the token with this id is still active (not deactivated, deleted or expired). */
  oatUsable(orgName: string, id: string): boolean {
    const token = this.orgs.get(orgName)?.oats.find((t) => t.id === id);
    return token !== undefined && token.isActive && (token.expiresMs === null || token.expiresMs > this.clock.now());
  }

  // ------------------------------------------------------------ member writes

  private syncOwnersTeam(org: OrgRecord): void {
    const owners = org.teams.find((t) => t.name === 'owners');
    if (owners) owners.members = [...org.members.values()].filter((m) => m.role === 'owner').map((m) => m.username);
  }

  private ownerCount(org: OrgRecord): number {
    return [...org.members.values()].filter((m) => m.role === 'owner').length;
  }

  setRole(orgName: string, username: string, value: unknown): { member: OrgMember; previous: string } {
    const org = this.get(orgName);
    const membership = org.members.get(username);
    if (!membership) throw new StateError('not_found', `${username} is not a member of ${orgName}`);
    const role = validRole(org, value);
    const previous = membership.role;
    if (previous === 'owner' && role !== 'owner' && this.ownerCount(org) === 1) {
      throw new StateError('invalid', `${username} is the last owner of ${orgName}`);
    }
    membership.role = role;
    this.syncOwnersTeam(org);
    return { member: this.memberShape(org, membership), previous };
  }

  removeMember(orgName: string, username: string): void {
    const org = this.get(orgName);
    const membership = org.members.get(username);
    if (!membership) throw new StateError('not_found', `${username} is not a member of ${orgName}`);
    if (membership.role === 'owner' && this.ownerCount(org) === 1) throw new StateError('invalid', `${username} is the last owner of ${orgName}`);
    org.members.delete(username);
    for (const team of org.teams) team.members = team.members.filter((m) => m !== username);
  }

  // ------------------------------------------------------------ team writes

  createTeam(orgName: string, input: { name?: unknown; description?: unknown }): TeamRecord {
    const org = this.get(orgName);
    const name = validTeamName(input.name);
    if (org.teams.some((t) => t.name === name)) throw new StateError('conflict', `team ${name} already exists`);
    const team: TeamRecord = { id: this.nextTeamId++, uuid: uuid(this.rng), name, description: optionalString(input.description, 'description') ?? '', role: 'member', members: [] };
    org.teams.push(team);
    return team;
  }

  /** PUT (`requireName`) replaces name and description; PATCH changes the given fields, `role` among them (spec c95ded2). */
  updateTeam(orgName: string, teamName: string, input: { name?: unknown; description?: unknown; role?: unknown }, requireName: boolean): TeamRecord {
    const org = this.get(orgName);
    const team = this.team(orgName, teamName);
    const role = !requireName && input.role !== undefined ? validRole(org, input.role) : undefined;
    if (role !== undefined && team.name === 'owners' && role !== 'owner') throw new StateError('invalid', 'the owners team keeps the owner role');
    if (requireName || input.name !== undefined) {
      const name = validTeamName(input.name);
      if (name !== team.name) {
        if (team.name === 'owners') throw new StateError('invalid', 'the owners team cannot be renamed');
        if (org.teams.some((t) => t.name === name)) throw new StateError('conflict', `team ${name} already exists`);
        team.name = name;
      }
    }
    const description = optionalString(input.description, 'description');
    if (description !== undefined) team.description = description;
    if (role !== undefined) team.role = role;
    return team;
  }

  deleteTeam(orgName: string, teamName: string): void {
    const org = this.get(orgName);
    const team = this.team(orgName, teamName);
    if (team.name === 'owners') throw new StateError('invalid', 'the owners team cannot be deleted');
    org.teams = org.teams.filter((t) => t !== team);
  }

  addTeamMember(orgName: string, teamName: string, username: string): void {
    const org = this.get(orgName);
    const team = this.team(orgName, teamName);
    const membership = org.members.get(username);
    if (!membership) throw new StateError('not_found', `${username} is not a member of ${orgName}`);
    if (team.members.includes(username)) return;
    // Being in the owners team is what makes an owner.
    if (team.name === 'owners') membership.role = 'owner';
    team.members.push(username);
    this.syncOwnersTeam(org);
  }

  removeTeamMember(orgName: string, teamName: string, username: string): void {
    const org = this.get(orgName);
    const team = this.team(orgName, teamName);
    if (!team.members.includes(username)) throw new StateError('not_found', `${username} is not in team ${teamName}`);
    if (team.name === 'owners') {
      if (this.ownerCount(org) === 1) throw new StateError('invalid', `${username} is the last owner of ${orgName}`);
      const membership = org.members.get(username);
      if (membership) membership.role = 'member';
      this.syncOwnersTeam(org);
      return;
    }
    team.members = team.members.filter((m) => m !== username);
  }

  // ------------------------------------------------------------ invites

  bulkInvite(orgName: string, invitees: string[], options: { team?: string; role?: OrgRole; dryRun: boolean; inviter: string }): BulkInviteResult[] {
    const org = this.get(orgName);
    const team = options.team ?? '';
    if (options.team !== undefined) this.team(orgName, options.team);
    const role = options.role ?? 'member';
    const memberEmails = new Set([...org.members.keys()].map((u) => this.world.people.get(u)?.email));
    return invitees.map((invitee): BulkInviteResult => {
      if (!EMAIL.test(invitee) && !DOCKER_ID.test(invitee)) return { invitee, status: 'invalid_email_or_docker_id' };
      if (org.members.has(invitee) || memberEmails.has(invitee)) return { invitee, status: 'existing_org_member' };
      if (org.invites.some((i) => i.invitee === invitee)) return { invitee, status: 'already_invited' };
      if (options.dryRun) return { invitee, status: 'valid' };
      const record: InviteRecord = { id: uuid(this.rng), inviter: options.inviter, invitee, team, role, createdMs: this.clock.now() };
      org.invites.push(record);
      return { invitee, status: 'invited', invite: this.inviteShape(orgName, record) };
    });
  }

  findInvite(id: string): { org: string; invite: InviteRecord } {
    for (const org of this.orgs.values()) {
      const invite = org.invites.find((i) => i.id === id);
      if (invite) return { org: org.name, invite };
    }
    throw new StateError('not_found', `invite ${id} not found`);
  }

  deleteInvite(id: string): void {
    const { org } = this.findInvite(id);
    const record = this.get(org);
    record.invites = record.invites.filter((i) => i.id !== id);
  }

  // ------------------------------------------------------------ settings

  updateSettings(orgName: string, body: unknown): OrgSettings {
    const org = this.get(orgName);
    const restricted = (body as { restricted_images?: unknown } | null)?.restricted_images as Record<string, unknown> | undefined;
    const keys = ['enabled', 'allow_official_images', 'allow_verified_publishers'] as const;
    const fields: Record<string, string[]> = {};
    if (typeof restricted !== 'object' || restricted === null) fields.restricted_images = ['This field is required.'];
    else for (const key of keys) if (typeof restricted[key] !== 'boolean') fields[`restricted_images.${key}`] = ['A boolean is required.'];
    if (Object.keys(fields).length > 0 || !restricted) throw new StateError('invalid', 'invalid organization settings', fields);
    org.settings = {
      restricted_images: {
        enabled: restricted.enabled as boolean,
        allow_official_images: restricted.allow_official_images as boolean,
        allow_verified_publishers: restricted.allow_verified_publishers as boolean,
      },
    };
    return this.settings(orgName);
  }

  // ------------------------------------------------------------ organization access tokens

  createOat(orgName: string, body: Record<string, unknown>, createdBy: string): OatRecord {
    const org = this.get(orgName);
    const label = body.label;
    if (typeof label !== 'string' || label.length === 0 || label.length > 100) {
      throw new StateError('invalid', 'label is required', { label: ['This field is required.'] });
    }
    const token: OatRecord = {
      id: uuid(this.rng),
      label,
      description: optionalString(body.description, 'description') ?? '',
      createdBy,
      isActive: true,
      createdMs: this.clock.now(),
      expiresMs: optionalTime(body.expires_at, 'expires_at'),
      lastUsedMs: null,
      resources: validResources(body.resources, orgName) ?? [],
      secret: `dckr_oat_${this.rng.alnum(32)}`,
    };
    org.oats.push(token);
    return token;
  }

  updateOat(orgName: string, id: string, body: Record<string, unknown>): OatRecord {
    const token = this.oat(orgName, id);
    if (body.label !== undefined) {
      if (typeof body.label !== 'string' || body.label.length === 0 || body.label.length > 100) throw new StateError('invalid', 'invalid label', { label: ['Invalid label.'] });
      token.label = body.label;
    }
    const description = optionalString(body.description, 'description');
    if (description !== undefined) token.description = description;
    const resources = validResources(body.resources, orgName);
    if (resources !== undefined) token.resources = resources;
    if (body.is_active !== undefined) {
      if (typeof body.is_active !== 'boolean') throw new StateError('invalid', 'is_active must be a boolean', { is_active: ['Must be a valid boolean.'] });
      token.isActive = body.is_active;
    }
    return token;
  }

  deleteOat(orgName: string, id: string): OatRecord {
    const org = this.get(orgName);
    const token = this.oat(orgName, id);
    org.oats = org.oats.filter((t) => t !== token);
    return token;
  }

  touchOat(token: OatRecord): void {
    token.lastUsedMs = this.clock.now();
  }
}

/** Code-unit order: the same on every machine, unlike localeCompare. */
function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The core role a role name stands for (a custom role's base); a name no longer defined counts as member. */
function coreRoleOf(org: OrgRecord, role: string): OrgRole {
  if (isCoreRole(role)) return role;
  return org.customRoles.find((r) => r.name === role)?.base ?? 'member';
}

/** A core role or the name of one of the organization's custom roles; anything else is a 400, like Hub's. */
function validRole(org: OrgRecord, value: unknown): string {
  if (typeof value === 'string' && (isCoreRole(value) || org.customRoles.some((r) => r.name === value))) return value;
  const known = [...ORG_ROLES, ...org.customRoles.map((r) => r.name)].join(', ');
  throw new StateError('invalid', `role ${JSON.stringify(value)} is neither a core role nor a custom role of ${org.name}`, { role: [`Must be one of ${known}.`] });
}

function validTeamName(value: unknown): string {
  if (typeof value !== 'string' || !TEAM_NAME.test(value)) {
    throw new StateError('invalid', 'invalid team name', { name: ['Team names are 1-30 letters, digits, "-" or "_".'] });
  }
  return value;
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new StateError('invalid', `${field} must be a string`, { [field]: ['Not a valid string.'] });
  return value;
}

export function optionalTime(value: unknown, field: string): number | null {
  if (value === undefined || value === null || value === '') return null;
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw new StateError('invalid', `${field} must be a date-time`, { [field]: ['Datetime has wrong format.'] });
  return ms;
}

function validResources(value: unknown, orgName: string): OrgAccessTokenResource[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw new StateError('invalid', 'resources must be a list', { resources: ['Expected a list of items.'] });
  return value.map((entry: unknown) => {
    const r = entry as Partial<OrgAccessTokenResource> | null;
    if (!r || (r.type !== 'TYPE_REPO' && r.type !== 'TYPE_ORG') || typeof r.path !== 'string' || !Array.isArray(r.scopes)) {
      throw new StateError('invalid', 'invalid resource', { resources: ['Each resource needs type (TYPE_REPO|TYPE_ORG), path and scopes.'] });
    }
    if (r.type === 'TYPE_ORG' && r.path !== orgName) throw new StateError('invalid', 'invalid resource path', { resources: [`TYPE_ORG path must be ${orgName}`] });
    return { type: r.type, path: r.path, scopes: r.scopes.map(String) };
  });
}
