// Our credential stays home: every request URL is the API base plus a path that starts with
// exactly one "/", and the transport attaches a credential only to the origin it belongs to.
// Two real HTTP servers on 127.0.0.1: the "API" and another origin that records what reaches it.

import { afterEach, describe, expect, it } from 'vitest';
import { buildUrl, createHubClient, type HubClient } from '../../../src/hub/client.js';
import { json, makeJwt, startServer, type ScriptedServer } from './support.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const TOKEN = makeJwt({ sub: 'tester', exp: 4_102_444_800 });

async function servers(api: Parameters<typeof startServer>[0]): Promise<{ api: ScriptedServer; other: ScriptedServer; hub: HubClient }> {
  const other = await startServer(() => json({ results: [], next: null, count: 0 }));
  cleanups.push(other.close);
  const apiServer = await startServer(api);
  cleanups.push(apiServer.close);
  const hub = createHubClient({ baseUrl: apiServer.url, jwt: TOKEN, maxRetries: 0, retryBaseDelayMs: 1 });
  cleanups.push(() => hub.close());
  return { api: apiServer, other, hub };
}

const hostOf = (url: string) => new URL(url).host;

describe('a request path cannot name another host', () => {
  const paths = (other: string) => [
    `/\\${hostOf(other)}/v2/steal`,
    `//${hostOf(other)}/v2/steal`,
    `/\\/${hostOf(other)}/v2/steal`,
    `${other}/v2/steal`,
    `\\\\${hostOf(other)}/v2/steal`,
    `/v2/a\\..\\..\\..\\${hostOf(other)}`,
  ];

  it('refuses each such path before anything is sent: the other host sees nothing, the API neither', async () => {
    const { api, other, hub } = await servers(() => json({}));
    const errors: unknown[] = [];
    for (const path of paths(other.url)) {
      errors.push(
        await hub.request({ path }).then(
          () => undefined,
          (e: unknown) => e,
        ),
      );
    }
    expect(other.hits.map((h) => `${h.method} ${h.path} authorization=${h.headers.authorization ?? '-'}`)).toEqual([]);
    expect(api.hits.map((h) => h.path)).toEqual([]);
    paths(other.url).forEach((path, i) => {
      expect(errors[i], path).toMatchObject({ name: 'HubRequestRefusedError' });
      expect((errors[i] as Error).message, path).toMatch(/must start with exactly one "\/"|"\\"/);
    });
  });

  it('refuses dot segments that would step out of the path written, in any spelling', async () => {
    const { api, hub } = await servers(() => json({}));
    for (const path of ['/v2/orgs/acme/groups/ops/members/..', '/v2/%2e%2e/x', '/v2/.%2E/x', '/v2/%2E./x', '/v2/./x', '/v2/x/%2e', '/v2/a\u0000b', '/v2/a\nb', '/v2/a\tb']) {
      await expect(hub.request({ path }), JSON.stringify(path)).rejects.toMatchObject({ name: 'HubRequestRefusedError' });
    }
    expect(api.hits).toEqual([]);
    // A dot elsewhere, and a query that mentions "..", are ordinary text.
    await hub.request({ path: '/v2/repositories/a.b/c..d/?q=/../x' });
    expect(api.hits.map((h) => h.path)).toEqual(['/v2/repositories/a.b/c..d/']);
  });

  it('the one URL builder keeps the base path and refuses what leaves it', () => {
    const base = new URL('https://proxy.example.com/hub/');
    expect(buildUrl(base, '/v2/x', { page: 2 }).toString()).toBe('https://proxy.example.com/hub/v2/x?page=2');
    expect(() => buildUrl(base, '//evil.example.com/v2/x')).toThrow(/must start with exactly one "\/"/);
    expect(() => buildUrl(base, '/\\evil.example.com/v2/x')).toThrow(/must start with exactly one "\/"/);
    expect(() => buildUrl(base, 'v2/x')).toThrow(/must start with exactly one "\/"/);
  });
});

