import type { EndpointDefinition } from '../sync/context.js';
import { parseTemplate } from '../templating/template.js';

/**
 * A low-cardinality label for a Docker Hub request path: the metrics must not grow a series per
 * repository or tag. Names follow the endpoints (`repositories`, `tags`, `org_members` …);
 * a path nobody expected is `other`.
 */

/** Routes no definition describes: item calls, writes, logins; and sub-paths of a listing. */
const OTHER_ROUTES: readonly [RegExp, string][] = [
  [/^\/v2\/(users\/login|users\/2fa-login|auth\/token)\/?$/, 'auth'],
  [/^\/v2\/namespaces\/[^/]+\/repositories\/[^/]+\/.+$/, 'repository_settings'],
  [/^\/v2\/repositories\/.+$/, 'repository_admin'],
  [/^\/v2\/auditlogs\/[^/]+\/?$/, 'audit_logs'],
  [/^\/v2\/orgs\/[^/]+\/members(\/export)?\/?$/, 'org_members'],
  [/^\/v2\/orgs\/[^/]+\/members\/[^/]+\/?$/, 'org_member'],
  [/^\/v2\/orgs\/[^/]+\/groups\/[^/]+\/members(\/[^/]+)?\/?$/, 'team_members'],
  [/^\/v2\/orgs\/[^/]+\/groups\/[^/]+\/?$/, 'team'],
  [/^\/v2\/orgs\/[^/]+\/settings(\/.*)?$/, 'org_settings'],
  [/^\/v2\/access-tokens(\/[^/]+)?\/?$/, 'access_tokens'],
  [/^\/v2\/orgs\/[^/]+\/access-tokens(\/[^/]+)?\/?$/, 'org_access_tokens'],
  [/^\/v2\/invites(\/.*)?$/, 'org_invites'],
];

/** A definition's path template as a pattern: each placeholder is one path segment. */
export function templatePattern(template: string): RegExp {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const body = parseTemplate(template)
    .map((part) => (typeof part === 'string' ? escape(part) : '[^/]+'))
    .join('');
  return new RegExp(`^${body.replace(/\\\/$/, '')}\\/?$`);
}

/**
 * The route table for a registry: each endpoint's own listing path (from its definition) is
 * labelled with its name; the remaining Hub routes follow.
 */
export function hubRoutes(registry: readonly EndpointDefinition[]): readonly [RegExp, string][] {
  const defined = registry.flatMap((endpoint) => (endpoint.template ? [[templatePattern(endpoint.template.path), endpoint.template.route ?? endpoint.name] as [RegExp, string]] : []));
  return [...defined, ...OTHER_ROUTES];
}

/** The route a request path belongs to, by the table hubRoutes built for this process's registry. */
export function hubRouteLabel(pathWithQuery: string, routes: readonly [RegExp, string][]): string {
  let path = pathWithQuery.split(/[?#]/, 1)[0] ?? '';
  // An absolute URL (a followed `next`) counts by its path.
  if (/^https?:\/\//i.test(path)) {
    try {
      path = new URL(path).pathname;
    } catch {
      return 'other';
    }
  }
  for (const [pattern, label] of routes) if (pattern.test(path)) return label;
  return 'other';
}

/** 2xx, 4xx …, or `error` when no response came (reset, timeout). */
export function statusClass(status: number | undefined): string {
  if (status === undefined || !Number.isFinite(status)) return 'error';
  return `${Math.floor(status / 100)}xx`;
}
