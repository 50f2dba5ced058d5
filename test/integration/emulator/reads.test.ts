import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../../src/emulator/index.js';
import { allPages, getWithHost, type HubTestClient, hubClient } from './support.js';

let emu: RunningEmulator;
let hub: HubTestClient;
let owner: string;
let user: string;
let org: string;

beforeAll(async () => {
  emu = await startEmulator({ port: 0, seed: 11 });
  hub = hubClient(emu);
  owner = await hub.owner();
  user = emu.credentials.username;
  org = emu.state.orgNames[0] as string;
});

afterAll(async () => {
  await emu.close();
});

describe('repository list', () => {
  it('pages 10 at a time by default, with absolute http:// links built from the Host header', async () => {
    const count = emu.state.repositories.sorted(org, 'name').length;
    const first = await getWithHost(emu, `/v2/namespaces/${org}/repositories`, 'hub.example.test', owner);
    expect(first.status).toBe(200);
    expect(first.body.count).toBe(count);
    expect(first.body.results).toHaveLength(Math.min(10, count));
    expect(first.body.previous).toBeNull();
    expect(first.body.next).toBe(`http://hub.example.test/v2/namespaces/${org}/repositories?page=2&page_size=10`);
    const second = await getWithHost(emu, `/v2/namespaces/${org}/repositories?page=2`, 'hub.example.test', owner);
    expect(second.body.previous).toBe(`http://hub.example.test/v2/namespaces/${org}/repositories?page=1&page_size=10`);
  });

  it('answers 404 past the last page, and 400 for page_size outside 1..100 or a bad ordering', async () => {
    const past = await hub.get(`/v2/namespaces/${org}/repositories?page=99&page_size=100`, owner);
    expect(past.status).toBe(404);
    expect(past.body).toMatchObject({ errinfo: {}, message: 'not_found' });
    for (const size of [0, 101]) expect((await hub.get(`/v2/namespaces/${org}/repositories?page_size=${size}`, owner)).status).toBe(400);
    const badOrdering = await hub.get(`/v2/namespaces/${org}/repositories?ordering=stars`, owner);
    expect(badOrdering.status).toBe(400);
    expect(badOrdering.body.fields.ordering[0]).toMatch(/Must be one of: name, -name, last_updated/);
    expect((await hub.get('/v2/namespaces/no-such-namespace/repositories', owner)).status).toBe(404);
  });

  it('orders by name, last_updated and pull_count in both directions, and filters by partial name', async () => {
    const names = async (query: string) => (await allPages(hub, `/v2/namespaces/${org}/repositories?page_size=7&${query}`, owner)).items;
    const byName = (await names('ordering=name')).map((r) => r.name);
    expect(byName).toEqual([...byName].sort());
    expect((await names('ordering=-name')).map((r) => r.name)).toEqual([...byName].reverse());
    const pulls = (await names('ordering=-pull_count')).map((r) => r.pull_count);
    expect(pulls).toEqual([...pulls].sort((a, b) => b - a));
    const updated = (await names('ordering=last_updated')).map((r) => Date.parse(r.last_updated));
    expect(updated).toEqual([...updated].sort((a, b) => a - b));
    const fragment = (byName[0] as string).slice(0, 3);
    const filtered = await names(`name=${fragment}`);
    expect(filtered.length).toBeGreaterThan(0);
    expect(filtered.every((r) => r.name.includes(fragment))).toBe(true);
  });

  it('defaults to the most recently updated first', async () => {
    const { items } = await allPages(hub, `/v2/namespaces/${org}/repositories?page_size=100`, owner);
    const updated = items.map((r) => Date.parse(r.last_updated));
    expect(updated).toEqual([...updated].sort((a, b) => b - a));
  });

  it('hides private repositories from anonymous callers and from users without access', async () => {
    const all = emu.state.repositories.sorted(user, 'name');
    const publicCount = all.filter((r) => !r.seed.isPrivate).length;
    expect(publicCount).toBeLessThan(all.length);
    const anonymous = await hub.get(`/v2/namespaces/${user}/repositories?page_size=100`);
    expect(anonymous.body.count).toBe(publicCount);
    expect(anonymous.body.results.every((r: { is_private: boolean }) => !r.is_private)).toBe(true);
    const member = await hub.member();
    expect((await hub.get(`/v2/namespaces/${user}/repositories?page_size=100`, member)).body.count).toBe(publicCount);
    const privateRepo = all.find((r) => r.seed.isPrivate)?.seed.name as string;
    expect((await hub.get(`/v2/namespaces/${user}/repositories/${privateRepo}`)).status).toBe(404);
    expect((await hub.get(`/v2/namespaces/${user}/repositories/${privateRepo}/tags`, member)).status).toBe(404);
    expect((await hub.get(`/v2/namespaces/${user}/repositories/${privateRepo}`, owner)).status).toBe(200);
    // Members of an organization do see its private repositories.
    const orgPrivate = emu.state.repositories.sorted(org, 'name').filter((r) => r.seed.isPrivate).length;
    expect((await hub.get(`/v2/namespaces/${org}/repositories?page_size=100`, member)).body.results.filter((r: { is_private: boolean }) => r.is_private)).toHaveLength(orgPrivate);
  });

  it('answers the deprecated /v2/repositories/{ns}/ listing with the same items', async () => {
    const current = await allPages(hub, `/v2/namespaces/${org}/repositories?page_size=100&ordering=name`, owner);
    const legacy = await allPages(hub, `/v2/repositories/${org}/?page_size=100&ordering=name`, owner);
    expect(legacy.items).toEqual(current.items);
  });
});

