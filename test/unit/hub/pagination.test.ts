import { afterEach, describe, expect, it } from 'vitest';
import { createHubClient, type HubClient, type HubPage, type ListingEnd, type PaginateRequest } from '../../../src/hub/client.js';
import { HubNotFoundError, HubPaginationError } from '../../../src/hub/errors.js';
import { extractPage, rebaseNextUrl } from '../../../src/hub/pagination.js';
import { captureLogger, fakeClock, json, startServer, type Handler, type ScriptedServer } from './support.js';

const items = (n: number, prefix = 'item'): { name: string }[] => Array.from({ length: n }, (_, i) => ({ name: `${prefix}-${i}` }));

let server: ScriptedServer | undefined;
let client: HubClient | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
  client = undefined;
  server = undefined;
});

async function setup(handler: Handler): Promise<{ server: ScriptedServer; client: HubClient; log: () => string }> {
  server = await startServer(handler);
  const { logger, output } = captureLogger();
  client = createHubClient({ baseUrl: server.url, clock: fakeClock(), logger });
  return { server, client, log: output };
}

async function collect(c: HubClient, req: PaginateRequest): Promise<{ pages: HubPage[]; all: unknown[]; end: ListingEnd }> {
  const pages: HubPage[] = [];
  const iterator = c.paginate(req);
  for (;;) {
    const step = await iterator.next();
    if (step.done) return { pages, all: pages.flatMap((p) => p.items), end: step.value };
    pages.push(step.value);
  }
}

/** A `results` endpoint whose `next` points at another host over http://, as Hub has done. */
function resultsEndpoint(data: unknown[], opts: { countKey?: 'count' | 'total'; nextHost?: string } = {}): Handler {
  return (hit) => {
    const page = Number(hit.query.get('page') ?? '1');
    const size = Number(hit.query.get('page_size') ?? '10');
    const slice = data.slice((page - 1) * size, page * size);
    if (page > 1 && slice.length === 0) return json({ detail: 'Object not found', message: 'httperror 404: object not found' }, 404);
    const more = page * size < data.length;
    const host = opts.nextHost ?? 'http://hub.docker.com:8080';
    return json({
      [opts.countKey ?? 'count']: data.length,
      next: more ? `${host}${hit.path}?page=${page + 1}&page_size=${size}` : null,
      previous: page > 1 ? `${host}${hit.path}?page=${page - 1}&page_size=${size}` : null,
      results: slice,
    });
  };
}

