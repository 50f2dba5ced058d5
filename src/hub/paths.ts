/**
 * The Docker Hub API's collection paths (and the items read or written through them), written
 * once: the endpoint definitions (src/endpoints), the client library's operations
 * (operations.ts) and the write-back templates take them from here. A `{name}` placeholder is
 * one path segment (request-rules.ts: percent-encoded, never empty, "." or ".."). This module
 * imports only those rules, so the library stays free of the sync's database code.
 */

import { pathSegment } from './request-rules.js';

export const HUB_PATHS = {
  repositories: '/v2/namespaces/{namespace}/repositories',
  repository: '/v2/namespaces/{namespace}/repositories/{repository}',
  tags: '/v2/namespaces/{namespace}/repositories/{repository}/tags',
  tag: '/v2/namespaces/{namespace}/repositories/{repository}/tags/{tag}',
  auditLogs: '/v2/auditlogs/{account}',
  auditLogActions: '/v2/auditlogs/{account}/actions',
  orgMembers: '/v2/orgs/{org}/members',
  teams: '/v2/orgs/{org}/groups',
  team: '/v2/orgs/{org}/groups/{team}',
  teamMembers: '/v2/orgs/{org}/groups/{team}/members',
  orgSettings: '/v2/orgs/{org}/settings',
  accessTokens: '/v2/access-tokens',
  orgAccessTokens: '/v2/orgs/{org}/access-tokens',
  invites: '/v2/orgs/{org}/invites',
  scimUsers: '/v2/scim/2.0/Users',
} as const;

type Placeholders<T extends string> = T extends `${string}{${infer Name}}${infer Rest}` ? Name | Placeholders<Rest> : never;

/**
 * A path with each placeholder replaced by its value, percent-encoded as one segment; a value
 * that cannot be one (empty, ".", "..") throws HubRequestRefusedError before anything is sent.
 */
export function hubPath<T extends string>(template: T, values: Readonly<Record<Placeholders<T>, string>>): string {
  return template.replace(/\{([a-z_]+)\}/g, (_, name: string) => {
    const value = (values as Record<string, string | undefined>)[name];
    if (value === undefined) throw new Error(`${template}: no value for {${name}}`);
    return pathSegment(value, `${template}: {${name}}`);
  });
}
