import { afterEach, describe, expect, it } from 'vitest';
import { createHubClient, type HubClient, type HubClientOptions } from '../../../src/hub/client.js';
import { createHubDispatcher } from '../../../src/hub/dispatcher.js';
import { HubResponseError } from '../../../src/hub/errors.js';
import { createDockerHubApi, npmLibraryCoverage } from '../../../src/hub/library.js';
import { fakeClock, json, makeJwt, startServer, type Handler, type ScriptedServer } from './support.js';

let server: ScriptedServer | undefined;
const clients: HubClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await server?.close();
  server = undefined;
});

const jwt = makeJwt({ exp: Math.floor(Date.UTC(2025, 0, 15, 13) / 1000) });

async function setup(handler: Handler, options: HubClientOptions = {}) {
  const clock = fakeClock();
  server = await startServer(handler);
  const client = createHubClient({ baseUrl: server.url, clock, jwt, ...options });
  clients.push(client);
  return { server, client, clock };
}

async function all<T>(gen: AsyncGenerator<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of gen) out.push(x);
  return out;
}

const page = (results: unknown[]) => json({ count: results.length, next: null, previous: null, results });

describe('typed reads', () => {
  it('listRepositories sends ordering/name/page_size and validates items, reporting bad ones', async () => {
    const { server, client } = await setup(() => page([{ name: 'a', namespace: 'acme' }, { namespace: 'acme' }, { name: 'c', namespace: 'acme' }]));
    const invalid: unknown[] = [];
    const repos = await all(client.listRepositories('acme', { ordering: '-last_updated', name: 'ap', onInvalid: (i) => invalid.push(i.raw) }));
    expect(repos.map((r) => r.name)).toEqual(['a', 'c']);
    expect(invalid).toEqual([{ namespace: 'acme' }]);
    const hit = server.hits[0]!;
    expect(hit.path).toBe('/v2/namespaces/acme/repositories');
    expect(Object.fromEntries(hit.query)).toEqual({ ordering: '-last_updated', name: 'ap', page_size: '100' });
    expect(hit.headers.authorization).toBe(`Bearer ${jwt}`);
  });

  it('encodes path segments', async () => {
    const { server, client } = await setup(() => json({ name: 'v1.0+build' }));
    await client.getTag('acme', 'my/odd repo', 'v1.0+build');
    expect(server.hits[0]?.path).toBe('/v2/namespaces/acme/repositories/my%2Fodd%20repo/tags/v1.0%2Bbuild');
  });

  it('getRepository throws a HubResponseError naming the problem when the body is not a repository', async () => {
    const { client } = await setup(() => json({ namespace: 'acme' }));
    await expect(client.getRepository('acme', 'x')).rejects.toThrow(HubResponseError);
    await expect(client.getRepository('acme', 'x')).rejects.toThrow(/get repository: .*name/);
  });

  it('repositoryExists uses HEAD and maps 404 to false', async () => {
    const { server, client } = await setup((hit) => (hit.path.endsWith('/there') ? json({}) : json({ detail: 'nope' }, 404)));
    expect(await client.repositoryExists('acme', 'there')).toBe(true);
    expect(await client.repositoryExists('acme', 'gone')).toBe(false);
    expect(server.hits.map((h) => h.method)).toEqual(['HEAD', 'HEAD']);
  });

  it('audit logs carry the window; invites and team members use their shapes', async () => {
    const { server, client } = await setup((hit) => {
      if (hit.path.startsWith('/v2/auditlogs/')) return json({ logs: [{ action: 'repo.tag.push', timestamp: '2025-01-01T00:00:00Z' }] });
      if (hit.path.endsWith('/invites')) return json({ data: [{ id: 'i1', invitee: 'x@y.z' }] });
      return json([{ id: 'u1', username: 'bob' }]);
    });
    const events = await all(client.listAuditLogs('acme', { from: new Date(Date.UTC(2025, 0, 1)), to: '2025-01-02T00:00:00Z', action: 'repo.tag.push' }));
    expect(events).toHaveLength(1);
    expect(Object.fromEntries(server.hits[0]!.query)).toEqual({
      action: 'repo.tag.push',
      from: '2025-01-01T00:00:00.000Z',
      to: '2025-01-02T00:00:00Z',
      page_size: '100',
      page: '1',
    });
    expect(await all(client.listInvites('acme'))).toHaveLength(1);
    expect(server.hits[1]?.query.has('page_size')).toBe(false);
    expect((await all(client.listTeamMembers('acme', 'devs'))).map((m) => m.username)).toEqual(['bob']);
  });
});