describe('a next link cannot take the credential elsewhere', () => {
  it('a next link on another host is read from the API, with the credential, and the other host sees nothing', async () => {
    let otherUrl = '';
    const { api, other, hub } = await servers((hit) =>
      hit.query.get('page') === '2'
        ? json({ count: 2, next: null, results: [{ n: 2 }] })
        : json({ count: 2, next: `${otherUrl}/v2/list?page=2`, results: [{ n: 1 }] }),
    );
    otherUrl = other.url;
    const items: unknown[] = [];
    for await (const page of hub.paginate({ path: '/v2/list', shape: 'results' })) items.push(...page.items);
    expect(items).toEqual([{ n: 1 }, { n: 2 }]);
    expect(other.hits).toEqual([]);
    expect(api.hits.map((h) => h.headers.authorization)).toEqual([`Bearer ${TOKEN}`, `Bearer ${TOKEN}`]);
  });

  it('a next link whose path names another host ("//host/…", "/\\host/…") is refused, not followed', async () => {
    for (const trick of ['//', '/\\']) {
      let otherUrl = '';
      const { api, other, hub } = await servers((hit) =>
        hit.query.get('page') === '2' ? json({ count: 2, next: null, results: [{ n: 2 }] }) : json({ count: 2, next: `${api.url}${trick}${hostOf(otherUrl)}/v2/list?page=2`, results: [{ n: 1 }] }),
      );
      otherUrl = other.url;
      const pages = async () => {
        for await (const page of hub.paginate({ path: '/v2/list', shape: 'results' })) void page;
      };
      const error = await pages().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(other.hits.map((h) => `${h.method} ${h.path} authorization=${h.headers.authorization ?? '-'}`), trick).toEqual([]);
      expect(error, trick).toMatchObject({ name: 'HubRequestRefusedError' });
      expect(api.hits, trick).toHaveLength(1);
    }
  });
});

describe('a redirect never carries the credential to another origin', () => {
  it('a GET redirected to another origin is followed without Authorization; one on the API keeps it', async () => {
    let otherUrl = '';
    const { api, other, hub } = await servers((hit) => {
      if (hit.path === '/v2/away') return { status: 302, headers: { location: `${otherUrl}/signed/blob?sig=1` } };
      if (hit.path === '/v2/moved') return { status: 301, headers: { location: '/v2/here/' } };
      return json({ here: true });
    });
    otherUrl = other.url;

    const away = await hub.request({ path: '/v2/away' });
    expect(away.url).toBe(`${other.url}/signed/blob?sig=1`);
    expect(other.hits).toHaveLength(1);
    expect(other.hits[0]!.headers.authorization).toBeUndefined();
    expect(other.hits[0]!.headers.cookie).toBeUndefined();

    const moved = await hub.request({ path: '/v2/moved' });
    expect(moved.body).toEqual({ here: true });
    expect(api.hits.map((h) => [h.path, h.headers.authorization])).toEqual([
      ['/v2/away', `Bearer ${TOKEN}`],
      ['/v2/moved', `Bearer ${TOKEN}`],
      ['/v2/here/', `Bearer ${TOKEN}`],
    ]);
  });

  it('a credential passed as a header (a SCIM token) is dropped on a redirect to another origin too', async () => {
    let otherUrl = '';
    const { other, hub } = await servers(() => ({ status: 307, headers: { location: `${otherUrl}/scim` } }));
    otherUrl = other.url;
    await hub.request({ path: '/v2/scim/2.0/Users', auth: 'none', headers: { Authorization: 'Bearer scim-secret-for-test', Cookie: 'session=1' } });
    expect(other.hits).toHaveLength(1);
    expect(other.hits[0]!.headers.authorization).toBeUndefined();
    expect(other.hits[0]!.headers.cookie).toBeUndefined();
  });

  it('a write is not followed to another origin: the redirect is an error and nothing reaches the other host', async () => {
    let otherUrl = '';
    const { other, hub } = await servers(() => ({ status: 307, headers: { location: `${otherUrl}/v2/orgs/acme/groups` } }));
    otherUrl = other.url;
    await expect(hub.request({ method: 'POST', path: '/v2/orgs/acme/groups', body: { name: 'x' } })).rejects.toThrow(/307/);
    expect(other.hits).toEqual([]);
  });

  it('a redirect loop ends with an error naming it', async () => {
    const { api, hub } = await servers((hit) => ({ status: 302, headers: { location: hit.path === '/v2/a' ? '/v2/b' : '/v2/a' } }));
    await expect(hub.request({ path: '/v2/a' })).rejects.toThrow(/redirect/i);
    expect(api.hits.length).toBeLessThanOrEqual(6);
  });
});
