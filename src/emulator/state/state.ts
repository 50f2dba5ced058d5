// The emulated Docker Hub account as one object: the stores, every state change (from the API
// routes and from the admin surface alike, so each records its audit event the same way) and the
// snapshot used to compare a synced database with what the API serves.

import type { Clock } from '../clock.js';
import { REPOSITORY_NAME_PATTERN } from '../format.js';
import type { World } from '../generator/world.js';
import type {
  AccessToken, AuditActionsResponse, CustomRoleRecord, AuditLogEvent, GroupMember, Invite, OatRecord, OrgAccessToken, OrgGroup, OrgMember, OrgRole, OrgSettings,
  RepositoryInfo, Tag,
} from '../model.js';
import { prngFor } from '../prng.js';
import { AuditStore } from './audit.js';
import { StateError } from './errors.js';
import { type BulkInviteResult, OrgStore } from './orgs.js';
import { type NewRepositoryInput, type NewTagInput, type Pusher, RepositoryStore, type RepoState } from './repositories.js';
import { TokenStore } from './tokens.js';
import { UsageStore } from './usage.js';

export interface EmulatorSnapshot {
  user: string;
  orgs: string[];
  namespaces: string[];
  repositories: Record<string, RepositoryInfo[]>;
  /** Keyed `namespace/repository`, each list in the API's default order (newest first). */
  tags: Record<string, Tag[]>;
  auditLogs: Record<string, AuditLogEvent[]>;
  auditActions: Record<string, AuditActionsResponse>;
  members: Record<string, OrgMember[]>;
  teams: Record<string, OrgGroup[]>;
  /** Keyed `org/team`. */
  teamMembers: Record<string, GroupMember[]>;
  orgSettings: Record<string, OrgSettings>;
  accessTokens: AccessToken[];
  orgAccessTokens: Record<string, OrgAccessToken[]>;
  invites: Record<string, Invite[]>;
}

export interface SnapshotOptions {
  /** Skip tags (they are the bulk at large scales). Default true. */
  tags?: boolean;
}

export const OWNER_PERMISSIONS = { read: true, write: true, admin: true } as const;

export class EmulatorState {
  readonly repositories: RepositoryStore;
  readonly audit: AuditStore;
  readonly orgs: OrgStore;
  readonly tokens: TokenStore;
  /** Pull events and the Enterprise Data API's pull-usage reports made from them. */
  readonly usage: UsageStore;

  constructor(
    readonly world: World,
    readonly clock: Clock,
  ) {
    // One runtime stream: the same sequence of changes produces the same ids and digests.
    const rng = prngFor(world.seedKey, 'runtime');
    this.repositories = new RepositoryStore(world, clock, rng);
    this.audit = new AuditStore(world, clock, rng);
    this.orgs = new OrgStore(world, clock, rng);
    this.tokens = new TokenStore(world, clock, rng);
    this.usage = new UsageStore(clock, world.seedKey, world.epochMs, this.orgs.names(), this.repositories);
  }

  get user(): string {
    return this.world.user.username;
  }

  get orgNames(): string[] {
    return this.orgs.names();
  }

  get namespaces(): string[] {
    return this.repositories.namespaces();
  }

  isOrg(namespace: string): boolean {
    return this.orgs.has(namespace);
  }

  pusher(username: string): Pusher {
    const person = this.world.people.get(username) ?? this.world.user;
    return { username: person.username, numericId: person.numericId };
  }

  repository(namespace: string, name: string): RepoState {
    const repo = this.repositories.get(namespace, name);
    if (!repo) throw new StateError('not_found', `repository ${namespace}/${name} not found`);
    return repo;
  }

  // ------------------------------------------------------------ repositories and tags

  createRepository(namespace: string, input: NewRepositoryInput, actor: string): RepoState {
    if (!this.repositories.hasNamespace(namespace)) throw new StateError('not_found', `namespace ${namespace} not found`);
    const fields: Record<string, string[]> = {};
    if (typeof input.name !== 'string' || !REPOSITORY_NAME_PATTERN.test(input.name) || input.name.length < 2 || input.name.length > 255) {
      fields.name = ['Repository names are 2-255 characters: lowercase letters, digits and single ".", "_" or "-" separators.'];
    }
    if (input.description !== undefined && (typeof input.description !== 'string' || input.description.length > 100)) fields.description = ['At most 100 characters.'];
    if (input.full_description !== undefined && (typeof input.full_description !== 'string' || input.full_description.length > 25_000)) {
      fields.full_description = ['At most 25000 characters.'];
    }
    if (input.is_private !== undefined && typeof input.is_private !== 'boolean') fields.is_private = ['Must be a valid boolean.'];
    if (Object.keys(fields).length > 0) throw new StateError('invalid', 'invalid repository', fields);
    if (this.repositories.get(namespace, input.name)) throw new StateError('conflict', `repository ${namespace}/${input.name} already exists`);
    const repo = this.repositories.create(namespace, input, this.pusher(actor));
    this.audit.record(namespace, 'repo.create', actor, { repository: input.name });
    for (let i = 0; i < (input.tags ?? 0); i++) this.pushTag(namespace, input.name, { name: i === 0 ? 'latest' : `1.0.${i - 1}` }, actor);
    return repo;
  }