describe('typed writes', () => {
  it('send the spec\'s paths, methods and bodies', async () => {
    const { server, client } = await setup((hit) => {
      if (hit.method === 'DELETE' || hit.path.endsWith('/resend') || hit.path.endsWith('/members')) return { status: hit.method === 'POST' ? 200 : 204 };
      if (hit.path === '/v2/invites/bulk') return json({ invitees: [{ invitee: 'a@b.c', status: 'invited' }] }, 202);
      if (hit.path.includes('/members/')) return json({ id: 'u1', username: 'bob', role: 'Editor' });
      if (hit.path.endsWith('/settings')) return json(hit.json);
      if (hit.path.includes('/groups')) return json({ id: 7, name: 'devs' }, hit.method === 'POST' ? 201 : 200);
      if (hit.path.includes('access-tokens')) return json({ uuid: 'u', id: 'o', token: 'dckr_pat_new' }, 201);
      return json({ name: 'app', namespace: 'acme' }, 201);
    });
    await client.createRepository('acme', { name: 'app', is_private: true });
    await client.updateRepositoryDescription('acme', 'app', { description: 'short' });
    await client.createAccessToken({ token_label: 'ci', scopes: ['repo:read'] });
    await client.updateAccessToken('u', { is_active: false });
    await client.deleteAccessToken('u');
    await client.createOrgAccessToken('acme', { label: 'ci', resources: [{ type: 'TYPE_REPO', path: 'acme/app', scopes: ['repo-pull'] }] });
    await client.deleteOrgAccessToken('acme', 'o');
    await client.createTeam('acme', { name: 'devs' });
    await client.patchTeam('acme', 'devs', { description: 'd' });
    await client.addTeamMember('acme', 'devs', 'bob');
    await client.removeTeamMember('acme', 'devs', 'bob');
    const bulk = await client.bulkInvite({ org: 'acme', invitees: ['a@b.c'], role: 'member', dry_run: true });
    await client.resendInvite('i1');
    await client.deleteInvite('i1');
    await client.updateMemberRole('acme', 'bob', 'editor');
    await client.removeMember('acme', 'bob');
    await client.updateOrgSettings('acme', { restricted_images: { enabled: true, allow_official_images: true, allow_verified_publishers: false } });
    await client.assignTeamToRepository('acme', 'app', 7, 'write');

    expect(bulk.invitees[0]?.status).toBe('invited');
    expect(server.hits.map((h) => `${h.method} ${h.path} ${h.body}`)).toEqual([
      'POST /v2/namespaces/acme/repositories {"name":"app","is_private":true,"namespace":"acme"}',
      'PATCH /v2/repositories/acme/app/ {"description":"short"}',
      'POST /v2/access-tokens {"token_label":"ci","scopes":["repo:read"]}',
      'PATCH /v2/access-tokens/u {"is_active":false}',
      'DELETE /v2/access-tokens/u ',
      'POST /v2/orgs/acme/access-tokens {"label":"ci","resources":[{"type":"TYPE_REPO","path":"acme/app","scopes":["repo-pull"]}]}',
      'DELETE /v2/orgs/acme/access-tokens/o ',
      'POST /v2/orgs/acme/groups {"name":"devs"}',
      'PATCH /v2/orgs/acme/groups/devs {"description":"d"}',
      'POST /v2/orgs/acme/groups/devs/members {"member":"bob"}',
      'DELETE /v2/orgs/acme/groups/devs/members/bob ',
      'POST /v2/invites/bulk {"org":"acme","invitees":["a@b.c"],"role":"member","dry_run":true}',
      'PATCH /v2/invites/i1/resend ',
      'DELETE /v2/invites/i1 ',
      'PUT /v2/orgs/acme/members/bob {"role":"editor"}',
      'DELETE /v2/orgs/acme/members/bob ',
      'PUT /v2/orgs/acme/settings {"restricted_images":{"enabled":true,"allow_official_images":true,"allow_verified_publishers":false}}',
      'POST /v2/repositories/acme/app/groups {"group_id":7,"permission":"write"}',
    ]);
    expect(server.hits.every((h) => h.headers.authorization === `Bearer ${jwt}`)).toBe(true);
    expect(server.hits.filter((h) => h.body).every((h) => h.headers['content-type'] === 'application/json')).toBe(true);
  });
});