describe('paginate: results / total', () => {
  it('reads a 250-item list at 100 per page in exactly 3 requests, following http:// next links on another host', async () => {
    const data = items(250);
    const { server, client } = await setup(resultsEndpoint(data, { nextHost: 'http://somewhere-else.example:9999' }));
    const { pages, all } = await collect(client, { path: '/v2/namespaces/acme/repositories', shape: 'results', endpoint: 'list repositories' });
    expect(all).toEqual(data);
    expect(server.hits).toHaveLength(3);
    expect(server.hits.map((h) => h.query.get('page_size'))).toEqual(['100', '100', '100']);
    expect(server.hits.map((h) => h.query.get('page'))).toEqual([null, '2', '3']);
    expect(pages.map((p) => p.page)).toEqual([1, 2, 3]);
    expect(pages[0]?.count).toBe(250);
    expect(pages[1]?.url.startsWith(server.url)).toBe(true);
  });

  it('keeps the query of the first request (ordering, name) through next links', async () => {
    const { server, client } = await setup((hit) =>
      json({ count: 3, next: hit.query.get('page') ? null : `http://x/v2/ns?page=2&page_size=100&ordering=-last_updated`, results: [{ name: 'a' }] }),
    );
    await collect(client, { path: '/v2/ns', query: { ordering: '-last_updated', name: undefined }, shape: 'results' });
    expect(server.hits[0]?.query.get('ordering')).toBe('-last_updated');
    expect(server.hits[0]?.query.has('name')).toBe(false);
    expect(server.hits[1]?.query.get('ordering')).toBe('-last_updated');
  });

  it('treats a 404 past the last page as the end of the list', async () => {
    // next is always set (as a buggy count would), page 3 answers 404
    const { server, client } = await setup((hit) => {
      const page = Number(hit.query.get('page') ?? '1');
      if (page >= 3) return json({ detail: 'Not found' }, 404);
      return json({ count: 999, next: `http://hub.docker.com/v2/x?page=${page + 1}&page_size=100`, results: items(100, `p${page}`) });
    });
    const { all } = await collect(client, { path: '/v2/x', shape: 'results' });
    expect(all).toHaveLength(200);
    expect(server.hits).toHaveLength(3);
  });

  it('a 404 on the first page is an error (the namespace does not exist)', async () => {
    const { client } = await setup(() => json({ detail: 'Not found' }, 404));
    await expect(collect(client, { path: '/v2/namespaces/nope/repositories', shape: 'results', endpoint: 'list repositories' })).rejects.toBeInstanceOf(HubNotFoundError);
  });

  it('reads the total shape (organization access tokens)', async () => {
    const data = items(130);
    const { server, client } = await setup(resultsEndpoint(data, { countKey: 'total' }));
    const { pages, all } = await collect(client, { path: '/v2/orgs/acme/access-tokens', shape: 'total' });
    expect(all).toEqual(data);
    expect(server.hits).toHaveLength(2);
    expect(pages[0]?.count).toBe(130);
  });

  it('yields one empty page for an empty list (so a complete, empty listing is visible)', async () => {
    const { client } = await setup(() => json({ count: 0, next: null, previous: null, results: [] }));
    const { pages } = await collect(client, { path: '/v2/x', shape: 'results' });
    expect(pages).toHaveLength(1);
    expect(pages[0]?.items).toEqual([]);
  });

  it('stops a next link that points back at a page already read', async () => {
    // page 1 → page 2 → page 1 again
    const { server, client } = await setup((hit) =>
      json({ count: 500, next: `http://hub.docker.com/v2/x?page_size=100&page=${hit.query.get('page') === '2' ? 1 : 2}`, results: items(100) }),
    );
    await expect(collect(client, { path: '/v2/x', query: { page: 1 }, shape: 'results' })).rejects.toThrow(HubPaginationError);
    expect(server.hits).toHaveLength(2);
  });

  it('stops at maxPages with an error', async () => {
    const { server, client } = await setup((hit) => {
      const page = Number(hit.query.get('page') ?? '1');
      return json({ count: 1e9, next: `http://hub.docker.com/v2/x?page=${page + 1}&page_size=100`, results: items(100) });
    });
    await expect(collect(client, { path: '/v2/x', shape: 'results', maxPages: 4 })).rejects.toThrow(/after 4 pages/);
    expect(server.hits).toHaveLength(4);
  });

  it('unwraps the spec\'s array-wrapped org members page', async () => {
    const { client } = await setup(() => json([{ count: 2, next: null, previous: null, results: items(2) }]));
    const { all } = await collect(client, { path: '/v2/orgs/acme/members', shape: 'results' });
    expect(all).toEqual(items(2));
  });
});

