// The library facade for people coming from the npm `docker-hub-api` package: same client, but
// the GET cache is on by default for 5 minutes, as that package did. Syncs use createHubClient
// (cache off: a sync must see the current state). `npmLibraryCoverage` records, per method of
// that package, what replaces it here or why the Docker Hub API no longer allows it — the README
// and the docs read it instead of keeping a second copy.

import { createHubClient, type HubClient } from './client.js';
import type { HubClientOptions } from './types.js';

export const LIBRARY_DEFAULT_CACHE_TTL_MS = 5 * 60_000;

export function createDockerHubApi(options: HubClientOptions = {}): HubClient {
  return createHubClient({ ...options, cache: options.cache ?? { ttlMs: LIBRARY_DEFAULT_CACHE_TTL_MS } });
}

export interface LibraryMethodCoverage {
  /** docker-hub-api method. */
  npm: string;
  status: 'covered' | 'gone';
  /** Our replacement (a HubClient member or option). */
  ours?: string;
  note: string;
}

const gone = (npm: string, note: string): LibraryMethodCoverage => ({ npm, status: 'gone', note });
const covered = (npm: string, ours: string, note: string): LibraryMethodCoverage => ({ npm, status: 'covered', ours, note });

const NO_BUILDS = 'Automated builds (and their API) were removed from Docker Hub; no published endpoint remains.';
const NOT_PUBLISHED = 'Not in the published Docker Hub API (spec 2-beta); an undocumented endpoint may still answer but can change without notice.';

export const npmLibraryCoverage: readonly LibraryMethodCoverage[] = [
  covered('login(username, password)', 'createHubClient({ username, token }) + login()', 'Uses POST /v2/auth/token (PAT, password or OAT); falls back to the deprecated /v2/users/login, with 2FA via the otp option.'),
  covered('setLoginToken(token)', 'jwt option / setLoginToken(jwt)', 'Used until it expires (exp read from the JWT) or is refused; with username+token configured the client then logs in.'),
  covered('setCacheOptions({enabled, time})', 'cache option / setCacheOptions({ enabled, ttlMs })', 'TTL in milliseconds; keyed per credential. On by default in createDockerHubApi, off in createHubClient.'),
  covered('repository(username, name)', 'getRepository(namespace, repository)', 'GET /v2/namespaces/{ns}/repositories/{repo}; "library" is the namespace of official images.'),
  covered('repositories(username)', 'listRepositories(namespace, { ordering, name })', 'All pages, 100 per request.'),
  covered('tags(username, name, options)', 'listTags(namespace, repository) / getTag(...)', 'All pages; perPage/page are handled by the client.'),
  covered('createRepository(username, name, details)', 'createRepository(namespace, { name, description, full_description, is_private })', 'POST /v2/namespaces/{ns}/repositories.'),
  covered('setRepositoryDescription(username, name, {short, full})', 'updateRepositoryDescription(namespace, repository, { description, full_description })', `${NOT_PUBLISHED} Uses PATCH /v2/repositories/{ns}/{repo}/ like hub-tool and the Terraform provider; a legacy path, where Docker Hub refuses organization access tokens (403).`),
  covered('deleteRepository(username, name)', 'deleteRepository(namespace, repository)', `${NOT_PUBLISHED} Uses DELETE /v2/repositories/{ns}/{repo}/ like hub-tool; a legacy path, where Docker Hub refuses organization access tokens (403).`),
  gone('loggedInUser()', `${NOT_PUBLISHED} Membership and roles come from listOrgMembers.`),
  gone('user(username)', NOT_PUBLISHED),
  gone('registrySettings()', NOT_PUBLISHED),
  gone('comments(username, name)', 'Repository comments were removed from Docker Hub.'),
  gone('repositoriesStarred(username)', 'Stars are no longer exposed by the API (star_count remains on repositories).'),
  gone('starRepository(username, name)', 'Stars are no longer exposed by the API.'),
  gone('unstarRepository(username, name)', 'Stars are no longer exposed by the API.'),
  gone('collaborators(username, name)', `${NOT_PUBLISHED} Access is granted to teams: assignTeamToRepository.`),
  gone('addCollaborator(username, name, collaborator)', 'Use teams: createTeam, addTeamMember, assignTeamToRepository.'),
  gone('deleteCollaborator(username, name, collaborator)', 'Use teams: removeTeamMember.'),
  gone('webhooks(username, name)', NOT_PUBLISHED),
  gone('createWebhook(username, name, webhookName)', NOT_PUBLISHED),
  gone('createWebhookHook(username, name, webhookID, url)', NOT_PUBLISHED),
  gone('deleteWebhook(username, name, webhookID)', NOT_PUBLISHED),
  gone('buildDetails(username, name, code)', NO_BUILDS),
  gone('buildHistory(username, name)', NO_BUILDS),
  gone('buildLinks(username, name)', NO_BUILDS),
  gone('buildSettings(username, name)', NO_BUILDS),
  gone('buildTrigger(username, name)', NO_BUILDS),
  gone('buildTriggerHistory(username, name)', NO_BUILDS),
  gone('createAutomatedBuild(username, name, details)', NO_BUILDS),
  gone('createBuildLink(username, name, to_repo)', NO_BUILDS),
  gone('createBuildTag(username, name, details)', NO_BUILDS),
  gone('saveBuildTag(username, name, id, details)', NO_BUILDS),
  gone('deleteBuildLink(username, name, id)', NO_BUILDS),
  gone('deleteBuildTag(username, name, id)', NO_BUILDS),
  gone('triggerBuild(username, name, details)', NO_BUILDS),
];