describe('response cache', () => {
  // Every answer differs from the one before, so a cached one is recognisable.
  let served = 0;
  const handler: Handler = (hit) => json({ n: hit.path, at: ++served });

  it('is off by default', async () => {
    const { server, client } = await setup(handler);
    await client.request({ path: '/v2/a' });
    await client.request({ path: '/v2/a' });
    expect(server.hits).toHaveLength(2);
  });

  it('serves GETs from memory within the TTL, as fresh objects', async () => {
    const { server, client, clock } = await setup(handler, { cache: { ttlMs: 60_000 } });
    const a = await client.request<{ at: number }>({ path: '/v2/a' });
    a.body.at = -1;
    const b = await client.request<{ at: number }>({ path: '/v2/a' });
    expect(b.body.at).not.toBe(-1);
    expect(server.hits).toHaveLength(1);
    expect(client.stats.cacheHits).toBe(1);
    clock.advance(60_001);
    await client.request({ path: '/v2/a' });
    expect(server.hits).toHaveLength(2);
  });

  it('never shares entries across credentials, and writes clear it', async () => {
    const { server, client } = await setup(handler, { cache: { ttlMs: 60_000 } });
    await client.request({ path: '/v2/a' });
    client.setLoginToken(makeJwt({ sub: 'someone-else', exp: 9_999_999_999 }));
    await client.request({ path: '/v2/a' });
    expect(server.hits).toHaveLength(2);
    await client.request({ method: 'POST', path: '/v2/w', body: {} });
    await client.request({ path: '/v2/a' });
    expect(server.hits).toHaveLength(4);
  });

  it('the library facade turns it on by default; setCacheOptions turns it off', async () => {
    server = await startServer(handler);
    const lib = createDockerHubApi({ baseUrl: server.url, clock: fakeClock() });
    clients.push(lib);
    await lib.request({ path: '/v2/a' });
    await lib.request({ path: '/v2/a' });
    expect(server.hits).toHaveLength(1);
    lib.setCacheOptions({ enabled: false });
    await lib.request({ path: '/v2/a' });
    expect(server.hits).toHaveLength(2);
  });
});

describe('dispatcher and library surface', () => {
  it('uses an injected dispatcher and leaves it open on close()', async () => {
    const dispatcher = createHubDispatcher({ connections: 2 });
    const { client } = await setup(() => json({ ok: true }), { dispatcher });
    await client.request({ path: '/v2/a' });
    await client.close();
    expect(dispatcher.closed).toBe(false);
    await dispatcher.close();
  });

  it('every npm docker-hub-api method is covered or documented as gone', () => {
    const names = npmLibraryCoverage.map((m) => m.npm.split('(')[0]);
    for (const m of ['login', 'setLoginToken', 'setCacheOptions', 'repository', 'repositories', 'tags', 'createRepository', 'setRepositoryDescription', 'deleteRepository', 'comments', 'webhooks', 'buildHistory', 'starRepository']) {
      expect(names).toContain(m);
    }
    expect(npmLibraryCoverage.every((m) => m.note.length > 0 && (m.status === 'gone' || m.ours))).toBe(true);
  });
});
