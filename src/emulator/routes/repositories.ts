// Repositories and tags: the current /v2/namespaces/{ns}/repositories family, the deprecated
// /v2/repositories/{ns}/… family (still answering, docs/hub-quirks.md), and the repository writes a
// destination uses (create, description edit, privacy, immutable tags, team grant).

import { actorName, listsPrivateRepositories, repositoryPermissions } from '../access.js';
import {
  enumParam, fail, NO_CONTENT, paging, requireBodyObject, resultsPage, route, type Route, type RouteContext, type RouteResult, stringParam,
} from '../http.js';
import {
  DEFAULT_REPOSITORY_ORDERING, type NewRepositoryInput, REPOSITORY_ORDERINGS, TAG_ORDERINGS,
} from '../state/repositories.js';
import { StateError } from '../state/errors.js';
import { namespaceExists, readableRepository, refuseOat, writableRepository } from './guards.js';

const DEFAULT_PAGE_SIZE = 10;

function listRepositories(ctx: RouteContext): RouteResult {
  const { namespace = '' } = ctx.params;
  namespaceExists(ctx, namespace);
  const paged = paging(ctx, DEFAULT_PAGE_SIZE);
  const ordering = enumParam(ctx.query, 'ordering', REPOSITORY_ORDERINGS) ?? DEFAULT_REPOSITORY_ORDERING;
  const needle = stringParam(ctx.query, 'name')?.toLowerCase();
  const { state, principal } = ctx;
  const privateToo = listsPrivateRepositories(principal, namespace);
  const visible = state.repositories
    .sorted(namespace, ordering)
    .filter(
      (repo) =>
        (needle === undefined || repo.seed.name.includes(needle)) &&
        (privateToo || !repo.seed.isPrivate) &&
        repositoryPermissions(state, principal, namespace, repo.seed.isPrivate).read,
    );
  // Hub answers 404 for a page past the end of the list (docs/hub-quirks.md); page 1 of nothing is an empty 200.
  if (paged.page > 1 && paged.offset >= visible.length) fail(ctx.errors, 404, 'Invalid page.');
  const results = visible.slice(paged.offset, paged.offset + paged.pageSize).map((repo) => state.repositories.listEntry(repo));
  return resultsPage(ctx, paged, visible.length, results, 'repository');
}

function getRepository(ctx: RouteContext): RouteResult {
  const { repo, permissions } = readableRepository(ctx, ctx.params.namespace ?? '', ctx.params.repository ?? '');
  return { status: 200, body: ctx.state.repositories.info(repo, permissions), single: true };
}

function listTags(ctx: RouteContext): RouteResult {
  const { repo } = readableRepository(ctx, ctx.params.namespace ?? '', ctx.params.repository ?? '');
  const paged = paging(ctx, DEFAULT_PAGE_SIZE);
  const ordering = enumParam(ctx.query, 'ordering', TAG_ORDERINGS);
  const needle = stringParam(ctx.query, 'name');
  const store = ctx.state.repositories;
  let total: number;
  let results;
  if (needle === undefined) {
    total = store.tagCount(repo);
    results = store.tagsPage(repo, paged.offset, paged.pageSize, ordering);
  } else {
    const all = store.tagsPage(repo, 0, store.tagCount(repo), ordering).filter((tag) => tag.name.includes(needle));
    total = all.length;
    results = all.slice(paged.offset, paged.offset + paged.pageSize);
  }
  if (paged.page > 1 && paged.offset >= total) fail(ctx.errors, 404, 'Invalid page.');
  return resultsPage(ctx, paged, total, results, 'tag');
}

function getTag(ctx: RouteContext): RouteResult {
  const { repo } = readableRepository(ctx, ctx.params.namespace ?? '', ctx.params.repository ?? '');
  const tag = ctx.state.repositories.getTag(repo, ctx.params.tag ?? '');
  if (!tag) fail(ctx.errors, 404, `tag ${ctx.params.tag} not found`);
  return { status: 200, body: tag, single: true };
}

function createRepository(ctx: RouteContext): RouteResult {
  const namespace = ctx.params.namespace ?? '';
  namespaceExists(ctx, namespace);
  const body = requireBodyObject(ctx);
  if (body.namespace !== undefined && body.namespace !== namespace) {
    throw new StateError('invalid', 'namespace in the body must match the path', { namespace: [`Expected ${namespace}.`] });
  }
  const permissions = repositoryPermissions(ctx.state, ctx.principal, namespace, false);
  if (!permissions.write) fail(ctx.errors, 403, `you cannot create repositories in ${namespace}`);
  const input: NewRepositoryInput = { name: body.name as string };
  if (body.description !== undefined) input.description = body.description as string;
  if (body.full_description !== undefined) input.full_description = body.full_description as string;
  if (body.is_private !== undefined) input.is_private = body.is_private as boolean;
  const repo = ctx.state.createRepository(namespace, input, actorName(ctx.principal));
  return { status: 201, body: ctx.state.repositories.info(repo, permissions), single: true };
}

function updateRepository(ctx: RouteContext): RouteResult {
  const { namespace = '', repository = '' } = ctx.params;
  const { permissions } = writableRepository(ctx, namespace, repository);
  const repo = ctx.state.updateRepository(namespace, repository, requireBodyObject(ctx), actorName(ctx.principal));
  return { status: 200, body: ctx.state.repositories.info(repo, permissions), single: true };
}