describe('paginate: is the listing complete?', () => {
  /** Three pages of ten with `next` links; `page2` replaces what page 2 answers. */
  function threePages(page2: (hit: { path: string }) => ReturnType<Handler>, count = 30): Handler {
    return (hit) => {
      const page = Number(hit.query.get('page') ?? '1');
      if (page === 2) return page2(hit);
      const link = (n: number) => (n <= 3 ? `http://hub.docker.com${hit.path}?page=${n}&page_size=10` : null);
      return json({ count, next: link(page + 1), results: items(10, `p${page}`) });
    };
  }
  const nextTo3 = (hit: { path: string }) => `http://hub.docker.com${hit.path}?page=3&page_size=10`;

  it.each<[string, Handler, Partial<ListingEnd>]>([
    ['every page, the last without next, count reached', threePages((hit) => json({ count: 30, next: nextTo3(hit), results: items(10, 'p2') })), { complete: true, items: 30, count: 30, pages: 3 }],
    ['an empty page 2 that links to page 3', threePages((hit) => json({ count: 30, next: nextTo3(hit), results: [] })), { complete: false, incomplete: 'page 2 was empty but linked to a next page', items: 20 }],
    ['a 404 on page 2 that page 1 linked to', threePages(() => json({ detail: 'Not found' }, 404)), { complete: false, incomplete: 'page 2 answered 404 although page 1 linked to it', items: 10 }],
    ['fewer items than the count', threePages((hit) => json({ count: 30, next: nextTo3(hit), results: items(5, 'p2') })), { complete: false, incomplete: 'the list ended with 25 items, fewer than the count of 30 it reported' }],
    ['a count that grows on a later page counts the largest', threePages((hit) => json({ count: 31, next: nextTo3(hit), results: items(10, 'p2') })), { complete: false, count: 31 }],
    ['more items than the count (added while listing)', threePages((hit) => json({ count: 30, next: nextTo3(hit), results: items(11, 'p2') }), 30), { complete: true, items: 31 }],
  ])('%s', async (_name, handler, expected) => {
    const { client } = await setup(handler);
    const { end } = await collect(client, { path: '/v2/x', shape: 'results', pageSize: 10 });
    expect(end).toMatchObject(expected);
    if (expected.complete === false) expect(end.incomplete).toBeTruthy();
  });

  it('keeps reading after an empty page that links on, and stores what follows', async () => {
    const { client, server } = await setup(threePages((hit) => json({ count: 30, next: nextTo3(hit), results: [] })));
    const { all, end } = await collect(client, { path: '/v2/x', shape: 'results', pageSize: 10 });
    expect(all).toHaveLength(20);
    expect(server.hits).toHaveLength(3);
    expect(end.complete).toBe(false);
  });

  it('gives up after empty pages in a row that keep linking on', async () => {
    const { server, client } = await setup((hit) => {
      const page = Number(hit.query.get('page') ?? '1');
      return json({ count: 1000, next: `http://hub.docker.com/v2/x?page=${page + 1}&page_size=10`, results: page === 1 ? items(10) : [] });
    });
    const { end } = await collect(client, { path: '/v2/x', shape: 'results', pageSize: 10 });
    expect(server.hits).toHaveLength(4);
    expect(end).toMatchObject({ complete: false, incomplete: 'page 2 was empty but linked to a next page' });
  });

  it('an empty list is complete', async () => {
    const { client } = await setup(() => json({ count: 0, next: null, previous: null, results: [] }));
    expect((await collect(client, { path: '/v2/x', shape: 'results' })).end).toMatchObject({ complete: true, items: 0, pages: 1 });
  });

  it('page-number lists: a short page, an empty page or a 404 after a full page ends them completely', async () => {
    for (const after of [(): ReturnType<Handler> => json({ logs: [] }), (): ReturnType<Handler> => json({ detail: 'Not found' }, 404)]) {
      const { client } = await setup((hit) => (hit.query.get('page') === '1' ? json({ logs: items(100) }) : after()));
      expect((await collect(client, { path: '/v2/auditlogs/acme', shape: 'logs' })).end).toMatchObject({ complete: true, items: 100 });
      await client.close();
      await server?.close();
    }
  });

  it('a server that repeats its page is not a complete listing', async () => {
    const { client } = await setup(() => json(items(100)));
    expect((await collect(client, { path: '/v2/orgs/acme/groups/devs/members', shape: 'array' })).end).toMatchObject({ complete: false });
  });

  it('data lists are one complete page', async () => {
    const { client } = await setup(() => json({ data: items(3) }));
    expect((await collect(client, { path: '/v2/orgs/acme/invites', shape: 'data' })).end).toMatchObject({ complete: true, items: 3 });
  });
});