  pushTag(namespace: string, name: string, input: NewTagInput, actor: string): Tag {
    const repo = this.repository(namespace, name);
    if (typeof input.name !== 'string' || !/^[\w][\w.-]{0,127}$/.test(input.name)) throw new StateError('invalid', `invalid tag name ${JSON.stringify(input.name)}`);
    const tag = this.repositories.pushTag(repo, input, this.pusher(actor));
    this.audit.record(namespace, 'repo.tag.push', actor, { repository: name, tag: tag.name, digest: tag.digest });
    return tag;
  }

  removeTag(namespace: string, name: string, tag: string, actor: string): boolean {
    const removed = this.repositories.deleteTag(this.repository(namespace, name), tag);
    if (removed) this.audit.record(namespace, 'repo.tag.delete', actor, { repository: name, tag });
    return removed !== undefined;
  }

  removeRepository(namespace: string, name: string, actor: string): boolean {
    const removed = this.repositories.delete(namespace, name);
    if (removed) this.audit.record(namespace, 'repo.delete', actor, { repository: name });
    return removed;
  }

  updateRepository(namespace: string, name: string, body: { description?: unknown; full_description?: unknown }, actor: string): RepoState {
    const repo = this.repository(namespace, name);
    const fields: Record<string, string[]> = {};
    if (body.description !== undefined && (typeof body.description !== 'string' || body.description.length > 100)) fields.description = ['At most 100 characters.'];
    if (body.full_description !== undefined && (typeof body.full_description !== 'string' || body.full_description.length > 25_000)) {
      fields.full_description = ['At most 25000 characters.'];
    }
    if (Object.keys(fields).length > 0) throw new StateError('invalid', 'invalid repository update', fields);
    this.repositories.modify(repo, (seed) => {
      if (typeof body.description === 'string') seed.description = body.description;
      if (typeof body.full_description === 'string') seed.fullDescription = body.full_description;
    });
    this.audit.record(namespace, 'repo.update', actor, { repository: name });
    return repo;
  }

  setPrivacy(namespace: string, name: string, isPrivate: unknown, actor: string): RepoState {
    const repo = this.repository(namespace, name);
    if (typeof isPrivate !== 'boolean') throw new StateError('invalid', 'is_private must be a boolean', { is_private: ['Must be a valid boolean.'] });
    this.repositories.modify(repo, (seed) => {
      seed.isPrivate = isPrivate;
    });
    this.audit.record(namespace, 'repo.change_privacy', actor, { repository: name, privacy: isPrivate ? 'private' : 'public' });
    return repo;
  }

  setImmutableTags(namespace: string, name: string, body: { immutable_tags?: unknown; immutable_tags_rules?: unknown }, actor: string): RepoState {
    const repo = this.repository(namespace, name);
    const rules = body.immutable_tags_rules;
    if (typeof body.immutable_tags !== 'boolean' || !Array.isArray(rules) || !rules.every((r) => typeof r === 'string')) {
      throw new StateError('invalid', 'immutable_tags (boolean) and immutable_tags_rules (list of strings) are required', {
        immutable_tags: ['This field is required.'],
        immutable_tags_rules: ['This field is required.'],
      });
    }
    const enabled = body.immutable_tags;
    this.repositories.modify(repo, (seed) => {
      seed.immutableTags = { enabled, rules: rules as string[] };
    });
    this.audit.record(namespace, 'repo.immutable.tags.updated', actor, { repository: name });
    return repo;
  }

