// Typed Docker Hub operations: the library surface. Lists are async generators of validated items
// (a bad item is reported and skipped, never fatal); gets validate and throw HubResponseError on a
// body that is not the promised shape; writes validate leniently (the change already happened, so
// a surprising answer is logged and returned as is). Paths: the spec's current /v2/namespaces/…
// forms; the two calls outside the spec (description edit, delete) use the paths hub-tool uses.

import type { Logger } from 'pino';
import type { z } from 'zod';
import { HubNotFoundError, HubResponseError } from './errors.js';
import { HUB_PATHS, hubPath } from './paths.js';
import { pathSegment } from './request-rules.js';
import {
  accessTokenSchema,
  auditActionsResponseSchema,
  auditLogEventSchema,
  bulkInviteResponseSchema,
  formatIssues,
  groupMemberSchema,
  immutableTagsVerifyResponseSchema,
  inviteSchema,
  orgAccessTokenSchema,
  orgGroupSchema,
  orgMemberSchema,
  orgSettingsSchema,
  repositoryGroupSchema,
  repositoryInfoSchema,
  repositoryListEntrySchema,
  tagSchema,
  validateItems,
  type AccessToken,
  type AuditActionsResponse,
  type AuditLogEvent,
  type BulkInviteResponse,
  type GroupMember,
  type ImmutableTagsVerifyResponse,
  type InvalidItem,
  type Invite,
  type OrgAccessToken,
  type OrgGroup,
  type OrgMember,
  type OrgSettings,
  type RepositoryGroup,
  type RepositoryInfo,
  type RepositoryListEntry,
  type Tag,
} from './schemas.js';
import type { HubPage, HubRequest, HubResponse, PaginateRequest } from './types.js';

export interface OperationsDeps {
  request: <T = unknown>(req: HubRequest) => Promise<HubResponse<T>>;
  paginate: (req: PaginateRequest) => AsyncGenerator<HubPage>;
  logger?: Logger | undefined;
}

export interface ListOptions {
  pageSize?: number;
  maxPages?: number;
  signal?: AbortSignal;
  /** Called for each item that fails its schema; default: a warn log line (without the payload). */
  onInvalid?: (item: InvalidItem, page: HubPage) => void;
}

export type RepositoryOrdering = 'name' | '-name' | 'last_updated' | '-last_updated' | 'pull_count' | '-pull_count';
export interface ListRepositoriesOptions extends ListOptions {
  ordering?: RepositoryOrdering;
  /** Partial-match filter on the repository name. */
  name?: string;
}
export interface ListAuditLogsOptions extends ListOptions {
  action?: string;
  name?: string;
  actor?: string;
  from?: string | Date;
  to?: string | Date;
}
export interface ListOrgMembersOptions extends ListOptions {
  search?: string;
  type?: 'all' | 'invitee' | 'member';
  role?: 'owner' | 'editor' | 'member';
  invites?: boolean;
}
export interface ListTeamsOptions extends ListOptions {
  username?: string;
  search?: string;
}
export interface ListTeamMembersOptions extends ListOptions {
  search?: string;
}

export interface CreateRepositoryInput {
  name: string;
  /** Defaults to the namespace argument. */
  namespace?: string;
  description?: string;
  full_description?: string;
  registry?: string;
  is_private?: boolean;
}
export interface RepositoryDescriptionInput {
  description?: string;
  full_description?: string;
}
export interface ImmutableTagsInput {
  immutable_tags: boolean;
  immutable_tags_rules: string[];
}
export type RepositoryPermission = 'read' | 'write' | 'admin';
export interface CreateAccessTokenInput {
  token_label: string;
  /** repo:admin | repo:write | repo:read | repo:public_read */
  scopes: string[];
  expires_at?: string;
}
export interface UpdateAccessTokenInput {
  token_label?: string;
  is_active?: boolean;
}
export interface OrgAccessTokenResourceInput {
  type: 'TYPE_REPO' | 'TYPE_ORG' | (string & {});
  path: string;
  scopes: string[];
}
export interface CreateOrgAccessTokenInput {
  label: string;
  description?: string;
  resources?: OrgAccessTokenResourceInput[];
  expires_at?: string | null;
}
export interface UpdateOrgAccessTokenInput {
  label?: string;
  description?: string;
  resources?: OrgAccessTokenResourceInput[];
  is_active?: boolean;
}
export interface TeamInput {
  name: string;
  description?: string;
}
/** PATCH of a team: any of the fields; `role` only here (spec c95ded2). */
export interface TeamPatchInput extends Partial<TeamInput> {
  role?: OrgRole;
}
export interface BulkInviteInput {
  org: string;
  /** Emails or Docker IDs. */
  invitees: string[];
  team?: string;
  role?: string;
  /** Validate only. */
  dry_run?: boolean;
}
/** A core role, or the name (not the label or UUID) of a custom role of the organization (spec c95ded2): Hub decides. */
export type OrgRole = 'owner' | 'editor' | 'member' | (string & {});
export interface OrgSettingsInput {
  restricted_images: { enabled: boolean; allow_official_images: boolean; allow_verified_publishers: boolean };
}

