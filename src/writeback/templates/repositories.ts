// Repository writes. Reference: https://docs.docker.com/reference/api/hub/latest/#tag/repositories
import { sql } from 'drizzle-orm';
import { bool, canonical, given, list, text, type Row } from '../values.js';
import { booleanColumn, oneOf, pathFor, pick, REPO_PERMISSIONS, str } from './common.js';
import type { WritebackTemplate } from './types.js';
import { HUB_PATHS } from '../../hub/paths.js';

const scope = (r: Row) => str(r, 'namespace');
const repoRow = (lookup: Parameters<NonNullable<WritebackTemplate['inPlace']>>[1], r: Row) =>
  lookup.one(sql`SELECT description, full_description, immutable_tags_settings FROM dockerhub.repositories
                 WHERE namespace = ${str(r, 'namespace')} AND name = ${str(r, 'name')} AND deleted_at IS NULL LIMIT 1`);

export const createRepository: WritebackTemplate = {
  name: 'repositories.create',
  summary: 'create a repository',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/repositories/operation/CreateRepository',
  method: 'POST',
  path: HUB_PATHS.repositories,
  requires: ['namespace', 'name'],
  optional: ['description', 'full_description', 'is_private'],
  key: ['namespace', 'name'],
  idempotent: false,
  scope,
  prepare: (r) => booleanColumn(r, 'is_private') ?? r,
  body: ([r]) => ({ namespace: str(r!, 'namespace'), name: str(r!, 'name'), ...pick(r!, { description: 'text', full_description: 'text', is_private: 'bool' }) }),
  inPlace: async (r, lookup) => ((await repoRow(lookup, r)) ? 'repository exists' : undefined),
  confirm: async (records, hub) => {
    const r = records[0]!;
    const found = await hub.get(pathFor('/v2/namespaces/{namespace}/repositories/{name}', r));
    return { found: found !== undefined, createdIds: [`${str(r, 'namespace')}/${str(r, 'name')}`] };
  },
  createdIds: (_response, records) => records.map((r) => `${str(r, 'namespace')}/${str(r, 'name')}`),
};

export const updateRepositoryDescription: WritebackTemplate = {
  name: 'repositories.description',
  summary: "update a repository's short and full description",
  reference: 'not in the published API; PATCH /v2/repositories/{namespace}/{name}/ as hub-tool and the Terraform provider use it',
  undocumented: 'Docker Hub does not document this call (legacy path); it may change or stop working without notice',
  method: 'PATCH',
  path: '/v2/repositories/{namespace}/{name}/',
  requires: ['namespace', 'name'],
  optional: ['description', 'full_description'],
  key: ['namespace', 'name'],
  idempotent: true,
  scope,
  prepare: (r) => (given(r, 'description') || given(r, 'full_description') ? r : 'needs description or full_description'),
  body: ([r]) => pick(r!, { description: 'text', full_description: 'text' }),
  inPlace: async (r, lookup) => {
    const row = await repoRow(lookup, r);
    if (!row) return undefined;
    const same = (column: string) => !given(r, column) || text(r[column]) === (row[column] ?? '');
    return same('description') && same('full_description') ? 'descriptions already set' : undefined;
  },
};

export const setImmutableTags: WritebackTemplate = {
  name: 'repositories.immutable_tags',
  summary: "set a repository's immutable-tag rules",
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/repositories/operation/UpdateRepositoryImmutableTags',
  method: 'PATCH',
  path: '/v2/namespaces/{namespace}/repositories/{name}/immutabletags',
  requires: ['namespace', 'name', 'immutable_tags'],
  optional: ['immutable_tags_rules'],
  key: ['namespace', 'name'],
  idempotent: true,
  scope,
  prepare: (r) => {
    const bad = booleanColumn(r, 'immutable_tags');
    if (bad) return bad;
    if (given(r, 'immutable_tags_rules') && list(r.immutable_tags_rules) === undefined) return 'immutable_tags_rules is not a list';
    return r;
  },
  body: ([r]) => ({ immutable_tags: bool(r!.immutable_tags), immutable_tags_rules: given(r!, 'immutable_tags_rules') ? list(r!.immutable_tags_rules) : [] }),
  inPlace: async (r, lookup) => {
    const row = await repoRow(lookup, r);
    const settings = row?.immutable_tags_settings as { enabled?: boolean; rules?: string[] } | null | undefined;
    if (!settings) return undefined;
    const want = { enabled: bool(r.immutable_tags), rules: given(r, 'immutable_tags_rules') ? list(r.immutable_tags_rules) : [] };
    return canonical({ enabled: settings.enabled, rules: settings.rules ?? [] }) === canonical(want) ? 'immutable-tag rules already set' : undefined;
  },
};

export const verifyImmutableTags: WritebackTemplate = {
  name: 'repositories.immutable_tags_verify',
  summary: 'verify an immutable-tag rule: which tags it matches (changes nothing)',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/repositories/operation/VerifyRepositoryImmutableTags',
  method: 'POST',
  path: '/v2/namespaces/{namespace}/repositories/{name}/immutabletags/verify',
  requires: ['namespace', 'name', 'regex'],
  key: ['namespace', 'name', 'regex'],
  idempotent: true,
  scope,
  body: ([r]) => ({ regex: str(r!, 'regex') }),
};

export const grantTeamAccess: WritebackTemplate = {
  name: 'repositories.team_access',
  summary: 'grant a team read, write or admin access to a repository',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/repositories/operation/CreateRepositoryGroup',
  method: 'POST',
  path: '/v2/repositories/{namespace}/{name}/groups',
  requires: ['namespace', 'name', 'team', 'permission'],
  optional: ['group_id'],
  key: ['namespace', 'name', 'team'],
  // Granting again sets the same permission.
  idempotent: true,
  scope,
  prepare: async (r, lookup) => {
    const bad = oneOf(r, 'permission', REPO_PERMISSIONS);
    if (bad) return bad;
    if (given(r, 'group_id')) return r;
    const team = await lookup.one(sql`SELECT id FROM dockerhub.teams WHERE org = ${str(r, 'namespace')} AND name = ${str(r, 'team')} AND deleted_at IS NULL LIMIT 1`);
    if (!team) return `team "${str(r, 'team')}" is not in dockerhub.teams for ${str(r, 'namespace')} (sync the organization first, or give group_id)`;
    return { ...r, group_id: Number(team.id) };
  },
  body: ([r]) => ({ group_id: Number(r!.group_id), permission: str(r!, 'permission').toLowerCase() }),
};

export const repositoryTemplates = [createRepository, updateRepositoryDescription, setImmutableTags, verifyImmutableTags, grantTeamAccess];
