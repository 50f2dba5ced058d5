// Personal and organization access tokens. References:
// https://docs.docker.com/reference/api/hub/latest/#tag/access-tokens and #tag/org-access-tokens
import { sql } from 'drizzle-orm';
import { bool, given, json, list, text, type Row } from '../values.js';
import { booleanColumn, createdSince, PAT_SCOPES, pathFor, pick, str } from './common.js';
import type { WritebackTemplate } from './types.js';
import { HUB_PATHS } from '../../hub/paths.js';

const idOf = (response: unknown, field: string): string | undefined => {
  const value = (response as Row | undefined)?.[field];
  return value === undefined || value === null ? undefined : text(value);
};

export const createAccessToken: WritebackTemplate = {
  name: 'access_tokens.create',
  summary: 'create a personal access token (the secret is shown once, with --reveal-secrets)',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/access-tokens/paths/~1v2~1access-tokens/post',
  method: 'POST',
  path: HUB_PATHS.accessTokens,
  requires: ['token_label', 'scopes'],
  optional: ['expires_at'],
  key: ['token_label'],
  idempotent: false,
  prepare: (r) => {
    const scopes = list(r.scopes);
    if (!scopes || scopes.length === 0) return 'scopes must be a non-empty list (e.g. repo:read)';
    const wrong = scopes.find((s) => !(PAT_SCOPES as readonly string[]).includes(s));
    return wrong ? `scope "${wrong}" is not one of ${PAT_SCOPES.join(', ')}` : r;
  },
  body: ([r]) => ({ token_label: str(r!, 'token_label'), scopes: list(r!.scopes), ...pick(r!, { expires_at: 'text' }) }),
  inPlace: async (r, lookup) =>
    (await lookup.one(sql`SELECT uuid FROM dockerhub.access_tokens WHERE token_label = ${str(r, 'token_label')} AND is_active AND deleted_at IS NULL LIMIT 1`))
      ? 'an active token with this label exists'
      : undefined,
  confirm: async (records, hub, since) => {
    const label = str(records[0]!, 'token_label');
    const found = (await hub.list('/v2/access-tokens', 'results')).find((t) => t.token_label === label && createdSince(t.created_at, since));
    return found ? { found: true, createdIds: [text(found.uuid)], note: 'created; its secret was lost with the answer (delete it and create another)' } : { found: undefined };
  },
  createdIds: (response) => [idOf(response, 'uuid')],
  inverse: { template: 'access_tokens.delete', record: (_stored, id) => ({ uuid: id }) },
  returnsSecret: true,
};

export const updateAccessToken: WritebackTemplate = {
  name: 'access_tokens.update',
  summary: "change a personal access token's label or switch it on or off",
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/access-tokens/paths/~1v2~1access-tokens~1%7Buuid%7D/patch',
  method: 'PATCH',
  path: '/v2/access-tokens/{uuid}',
  requires: ['uuid'],
  optional: ['token_label', 'is_active'],
  key: ['uuid'],
  idempotent: true,
  prepare: (r) => booleanColumn(r, 'is_active') ?? (given(r, 'token_label') || given(r, 'is_active') ? r : 'needs token_label or is_active'),
  body: ([r]) => pick(r!, { token_label: 'text', is_active: 'bool' }),
  inPlace: async (r, lookup) => {
    const row = await lookup.one(sql`SELECT token_label, is_active FROM dockerhub.access_tokens WHERE uuid = ${str(r, 'uuid')} AND deleted_at IS NULL`);
    if (!row) return undefined;
    const same = (!given(r, 'token_label') || row.token_label === str(r, 'token_label')) && (!given(r, 'is_active') || row.is_active === bool(r.is_active));
    return same ? 'token already so' : undefined;
  },
};

export const deleteAccessToken: WritebackTemplate = {
  name: 'access_tokens.delete',
  summary: 'delete a personal access token',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/access-tokens/paths/~1v2~1access-tokens~1%7Buuid%7D/delete',
  method: 'DELETE',
  path: '/v2/access-tokens/{uuid}',
  requires: ['uuid'],
  key: ['uuid'],
  idempotent: true,
};

const RESOURCE_TYPES = ['TYPE_REPO', 'TYPE_ORG'];