describe('paginate: logs / array / data', () => {
  function pagedArray(data: unknown[], wrap: (page: unknown[]) => unknown): Handler {
    return (hit) => {
      const page = Number(hit.query.get('page') ?? '1');
      const size = Number(hit.query.get('page_size') ?? '25');
      return json(wrap(data.slice((page - 1) * size, page * size)));
    };
  }

  it('audit logs: loops page=1.. within the window until a short page', async () => {
    const data = items(230, 'event');
    const { server, client } = await setup(pagedArray(data, (logs) => ({ logs })));
    const { all } = await collect(client, {
      path: '/v2/auditlogs/acme',
      query: { from: '2025-01-01T00:00:00Z', to: '2025-01-02T00:00:00Z' },
      shape: 'logs',
    });
    expect(all).toEqual(data);
    expect(server.hits.map((h) => h.query.get('page'))).toEqual(['1', '2', '3']);
    expect(server.hits.every((h) => h.query.get('from') === '2025-01-01T00:00:00Z' && h.query.get('page_size') === '100')).toBe(true);
  });

  it('audit logs: an exact multiple of the page size ends on the empty page', async () => {
    const { server, client } = await setup(pagedArray(items(200), (logs) => ({ logs })));
    const { all } = await collect(client, { path: '/v2/auditlogs/acme', shape: 'logs' });
    expect(all).toHaveLength(200);
    expect(server.hits).toHaveLength(3);
  });

  it('team members as a bare array', async () => {
    const { server, client } = await setup(pagedArray(items(150), (page) => page));
    const { all } = await collect(client, { path: '/v2/orgs/acme/groups/devs/members', shape: 'array' });
    expect(all).toHaveLength(150);
    expect(server.hits).toHaveLength(2);
  });

  it('team members in a results envelope although declared as array', async () => {
    const { client } = await setup(resultsEndpoint(items(120)));
    const { all } = await collect(client, { path: '/v2/orgs/acme/groups/devs/members', shape: 'array' });
    expect(all).toHaveLength(120);
  });

  it('stops (with a warning) when a server ignores page and repeats itself', async () => {
    const { server, client, log } = await setup(() => json(items(100)));
    const { all } = await collect(client, { path: '/v2/orgs/acme/groups/devs/members', shape: 'array' });
    expect(all).toHaveLength(100);
    expect(server.hits).toHaveLength(2);
    expect(log()).toContain('ignores paging');
  });

  it('invites: one request, no paging parameters', async () => {
    const { server, client } = await setup(() => json({ data: items(3) }));
    const { all } = await collect(client, { path: '/v2/orgs/acme/invites', shape: 'data' });
    expect(all).toHaveLength(3);
    expect(server.hits).toHaveLength(1);
    expect(server.hits[0]?.query.has('page_size')).toBe(false);
  });

  it('a body in no known shape is a clear error', async () => {
    const { client } = await setup(() => json({ hello: 'world' }));
    await expect(collect(client, { path: '/v2/x', shape: 'results', endpoint: 'list things' })).rejects.toThrow(/list things: page 1 is not a results page/);
  });
});

describe('rebaseNextUrl / extractPage', () => {
  const base = new URL('https://hub.docker.com');

  it.each([
    ['http://hub.docker.com/v2/x?page=2&page_size=100', '/v2/x?page=2&page_size=100'],
    ['https://evil.example:444/v2/x?page=2', '/v2/x?page=2'],
    ['/v2/x?page=3', '/v2/x?page=3'],
    ['?page=4', '/v2/current?page=4'],
  ])('%s → %s', (next, expected) => {
    expect(rebaseNextUrl(next, 'https://hub.docker.com/v2/current?page=1', base)).toBe(expected);
  });

  it('strips the base URL path prefix when the next link carries it', () => {
    const prefixed = new URL('http://proxy.local/dockerhub/');
    expect(rebaseNextUrl('http://proxy.local/dockerhub/v2/x?page=2', 'http://proxy.local/dockerhub/v2/x', prefixed)).toBe('/v2/x?page=2');
    expect(rebaseNextUrl('http://hub.docker.com/v2/x?page=2', 'http://proxy.local/dockerhub/v2/x', prefixed)).toBe('/v2/x?page=2');
  });

  it('detects every shape', () => {
    expect(extractPage({ count: 1, next: null, results: [1] })).toMatchObject({ shape: 'results', next: null, count: 1 });
    expect(extractPage({ total: 1, next: 'u', results: [1] })).toMatchObject({ shape: 'total', next: 'u', count: 1 });
    expect(extractPage({ active_count: 1, count: 2, next: null, results: [1] })).toMatchObject({ shape: 'results', count: 2 });
    expect(extractPage({ logs: [1] })).toMatchObject({ shape: 'logs', next: undefined });
    expect(extractPage({ data: [1] })).toMatchObject({ shape: 'data' });
    expect(extractPage([1, 2])).toMatchObject({ shape: 'array', items: [1, 2] });
    expect(extractPage({ nope: 1 })).toBeUndefined();
    expect(extractPage('text')).toBeUndefined();
  });
});