  grantTeam(namespace: string, name: string, body: { group_id?: unknown; permission?: unknown }): { group_name: string; permission: string; group_id: number } {
    const repo = this.repository(namespace, name);
    const permission = body.permission;
    if (typeof body.group_id !== 'number' || !Number.isInteger(body.group_id) || (permission !== 'read' && permission !== 'write' && permission !== 'admin')) {
      throw new StateError('invalid', 'group_id (integer) and permission (read|write|admin) are required', {
        group_id: ['A valid integer is required.'],
        permission: ['Must be one of read, write, admin.'],
      });
    }
    if (!this.isOrg(namespace)) throw new StateError('invalid', `${namespace} is not an organization`);
    const team = this.orgs.teamById(namespace, body.group_id);
    if (!team) throw new StateError('not_found', `group ${body.group_id} not found in ${namespace}`);
    repo.grants.set(team.id, permission);
    return { group_name: team.name, permission, group_id: team.id };
  }

  // ------------------------------------------------------------ organizations

  /** `role`: a core role or the name of a custom role of the organization (spec c95ded2). */
  setMemberRole(org: string, username: string, role: unknown, actor: string): OrgMember {
    const { member, previous } = this.orgs.setRole(org, username, role);
    this.audit.record(org, 'org.member.role.change', actor, { username, role: String(role), previousRole: previous });
    return member;
  }

  deleteMember(org: string, username: string, actor: string): void {
    this.orgs.removeMember(org, username);
    this.audit.record(org, 'org.member.remove', actor, { username });
  }

  createTeam(org: string, body: { name?: unknown; description?: unknown }, actor: string): OrgGroup {
    const team = this.orgs.createTeam(org, body);
    this.audit.record(org, 'org.team.create', actor, { team: team.name });
    return this.orgs.groupShape(team);
  }

  updateTeam(org: string, team: string, body: { name?: unknown; description?: unknown; role?: unknown }, requireName: boolean, actor: string): OrgGroup {
    const updated = this.orgs.updateTeam(org, team, body, requireName);
    this.audit.record(org, 'org.team.update', actor, { team: updated.name });
    return this.orgs.groupShape(updated);
  }

  deleteTeam(org: string, team: string, actor: string): void {
    this.orgs.deleteTeam(org, team);
    this.audit.record(org, 'org.team.delete', actor, { team });
  }

  addTeamMember(org: string, team: string, username: unknown, actor: string): void {
    if (typeof username !== 'string' || username === '') throw new StateError('invalid', 'member is required', { member: ['This field is required.'] });
    this.orgs.addTeamMember(org, team, username);
    this.audit.record(org, 'org.team.member.add', actor, { team, username });
  }

  removeTeamMember(org: string, team: string, username: string, actor: string): void {
    this.orgs.removeTeamMember(org, team, username);
    this.audit.record(org, 'org.team.member.remove', actor, { team, username });
  }

  bulkInvite(body: Record<string, unknown>, actor: string): BulkInviteResult[] {
    const { org, invitees, team, role, dry_run: dryRun } = body;
    const fields: Record<string, string[]> = {};
    if (typeof org !== 'string') fields.org = ['This field is required.'];
    if (!Array.isArray(invitees) || invitees.length === 0 || !invitees.every((i) => typeof i === 'string')) fields.invitees = ['A non-empty list of emails or Docker IDs is required.'];
    if (team !== undefined && typeof team !== 'string') fields.team = ['Not a valid string.'];
    if (role !== undefined && role !== 'owner' && role !== 'editor' && role !== 'member') fields.role = ['Must be one of owner, editor, member.'];
    if (dryRun !== undefined && typeof dryRun !== 'boolean') fields.dry_run = ['Must be a valid boolean.'];
    if (Object.keys(fields).length > 0) throw new StateError('invalid', 'invalid bulk invite', fields);
    const orgName = org as string;
    const results = this.orgs.bulkInvite(orgName, invitees as string[], {
      ...(typeof team === 'string' ? { team } : {}),
      ...(typeof role === 'string' ? { role: role as OrgRole } : {}),
      dryRun: dryRun === true,
      inviter: actor,
    });
    for (const result of results) {
      if (result.status === 'invited') this.audit.record(orgName, 'org.member.invite.send', actor, { invitee: result.invitee, team: result.invite?.team ?? '', role: (role as string) ?? 'member' });
    }
    return results;
  }

  updateSettings(org: string, body: unknown, actor: string): OrgSettings {
    const settings = this.orgs.updateSettings(org, body);
    this.audit.record(org, 'org.settings.update', actor, {});
    return settings;
  }

  createOat(org: string, body: Record<string, unknown>, actor: string): OatRecord {
    const token = this.orgs.createOat(org, body, actor);
    this.audit.record(org, 'org.access_token.create', actor, { label: token.label });
    return token;
  }