export const createOrgAccessToken: WritebackTemplate = {
  name: 'org_access_tokens.create',
  summary: 'create an organization access token (the secret is shown once, with --reveal-secrets)',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/org-access-tokens/paths/~1v2~1orgs~1%7Bname%7D~1access-tokens/post',
  method: 'POST',
  path: HUB_PATHS.orgAccessTokens,
  requires: ['org', 'label'],
  optional: ['description', 'resources', 'expires_at'],
  key: ['org', 'label'],
  idempotent: false,
  scope: (r) => str(r, 'org'),
  prepare: (r) => {
    if (!given(r, 'resources')) return r;
    const resources = json(r.resources);
    if (!Array.isArray(resources) || !resources.every((x) => x && typeof x === 'object' && RESOURCE_TYPES.includes((x as Row).type as string))) {
      return 'resources must be a JSON list of {type: TYPE_REPO|TYPE_ORG, path, scopes}';
    }
    return { ...r, resources };
  },
  body: ([r]) => ({ label: str(r!, 'label'), ...pick(r!, { description: 'text', resources: 'raw', expires_at: 'text' }) }),
  inPlace: async (r, lookup) =>
    (await lookup.one(sql`SELECT id FROM dockerhub.org_access_tokens WHERE org = ${str(r, 'org')} AND label = ${str(r, 'label')} AND is_active AND deleted_at IS NULL LIMIT 1`))
      ? 'an active organization token with this label exists'
      : undefined,
  confirm: async (records, hub, since) => {
    const r = records[0]!;
    const found = (await hub.list(pathFor('/v2/orgs/{org}/access-tokens', r), 'total')).find(
      (t) => t.label === str(r, 'label') && createdSince(t.created_at, since),
    );
    return found ? { found: true, createdIds: [text(found.id)], note: 'created; its secret was lost with the answer (delete it and create another)' } : { found: undefined };
  },
  createdIds: (response) => [idOf(response, 'id')],
  inverse: { template: 'org_access_tokens.delete', record: (stored, id) => ({ org: stored.org, id }) },
  returnsSecret: true,
};

export const updateOrgAccessToken: WritebackTemplate = {
  name: 'org_access_tokens.update',
  summary: "change an organization access token's label, description, resources or active state",
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/org-access-tokens/paths/~1v2~1orgs~1%7Borg_name%7D~1access-tokens~1%7Baccess_token_id%7D/patch',
  method: 'PATCH',
  path: '/v2/orgs/{org}/access-tokens/{id}',
  requires: ['org', 'id'],
  optional: ['label', 'description', 'is_active', 'resources'],
  key: ['org', 'id'],
  idempotent: true,
  scope: (r) => str(r, 'org'),
  prepare: (r) => {
    const bad = booleanColumn(r, 'is_active');
    if (bad) return bad;
    if (!['label', 'description', 'is_active', 'resources'].some((c) => given(r, c))) return 'needs label, description, is_active or resources';
    return given(r, 'resources') ? { ...r, resources: json(r.resources) } : r;
  },
  body: ([r]) => pick(r!, { label: 'text', description: 'text', is_active: 'bool', resources: 'raw' }),
  inPlace: async (r, lookup) => {
    const row = await lookup.one(sql`SELECT label, description, is_active FROM dockerhub.org_access_tokens WHERE org = ${str(r, 'org')} AND id = ${str(r, 'id')} AND deleted_at IS NULL`);
    if (!row || given(r, 'resources')) return undefined;
    const same =
      (!given(r, 'label') || row.label === str(r, 'label')) &&
      (!given(r, 'description') || row.description === str(r, 'description')) &&
      (!given(r, 'is_active') || row.is_active === bool(r.is_active));
    return same ? 'token already so' : undefined;
  },
};

export const deleteOrgAccessToken: WritebackTemplate = {
  name: 'org_access_tokens.delete',
  summary: 'delete an organization access token',
  reference: 'https://docs.docker.com/reference/api/hub/latest/#tag/org-access-tokens/paths/~1v2~1orgs~1%7Borg_name%7D~1access-tokens~1%7Baccess_token_id%7D/delete',
  method: 'DELETE',
  path: '/v2/orgs/{org}/access-tokens/{id}',
  requires: ['org', 'id'],
  key: ['org', 'id'],
  idempotent: true,
  scope: (r) => str(r, 'org'),
};

export const tokenTemplates = [createAccessToken, updateAccessToken, deleteAccessToken, createOrgAccessToken, updateOrgAccessToken, deleteOrgAccessToken];