describe('repository detail', () => {
  it('has the detail-only fields and matches the list entry', async () => {
    const list = await hub.get(`/v2/namespaces/${org}/repositories?page_size=1&ordering=name`, owner);
    const entry = list.body.results[0];
    const detail = await hub.get(`/v2/namespaces/${org}/repositories/${entry.name}`, owner);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ ...entry, user: org, hub_user: org, permissions: { read: true, write: true, admin: true } });
    expect(detail.body).toHaveProperty('full_description');
    expect(detail.body.immutable_tags_settings).toEqual({ enabled: expect.any(Boolean), rules: expect.any(Array) });
    expect(entry).not.toHaveProperty('full_description');
    expect(entry).not.toHaveProperty('permissions');
    const legacy = await hub.get(`/v2/repositories/${org}/${entry.name}/`, owner);
    expect(legacy.body).toEqual(detail.body);
    const anonymous = await hub.get(`/v2/namespaces/${org}/repositories/${entry.name}`);
    if (!entry.is_private) expect(anonymous.body.permissions).toEqual({ read: true, write: false, admin: false });
  });

  it('answers HEAD without a body', async () => {
    const name = emu.state.repositories.sorted(org, 'name')[0]?.seed.name as string;
    const reply = await hub.call('HEAD', `/v2/namespaces/${org}/repositories/${name}`, { token: owner });
    expect(reply.status).toBe(200);
    expect(reply.text).toBe('');
  });
});

describe('tags', () => {
  const repoWithTags = () => emu.state.repositories.sorted(org, 'name').find((r) => r.seed.tagCount > 12 && !r.seed.isPrivate);

  it('page through every tag newest first; each can be read alone', async () => {
    const repo = repoWithTags();
    if (!repo) throw new Error('no repository with enough tags');
    const path = `/v2/namespaces/${org}/repositories/${repo.seed.name}/tags`;
    const first = await hub.get(path);
    expect(first.body.results).toHaveLength(10);
    expect(first.body.count).toBe(repo.seed.tagCount);
    const { items } = await allPages(hub, `${path}?page_size=5`);
    expect(items).toHaveLength(repo.seed.tagCount);
    const times = items.map((t) => t.last_updated).filter((t): t is string => t !== null).map((t) => Date.parse(t));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    const one = await hub.get(`${path}/${encodeURIComponent(items[3].name)}`);
    expect(one.body).toEqual(items[3]);
    const legacy = await hub.get(`/v2/repositories/${org}/${repo.seed.name}/tags/${encodeURIComponent(items[3].name)}/`);
    expect(legacy.body).toEqual(items[3]);
    expect((await hub.get(`${path}?page=${Math.ceil(items.length / 10) + 1}`)).status).toBe(404);
  });

  it('report a missing tag with the {detail, message} error shape', async () => {
    const repo = repoWithTags();
    const reply = await hub.get(`/v2/namespaces/${org}/repositories/${repo?.seed.name}/tags/definitely-missing`);
    expect(reply.status).toBe(404);
    expect(Object.keys(reply.body).sort()).toEqual(['detail', 'message']);
  });
});

describe('audit logs', () => {
  it('answers {logs} only, 25 per page by default, newest first, within from/to', async () => {
    const reply = await hub.get(`/v2/auditlogs/${org}`, owner);
    expect(Object.keys(reply.body)).toEqual(['logs']);
    expect(reply.body.logs).toHaveLength(25);
    const all = emu.state.audit.all(org);
    const from = all[60]?.timestamp as string;
    const to = all[20]?.timestamp as string;
    const window = [];
    for (let page = 1; ; page++) {
      const batch = await hub.get(`/v2/auditlogs/${org}?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&page=${page}&page_size=10`, owner);
      window.push(...batch.body.logs);
      if (batch.body.logs.length < 10) break;
    }
    expect(window).toEqual(all.slice(20, 61));
    const action = all[0]?.action as string;
    const filtered = await hub.get(`/v2/auditlogs/${org}?action=${action}&page_size=100`, owner);
    expect(filtered.body.logs.every((e: { action: string }) => e.action === action)).toBe(true);
    expect((await hub.get(`/v2/auditlogs/${org}?from=yesterday`, owner)).status).toBe(400);
  });

  it('serves the action catalogue, and every event action is in it', async () => {
    const reply = await hub.get(`/v2/auditlogs/${org}/actions`, owner);
    const known = new Set<string>();
    for (const [group, value] of Object.entries(reply.body.actions as Record<string, { actions: { name: string }[] }>)) {
      for (const action of value.actions) known.add(`${group}.${action.name}`);
    }
    expect(known.has('repo.tag.push')).toBe(true);
    expect(known.has('org.team.create')).toBe(true);
    for (const event of emu.state.audit.all(org)) expect(known).toContain(event.action);
  });
});