export interface HubOperations extends HubReads, HubWrites {}

interface HubReads {
  listRepositories(namespace: string, options?: ListRepositoriesOptions): AsyncGenerator<RepositoryListEntry>;
  getRepository(namespace: string, repository: string): Promise<RepositoryInfo>;
  repositoryExists(namespace: string, repository: string): Promise<boolean>;
  listTags(namespace: string, repository: string, options?: ListOptions): AsyncGenerator<Tag>;
  getTag(namespace: string, repository: string, tag: string): Promise<Tag>;
  listAuditLogs(account: string, options?: ListAuditLogsOptions): AsyncGenerator<AuditLogEvent>;
  listAuditActions(account: string): Promise<AuditActionsResponse>;
  listOrgMembers(org: string, options?: ListOrgMembersOptions): AsyncGenerator<OrgMember>;
  exportOrgMembersCsv(org: string): Promise<string>;
  listTeams(org: string, options?: ListTeamsOptions): AsyncGenerator<OrgGroup>;
  getTeam(org: string, team: string): Promise<OrgGroup>;
  listTeamMembers(org: string, team: string, options?: ListTeamMembersOptions): AsyncGenerator<GroupMember>;
  getOrgSettings(org: string): Promise<OrgSettings>;
  listAccessTokens(options?: ListOptions): AsyncGenerator<AccessToken>;
  getAccessToken(uuid: string): Promise<AccessToken>;
  listOrgAccessTokens(org: string, options?: ListOptions): AsyncGenerator<OrgAccessToken>;
  getOrgAccessToken(org: string, id: string): Promise<OrgAccessToken>;
  listInvites(org: string, options?: ListOptions): AsyncGenerator<Invite>;
}

interface HubWrites {
  createRepository(namespace: string, input: CreateRepositoryInput): Promise<RepositoryInfo>;
  /** Not in the published spec: PATCH /v2/repositories/{ns}/{repo}/ as hub-tool and the Terraform provider use it. */
  updateRepositoryDescription(namespace: string, repository: string, input: RepositoryDescriptionInput): Promise<RepositoryInfo>;
  /** Not in the published spec: DELETE /v2/repositories/{ns}/{repo}/ as hub-tool uses it. Irreversible. */
  deleteRepository(namespace: string, repository: string): Promise<void>;
  updateImmutableTags(namespace: string, repository: string, input: ImmutableTagsInput): Promise<RepositoryInfo>;
  verifyImmutableTags(namespace: string, repository: string, regex: string): Promise<ImmutableTagsVerifyResponse>;
  assignTeamToRepository(namespace: string, repository: string, groupId: number, permission: RepositoryPermission): Promise<RepositoryGroup>;
  /** The answer holds the new secret in `token`: store it, never log it. */
  createAccessToken(input: CreateAccessTokenInput): Promise<AccessToken>;
  updateAccessToken(uuid: string, input: UpdateAccessTokenInput): Promise<AccessToken>;
  deleteAccessToken(uuid: string): Promise<void>;
  /** The answer holds the new secret in `token`: store it, never log it. */
  createOrgAccessToken(org: string, input: CreateOrgAccessTokenInput): Promise<OrgAccessToken>;
  updateOrgAccessToken(org: string, id: string, input: UpdateOrgAccessTokenInput): Promise<OrgAccessToken>;
  deleteOrgAccessToken(org: string, id: string): Promise<void>;
  createTeam(org: string, input: TeamInput): Promise<OrgGroup>;
  /** PUT: replaces name and description. */
  updateTeam(org: string, team: string, input: TeamInput): Promise<OrgGroup>;
  /** PATCH: changes only the given fields. */
  patchTeam(org: string, team: string, input: TeamPatchInput): Promise<OrgGroup>;
  deleteTeam(org: string, team: string): Promise<void>;
  addTeamMember(org: string, team: string, username: string): Promise<void>;
  removeTeamMember(org: string, team: string, username: string): Promise<void>;
  bulkInvite(input: BulkInviteInput): Promise<BulkInviteResponse>;
  resendInvite(id: string): Promise<void>;
  deleteInvite(id: string): Promise<void>;
  updateMemberRole(org: string, username: string, role: OrgRole): Promise<OrgMember>;
  removeMember(org: string, username: string): Promise<void>;
  updateOrgSettings(org: string, settings: OrgSettingsInput): Promise<OrgSettings>;
}