  updateOat(org: string, id: string, body: Record<string, unknown>, actor: string): OatRecord {
    const token = this.orgs.updateOat(org, id, body);
    this.audit.record(org, 'org.access_token.update', actor, { label: token.label });
    return token;
  }

  deleteOat(org: string, id: string, actor: string): void {
    const token = this.orgs.deleteOat(org, id);
    this.audit.record(org, 'org.access_token.delete', actor, { label: token.label });
  }

  // ------------------------------------------------------------ admin surface (contract with tests and the demo)

  /** Creates a repository as its namespace's owner; `input.tags` pushes that many tags straight away. */
  addRepository(namespace: string, input: string | NewRepositoryInput): RepositoryInfo {
    const repo = this.createRepository(namespace, typeof input === 'string' ? { name: input } : input, this.ownerOf(namespace));
    return this.repositories.info(repo, OWNER_PERMISSIONS);
  }

  deleteRepository(namespace: string, name: string): boolean {
    return this.removeRepository(namespace, name, this.ownerOf(namespace));
  }

  addTag(namespace: string, repository: string, input: string | NewTagInput): Tag {
    return this.pushTag(namespace, repository, typeof input === 'string' ? { name: input } : input, this.ownerOf(namespace));
  }

  deleteTag(namespace: string, repository: string, tag: string): boolean {
    return this.removeTag(namespace, repository, tag, this.ownerOf(namespace));
  }

  /** Adds pulls (pull_count, and the pulled tag's last pull time; default: the newest tag). Returns the new pull_count. */
  bumpPulls(namespace: string, repository: string, count: number, tag?: string): number {
    const repo = this.repository(namespace, repository);
    const pulled = this.repositories.bumpPulls(repo, count, tag);
    if (pulled !== undefined) this.usage.record({ namespace, repository, tag: pulled, count, atMs: this.clock.now() });
    return repo.pullCount;
  }

  appendAuditEvents(account: string, input: number | Partial<AuditLogEvent>[]): AuditLogEvent[] {
    if (!this.audit.has(account)) throw new StateError('not_found', `account ${account} not found`);
    return this.audit.append(account, input);
  }

  /** A custom role the organization defines (Hub: Admin Console); members and teams may then hold it. */
  addCustomRole(org: string, input: { name?: unknown; label?: unknown; base?: unknown }): CustomRoleRecord {
    return this.orgs.addCustomRole(org, input);
  }

  removeMember(org: string, username: string): boolean {
    if (!this.orgs.has(org) || this.orgs.role(org, username) === undefined) return false;
    this.deleteMember(org, username, this.user);
    return true;
  }

  private ownerOf(_namespace: string): string {
    // The emulated user owns every organization, so it is the natural actor of admin changes.
    return this.user;
  }

  // ------------------------------------------------------------ snapshot

  snapshot(options: SnapshotOptions = {}): EmulatorSnapshot {
    const includeTags = options.tags ?? true;
    const out: EmulatorSnapshot = {
      user: this.user,
      orgs: this.orgNames,
      namespaces: this.namespaces,
      repositories: {},
      tags: {},
      auditLogs: {},
      auditActions: {},
      members: {},
      teams: {},
      teamMembers: {},
      orgSettings: {},
      accessTokens: this.tokens.list().map((pat) => this.tokens.shape(pat)),
      orgAccessTokens: {},
      invites: {},
    };
    for (const namespace of this.namespaces) {
      const repos = this.repositories.sorted(namespace, 'name');
      out.repositories[namespace] = repos.map((repo) => this.repositories.info(repo, OWNER_PERMISSIONS));
      if (includeTags) for (const repo of repos) out.tags[`${namespace}/${repo.seed.name}`] = this.repositories.allTags(repo);
      out.auditLogs[namespace] = this.audit.all(namespace);
      out.auditActions[namespace] = this.audit.actions(namespace);
    }
    for (const org of this.orgNames) {
      out.members[org] = this.orgs.members(org);
      out.teams[org] = this.orgs.teams(org);
      for (const team of out.teams[org]) out.teamMembers[`${org}/${team.name}`] = this.orgs.teamMembers(org, team.name);
      out.orgSettings[org] = this.orgs.settings(org);
      out.orgAccessTokens[org] = this.orgs.oats(org).map((token) => this.orgs.oatShape(token));
      out.invites[org] = this.orgs.invites(org);
    }
    return out;
  }
}