describe('organization endpoints', () => {
  it('members: one page object, 25 by default; invitees on request', async () => {
    const reply = await hub.get(`/v2/orgs/${org}/members`, owner);
    expect(Object.keys(reply.body)).toEqual(['count', 'next', 'previous', 'results']);
    expect(reply.body.results.length).toBe(Math.min(25, reply.body.count));
    const roles = await hub.get(`/v2/orgs/${org}/members?role=owner&page_size=100`, owner);
    expect(roles.body.results.every((m: { role: string }) => m.role === 'Owner')).toBe(true);
    const withInvites = await hub.get(`/v2/orgs/${org}/members?invites=true&page_size=100`, owner);
    expect(withInvites.body.results.some((m: { role: string }) => m.role === 'Invitee')).toBe(true);
    // Insights are on for the first organization only.
    expect(reply.body.results[0]).toHaveProperty('last_logged_in_at');
    const other = emu.state.orgNames[1] as string;
    expect((await hub.get(`/v2/orgs/${other}/members`, owner)).body.results[0]).not.toHaveProperty('last_logged_in_at');
  });

  it('teams, team detail and team members (a bare array)', async () => {
    const teams = await hub.get(`/v2/orgs/${org}/groups?page_size=100`, owner);
    expect(teams.body.results.map((t: { name: string }) => t.name)).toContain('owners');
    const team = teams.body.results.find((t: { member_count: number; name: string }) => t.member_count > 0 && t.name !== 'owners');
    expect((await hub.get(`/v2/orgs/${org}/groups/${team.name}`, owner)).body).toEqual(team);
    const members = await hub.get(`/v2/orgs/${org}/groups/${team.name}/members`, owner);
    expect(Array.isArray(members.body)).toBe(true);
    expect(members.body).toHaveLength(team.member_count);
    expect(members.body[0]).toHaveProperty('email');
  });

  it('settings, registry access management, invites as {data}', async () => {
    expect((await hub.get(`/v2/orgs/${org}/settings`, owner)).body).toEqual(emu.snapshot({ tags: false }).orgSettings[org]);
    const ram = await hub.get(`/v2/orgs/${org}/settings/registry-access-management`, owner);
    expect(ram.body).toEqual({ enabled: expect.any(Boolean), registries: expect.any(Array) });
    const invites = await hub.get(`/v2/orgs/${org}/invites`, owner);
    expect(Object.keys(invites.body)).toEqual(['data']);
    expect(invites.body.data.length).toBeGreaterThan(0);
  });

  it('personal tokens carry active_count; organization tokens use total', async () => {
    const pats = await hub.get('/v2/access-tokens', owner);
    expect(Object.keys(pats.body).sort()).toEqual(['active_count', 'count', 'next', 'previous', 'results']);
    expect(pats.body.results.every((t: { token: string }) => t.token === '')).toBe(true);
    const one = await hub.get(`/v2/access-tokens/${pats.body.results[0].uuid}`, owner);
    expect(one.body).toEqual(pats.body.results[0]);
    const oats = await hub.get(`/v2/orgs/${org}/access-tokens`, owner);
    expect(Object.keys(oats.body).sort()).toEqual(['next', 'previous', 'results', 'total']);
    const oat = await hub.get(`/v2/orgs/${org}/access-tokens/${oats.body.results[0].id}`, owner);
    expect(oat.body).toMatchObject(oats.body.results[0]);
    expect(oat.body.resources).toEqual(expect.any(Array));
  });
});

describe('errors and plumbing', () => {
  it('answers unknown routes and methods with JSON errors', async () => {
    const missing = await hub.get('/v2/not-a-real-endpoint', owner);
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toContain('application/json');
    expect(missing.body).toMatchObject({ message: 'not_found' });
    const method = await hub.call('DELETE', `/v2/orgs/${org}/settings`, { token: owner });
    expect(method.status).toBe(405);
  });

  it('sends the rate-limit headers on every API response', async () => {
    const startedAt = Date.now();
    for (const reply of [await hub.get(`/v2/namespaces/${org}/repositories`), await hub.get('/v2/nowhere')]) {
      expect(Number(reply.headers['x-ratelimit-limit'])).toBeGreaterThan(0);
      expect(Number(reply.headers['x-ratelimit-remaining'])).toBeGreaterThan(0);
      expect(Number(reply.headers['x-ratelimit-reset'])).toBeGreaterThanOrEqual(Math.floor(startedAt / 1000));
    }
  });

  it('exports members as CSV', async () => {
    const reply = await hub.get(`/v2/orgs/${org}/members/export`, owner);
    expect(reply.headers['content-type']).toBe('text/csv');
    expect(reply.text.split('\n')[0]).toBe('Name,Username,Email,Type,Permission,Teams,Date Joined');
  });
});