// Each value is one path segment; an id or name that cannot be one is refused before sending.
const seg = (value: string, name: string): string => pathSegment(value, `{${name}}`);
const repoPath = (ns: string, repo: string): string => hubPath(HUB_PATHS.repository, { namespace: ns, repository: repo });
const teamPath = (org: string, team: string): string => hubPath(HUB_PATHS.team, { org, team });
const iso = (v: string | Date | undefined): string | undefined => (v instanceof Date ? v.toISOString() : v);

export function createOperations(deps: OperationsDeps): HubOperations {
  const send = requests(deps);
  return { ...reads(send, deps), ...writes(send) };
}

const required = { auth: 'required' } as const;

type Requests = ReturnType<typeof requests>;

/** The four ways an operation talks to Docker Hub: a validated list, a strict get, a lenient write, no content. */
function requests(deps: OperationsDeps) {
  async function* list<S extends z.ZodType>(schema: S, req: PaginateRequest, opts: ListOptions = {}): AsyncGenerator<z.output<S>> {
    const paged: PaginateRequest = { ...req };
    if (opts.pageSize !== undefined) paged.pageSize = opts.pageSize;
    if (opts.maxPages !== undefined) paged.maxPages = opts.maxPages;
    if (opts.signal) paged.signal = opts.signal;
    for await (const page of deps.paginate(paged)) {
      const { valid, invalid } = validateItems(schema, page.items);
      for (const bad of invalid) {
        if (opts.onInvalid) opts.onInvalid(bad, page);
        else deps.logger?.warn({ endpoint: req.endpoint, page: page.page, index: bad.index, issues: formatIssues(bad.issues) }, 'hub: item failed validation; skipped');
      }
      yield* valid;
    }
  }

  async function get<S extends z.ZodType>(schema: S, req: HubRequest): Promise<z.output<S>> {
    const res = await deps.request(req);
    const parsed = schema.safeParse(res.body);
    if (parsed.success) return parsed.data;
    throw new HubResponseError(`${req.endpoint ?? req.path}: the answer does not match the expected shape: ${formatIssues(parsed.error.issues)}`, {
      issues: parsed.error.issues,
      endpoint: req.endpoint,
      url: res.url,
      status: res.status,
      method: req.method ?? 'GET',
    });
  }

  async function write<S extends z.ZodType>(schema: S, req: HubRequest): Promise<z.output<S>> {
    const res = await deps.request(req);
    const parsed = schema.safeParse(res.body);
    if (parsed.success) return parsed.data;
    deps.logger?.warn({ endpoint: req.endpoint, status: res.status, issues: formatIssues(parsed.error.issues) }, 'hub: write answered in an unexpected shape; returned as is');
    return res.body as z.output<S>;
  }

  async function noContent(req: HubRequest): Promise<void> {
    await deps.request(req);
  }

  return { list, get, write, noContent };
}