function setPrivacy(ctx: RouteContext): RouteResult {
  const { namespace = '', repository = '' } = ctx.params;
  const { permissions } = writableRepository(ctx, namespace, repository, 'admin');
  const repo = ctx.state.setPrivacy(namespace, repository, requireBodyObject(ctx).is_private, actorName(ctx.principal));
  return { status: 200, body: ctx.state.repositories.info(repo, permissions), single: true };
}

function deleteRepository(ctx: RouteContext): RouteResult {
  const { namespace = '', repository = '' } = ctx.params;
  writableRepository(ctx, namespace, repository, 'admin');
  ctx.state.removeRepository(namespace, repository, actorName(ctx.principal));
  return { status: 202 };
}

function deleteTag(ctx: RouteContext): RouteResult {
  const { namespace = '', repository = '', tag = '' } = ctx.params;
  writableRepository(ctx, namespace, repository);
  if (!ctx.state.removeTag(namespace, repository, tag, actorName(ctx.principal))) fail(ctx.errors, 404, `tag ${tag} not found`);
  return NO_CONTENT;
}

function updateImmutableTags(ctx: RouteContext): RouteResult {
  const { namespace = '', repository = '' } = ctx.params;
  const { permissions } = writableRepository(ctx, namespace, repository, 'admin');
  const repo = ctx.state.setImmutableTags(namespace, repository, requireBodyObject(ctx), actorName(ctx.principal));
  return { status: 200, body: ctx.state.repositories.info(repo, permissions), single: true };
}

function verifyImmutableTags(ctx: RouteContext): RouteResult {
  const { namespace = '', repository = '' } = ctx.params;
  const { repo } = writableRepository(ctx, namespace, repository, 'admin');
  const { regex } = requireBodyObject(ctx);
  let pattern: RegExp;
  try {
    if (typeof regex !== 'string' || regex === '') throw new Error('missing');
    pattern = new RegExp(`^(?:${regex})$`);
  } catch {
    throw new StateError('invalid', 'regex must be a valid pattern', { regex: ['Invalid regular expression.'] });
  }
  return { status: 200, body: { tags: ctx.state.repositories.matchingTagNames(repo, pattern) } };
}

function grantTeam(ctx: RouteContext): RouteResult {
  const { namespace = '', repository = '' } = ctx.params;
  writableRepository(ctx, namespace, repository, 'admin');
  return { status: 200, body: ctx.state.grantTeam(namespace, repository, requireBodyObject(ctx)) };
}

const NS = '/v2/namespaces/:namespace/repositories';
const LEGACY = '/v2/repositories/:namespace';

/**
 * A legacy path: organization access tokens work only on the namespaced paths (spec c95ded2), so
 * an OAT gets 403 here whatever its scopes. The team grant is the exception: it keeps its legacy
 * path and the spec labels it for OATs.
 */
const refusingOats = (legacy: Route): Route => ({
  ...legacy,
  handler: (ctx) => {
    refuseOat(ctx);
    return legacy.handler(ctx);
  },
});

export const repositoryRoutes: Route[] = [
  route('GET', NS, 'repositories.list', listRepositories, 'optional'),
  route('POST', NS, 'repositories.create', createRepository),
  route('GET', `${NS}/:repository`, 'repositories.get', getRepository, 'optional'),
  route('GET', `${NS}/:repository/tags`, 'tags.list', listTags, 'optional', 'Error'),
  route('GET', `${NS}/:repository/tags/:tag`, 'tags.get', getTag, 'optional', 'Error'),
  route('PATCH', `${NS}/:repository/immutabletags`, 'repositories.immutabletags.update', updateImmutableTags),
  route('POST', `${NS}/:repository/immutabletags/verify`, 'repositories.immutabletags.verify', verifyImmutableTags),
  route('POST', `${LEGACY}/:repository/groups`, 'repositories.groups.create', grantTeam),
  // Deprecated paths (listing since 2025-06-27, get since 2025-09-19) that real Hub still answers.
  ...[
    route('GET', LEGACY, 'legacy.repositories.list', listRepositories, 'optional'),
    route('GET', '/v2/users/:namespace/repositories', 'legacy.users.repositories.list', listRepositories, 'optional'),
    route('GET', `${LEGACY}/:repository`, 'legacy.repositories.get', getRepository, 'optional'),
    route('PATCH', `${LEGACY}/:repository`, 'legacy.repositories.update', updateRepository),
    route('DELETE', `${LEGACY}/:repository`, 'legacy.repositories.delete', deleteRepository),
    route('POST', `${LEGACY}/:repository/privacy`, 'legacy.repositories.privacy', setPrivacy),
    route('GET', `${LEGACY}/:repository/tags`, 'legacy.tags.list', listTags, 'optional', 'Error'),
    route('GET', `${LEGACY}/:repository/tags/:tag`, 'legacy.tags.get', getTag, 'optional', 'Error'),
    route('DELETE', `${LEGACY}/:repository/tags/:tag`, 'legacy.tags.delete', deleteTag, 'required', 'Error'),
  ].map(refusingOats),
];
