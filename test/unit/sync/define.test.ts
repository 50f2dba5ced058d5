import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { teams } from '../../../src/db/schema/index.js';
import { auditLogsEndpoint } from '../../../src/endpoints/audit-logs.js';
import { defineEndpoint } from '../../../src/endpoints/define.js';
import { endpoints } from '../../../src/endpoints/index.js';
import { teamMembersEndpoint } from '../../../src/endpoints/team-members.js';
import { extractPage } from '../../../src/hub/pagination.js';
import { hubRouteLabel, hubRoutes } from '../../../src/server/hub-routes.js';
import type { SyncPlan } from '../../../src/sync/context.js';

const plan: SyncPlan = { namespaces: [], orgs: [], user: undefined, full: false, dryRun: false, backfill: undefined };

describe('defineEndpoint', () => {
  const base = {
    name: 'example',
    title: 'Example',
    reference: 'https://example.invalid',
    schedule: '0 * * * *',
    table: teams,
    schema: z.looseObject({}),
    cursor: 'snapshot' as const,
  };

  it('refuses a path placeholder that is not a slice parameter, when the registry loads', () => {
    expect(() => defineEndpoint({ ...base, request: { path: '/v2/orgs/{organisation}/groups', shape: 'results' }, label: 'x', slices: { per: 'org', param: 'org' } })).toThrow(
      /\{organisation\} in "\/v2\/orgs\/\{organisation\}\/groups" is not a slice parameter \(org\)/,
    );
  });

  it('refuses a mapping exception that names no column', () => {
    expect(() =>
      defineEndpoint({ ...base, request: { path: '/v2/orgs/{org}/groups', shape: 'results' }, label: 'x', slices: { per: 'org', param: 'org' }, mapping: { columns: { titel: 'title' } } }),
    ).toThrow(/no column "titel"/);
  });

  it('refuses a deletion scope that covers the whole key', () => {
    expect(() =>
      defineEndpoint({
        ...base,
        request: { path: '/v2/orgs/{org}/groups/{id}', shape: 'object' },
        label: 'x',
        slices: { list: async () => [{ org: 'a', id: '1' }], params: ['org', 'id'] },
        deletes: { scope: ['org', 'id'] },
      }),
    ).toThrow(/covers the whole key/);
  });

  it('refuses a schedule the job plan would never use: on a chained endpoint, or none at all on one that is not', () => {
    const chained = { parent: 'teams', table: teams, params: { org: 'org', team: 'name' }, within: { field: 'org', plan: 'orgs' as const } };
    const request = { path: '/v2/orgs/{org}/groups/{team}', shape: 'object' as const };
    expect(() => defineEndpoint({ ...base, request, label: 'x', slices: chained })).toThrow(/chained endpoint runs in its parent's job.*schedules\.example/);
    const { schedule: _none, ...unscheduled } = base;
    expect(() => defineEndpoint({ ...unscheduled, request, label: 'x', slices: chained })).not.toThrow();
    expect(() => defineEndpoint({ ...unscheduled, request: { path: '/v2/orgs/{org}/groups', shape: 'results' }, label: 'x', slices: { per: 'org', param: 'org' } })).toThrow(
      /declare either a schedule .* or the job it shares/,
    );
  });

  it('renders each parameter as one encoded path segment, for run and request alike', () => {
    const request = teamMembersEndpoint.request({ key: 'acme/a b', params: { org: 'acme', team: 'a b/c' } }, plan);
    expect(request.path).toBe('/v2/orgs/acme/groups/a%20b%2Fc/members');
    expect(teamMembersEndpoint.template).toEqual({ path: '/v2/orgs/{org}/groups/{team}/members', shape: 'results' });
    expect(teamMembersEndpoint.parent).toBe('teams');
  });

  it('leaves window parameters out of a sample request', () => {
    const request = auditLogsEndpoint.request({ key: 'acme', params: { account: 'acme' } }, plan);
    expect(request).toMatchObject({ path: '/v2/auditlogs/acme', shape: 'logs' });
    expect(request).not.toHaveProperty('query');
  });

  it('takes org slices from the plan', async () => {
    const slices = await endpoints.find((e) => e.name === 'org_members')!.slices({ ...plan, orgs: ['acme', 'beta'] }, {} as never);
    expect(slices).toEqual([
      { key: 'acme', params: { org: 'acme' } },
      { key: 'beta', params: { org: 'beta' } },
    ]);
  });
});

describe('route names come from the definitions', () => {
  it.each([
    ['/v2/scim/2.0/Users?startIndex=101&count=100', 'scim_users'],
    ['/v2/orgs/acme/groups/owners/members', 'team_members'],
    ['/v2/auditlogs/acme?from=x&to=y', 'audit_logs'],
    ['/v2/namespaces/acme/repositories/api/tags/latest', 'tag'],
  ])('%s → %s', (path, label) => expect(hubRouteLabel(path, hubRoutes(endpoints))).toBe(label));
});

describe('SCIM list pages', () => {
  it('reads Resources (RFC 7644) and resources (the 2-beta spec) with totalResults as the count', () => {
    expect(extractPage({ totalResults: 3, startIndex: 1, itemsPerPage: 2, Resources: [{ id: 'a' }, { id: 'b' }] })).toEqual({ items: [{ id: 'a' }, { id: 'b' }], shape: 'scim', next: undefined, count: 3 });
    expect(extractPage({ totalResults: 1, resources: [{ id: 'a' }] })).toMatchObject({ shape: 'scim', count: 1 });
  });
});