/** The reads: lists yield validated items, gets throw on an answer of the wrong shape. */
function reads({ list, get }: Requests, deps: OperationsDeps): HubReads {
  return {
    listRepositories: (ns, o = {}) =>
      list(repositoryListEntrySchema, { path: hubPath(HUB_PATHS.repositories, { namespace: ns }), query: { ordering: o.ordering, name: o.name }, shape: 'results', endpoint: 'list repositories' }, o),
    getRepository: (ns, repo) => get(repositoryInfoSchema, { path: repoPath(ns, repo), endpoint: 'get repository' }),
    repositoryExists: async (ns, repo) => {
      try {
        await deps.request({ method: 'HEAD', path: repoPath(ns, repo), endpoint: 'check repository', cache: false });
        return true;
      } catch (err) {
        if (err instanceof HubNotFoundError) return false;
        throw err;
      }
    },
    listTags: (ns, repo, o = {}) => list(tagSchema, { path: hubPath(HUB_PATHS.tags, { namespace: ns, repository: repo }), shape: 'results', endpoint: 'list tags' }, o),
    getTag: (ns, repo, tag) => get(tagSchema, { path: hubPath(HUB_PATHS.tag, { namespace: ns, repository: repo, tag }), endpoint: 'get tag' }),
    listAuditLogs: (account, o = {}) =>
      list(
        auditLogEventSchema,
        {
          path: hubPath(HUB_PATHS.auditLogs, { account }),
          query: { action: o.action, name: o.name, actor: o.actor, from: iso(o.from), to: iso(o.to) },
          shape: 'logs',
          endpoint: 'list audit logs',
          ...required,
        },
        o,
      ),
    listAuditActions: (account) => get(auditActionsResponseSchema, { path: hubPath(HUB_PATHS.auditLogActions, { account }), endpoint: 'list audit log actions', ...required }),
    listOrgMembers: (org, o = {}) =>
      list(
        orgMemberSchema,
        { path: hubPath(HUB_PATHS.orgMembers, { org }), query: { search: o.search, type: o.type, role: o.role, invites: o.invites }, shape: 'results', endpoint: 'list organization members', ...required },
        o,
      ),
    exportOrgMembersCsv: async (org) => {
      const res = await deps.request<unknown>({ path: `${hubPath(HUB_PATHS.orgMembers, { org })}/export`, endpoint: 'export organization members', headers: { accept: 'text/csv' }, ...required });
      return typeof res.body === 'string' ? res.body : JSON.stringify(res.body);
    },
    listTeams: (org, o = {}) =>
      list(orgGroupSchema, { path: hubPath(HUB_PATHS.teams, { org }), query: { username: o.username, search: o.search }, shape: 'results', endpoint: 'list teams', ...required }, o),
    getTeam: (org, team) => get(orgGroupSchema, { path: teamPath(org, team), endpoint: 'get team', ...required }),
    listTeamMembers: (org, team, o = {}) =>
      list(groupMemberSchema, { path: hubPath(HUB_PATHS.teamMembers, { org, team }), query: { search: o.search }, shape: 'array', endpoint: 'list team members', ...required }, o),
    getOrgSettings: (org) => get(orgSettingsSchema, { path: hubPath(HUB_PATHS.orgSettings, { org }), endpoint: 'get organization settings', ...required }),
    listAccessTokens: (o = {}) => list(accessTokenSchema, { path: HUB_PATHS.accessTokens, shape: 'results', endpoint: 'list personal access tokens', ...required }, o),
    getAccessToken: (uuid) => get(accessTokenSchema, { path: `/v2/access-tokens/${seg(uuid, 'uuid')}`, endpoint: 'get personal access token', ...required }),
    listOrgAccessTokens: (org, o = {}) =>
      list(orgAccessTokenSchema, { path: hubPath(HUB_PATHS.orgAccessTokens, { org }), shape: 'total', endpoint: 'list organization access tokens', ...required }, o),
    getOrgAccessToken: (org, id) => get(orgAccessTokenSchema, { path: `/v2/orgs/${seg(org, 'org')}/access-tokens/${seg(id, 'id')}`, endpoint: 'get organization access token', ...required }),
    listInvites: (org, o = {}) => list(inviteSchema, { path: hubPath(HUB_PATHS.invites, { org }), shape: 'data', pageSize: null, endpoint: 'list invites', ...required }, o),
  };
}

/** The writes: the change happened on Docker Hub, so a surprising answer is logged and returned as is. */
function writes({ write, noContent }: Requests): HubWrites {
  return {
    createRepository: (ns, input) =>
      write(repositoryInfoSchema, { method: 'POST', path: hubPath(HUB_PATHS.repositories, { namespace: ns }), body: { ...input, namespace: input.namespace ?? ns }, endpoint: 'create repository', ...required }),
    updateRepositoryDescription: (ns, repo, input) =>
      write(repositoryInfoSchema, { method: 'PATCH', path: `/v2/repositories/${seg(ns, 'ns')}/${seg(repo, 'repo')}/`, body: input, endpoint: 'update repository description', ...required }),
    deleteRepository: (ns, repo) => noContent({ method: 'DELETE', path: `/v2/repositories/${seg(ns, 'ns')}/${seg(repo, 'repo')}/`, endpoint: 'delete repository', ...required }),
    updateImmutableTags: (ns, repo, input) =>
      write(repositoryInfoSchema, { method: 'PATCH', path: `${repoPath(ns, repo)}/immutabletags`, body: input, endpoint: 'update immutable tags', ...required }),
    verifyImmutableTags: (ns, repo, regex) =>
      write(immutableTagsVerifyResponseSchema, { method: 'POST', path: `${repoPath(ns, repo)}/immutabletags/verify`, body: { regex }, endpoint: 'verify immutable tags', idempotent: true, ...required }),
    assignTeamToRepository: (ns, repo, groupId, permission) =>
      write(repositoryGroupSchema, { method: 'POST', path: `/v2/repositories/${seg(ns, 'ns')}/${seg(repo, 'repo')}/groups`, body: { group_id: groupId, permission }, endpoint: 'assign team to repository', ...required }),
    createAccessToken: (input) => write(accessTokenSchema, { method: 'POST', path: '/v2/access-tokens', body: input, endpoint: 'create personal access token', ...required }),
    updateAccessToken: (uuid, input) =>
      write(accessTokenSchema, { method: 'PATCH', path: `/v2/access-tokens/${seg(uuid, 'uuid')}`, body: input, endpoint: 'update personal access token', ...required }),
    deleteAccessToken: (uuid) => noContent({ method: 'DELETE', path: `/v2/access-tokens/${seg(uuid, 'uuid')}`, endpoint: 'delete personal access token', ...required }),
    createOrgAccessToken: (org, input) =>
      write(orgAccessTokenSchema, { method: 'POST', path: hubPath(HUB_PATHS.orgAccessTokens, { org }), body: input, endpoint: 'create organization access token', ...required }),
    updateOrgAccessToken: (org, id, input) =>
      write(orgAccessTokenSchema, { method: 'PATCH', path: `/v2/orgs/${seg(org, 'org')}/access-tokens/${seg(id, 'id')}`, body: input, endpoint: 'update organization access token', ...required }),
    deleteOrgAccessToken: (org, id) => noContent({ method: 'DELETE', path: `/v2/orgs/${seg(org, 'org')}/access-tokens/${seg(id, 'id')}`, endpoint: 'delete organization access token', ...required }),
    createTeam: (org, input) => write(orgGroupSchema, { method: 'POST', path: hubPath(HUB_PATHS.teams, { org }), body: input, endpoint: 'create team', ...required }),
    updateTeam: (org, team, input) => write(orgGroupSchema, { method: 'PUT', path: teamPath(org, team), body: input, endpoint: 'update team', ...required }),
    patchTeam: (org, team, input) => write(orgGroupSchema, { method: 'PATCH', path: teamPath(org, team), body: input, endpoint: 'update team', idempotent: true, ...required }),
    deleteTeam: (org, team) => noContent({ method: 'DELETE', path: teamPath(org, team), endpoint: 'delete team', ...required }),
    addTeamMember: (org, team, username) =>
      noContent({ method: 'POST', path: `${teamPath(org, team)}/members`, body: { member: username }, endpoint: 'add team member', idempotent: true, ...required }),
    removeTeamMember: (org, team, username) =>
      noContent({ method: 'DELETE', path: `${teamPath(org, team)}/members/${seg(username, 'username')}`, endpoint: 'remove team member', ...required }),
    bulkInvite: (input) => write(bulkInviteResponseSchema, { method: 'POST', path: '/v2/invites/bulk', body: input, endpoint: 'bulk invite', ...required }),
    resendInvite: (id) => noContent({ method: 'PATCH', path: `/v2/invites/${seg(id, 'id')}/resend`, endpoint: 'resend invite', ...required }),
    deleteInvite: (id) => noContent({ method: 'DELETE', path: `/v2/invites/${seg(id, 'id')}`, endpoint: 'cancel invite', ...required }),
    updateMemberRole: (org, username, role) =>
      write(orgMemberSchema, { method: 'PUT', path: `/v2/orgs/${seg(org, 'org')}/members/${seg(username, 'username')}`, body: { role }, endpoint: 'update member role', ...required }),
    removeMember: (org, username) => noContent({ method: 'DELETE', path: `/v2/orgs/${seg(org, 'org')}/members/${seg(username, 'username')}`, endpoint: 'remove member', ...required }),
    updateOrgSettings: (org, settings) =>
      write(orgSettingsSchema, { method: 'PUT', path: hubPath(HUB_PATHS.orgSettings, { org }), body: settings, endpoint: 'update organization settings', ...required }),
  };
}
