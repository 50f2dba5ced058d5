import { afterEach, describe, expect, it } from 'vitest';
import { createHubClient, type HubClient, type HubPage, type ListingEnd, type PaginateRequest } from '../../../src/hub/client.js';
import { HubPaginationError, HubRequestRefusedError } from '../../../src/hub/errors.js';
import type { PaginatorSpec } from '../../../src/hub/types.js';
import { fakeClock, json, startServer, type Handler, type Hit, type ScriptedServer } from './support.js';

// The generic paginators over real HTTP: each reads a whole list and ends where its API says,
// and each keeps the guarantees of Docker Hub's shapes: a repeated request is a loop (an error),
// a page cap, a listing that cannot be proven complete says so, and a next link goes to the
// API's origin only.

const items = (from: number, to: number): { id: number }[] => Array.from({ length: Math.max(0, to - from) }, (_, i) => ({ id: from + i }));
const DATA = items(0, 23);

let servers: ScriptedServer[] = [];
let client: HubClient | undefined;
afterEach(async () => {
  await client?.close();
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
  client = undefined;
});

async function setup(handler: Handler): Promise<{ server: ScriptedServer; client: HubClient }> {
  const server = await startServer(handler);
  servers.push(server);
  client = createHubClient({ baseUrl: server.url, clock: fakeClock() });
  return { server, client };
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

const list = (paginator: PaginatorSpec, extra: Partial<PaginateRequest> = {}): PaginateRequest => ({
  path: '/api/things',
  shape: 'auto',
  paginator,
  records: (body) => ((body as { items?: unknown[] }).items ?? []),
  pageSize: 10,
  endpoint: 'things',
  ...extra,
});

/** Pages of DATA by a query parameter holding a 1-based page number. */
const byPage = (hit: Hit, param = 'page', start = 1): { id: number }[] => {
  const page = Number(hit.query.get(param) ?? start) - start;
  const size = Number(hit.query.get('page_size') ?? 10);
  return DATA.slice(page * size, (page + 1) * size);
};

describe('next_link paginator', () => {
  it('follows a next URL found by a JSONPath in the body until a page without one', async () => {
    const { server, client } = await setup((hit, base) => {
      const page = Number(hit.query.get('page') ?? 1);
      const more = page * 10 < DATA.length;
      return json({ items: byPage(hit), links: { next: more ? `${base}/api/things?page=${page + 1}&page_size=10` : null } });
    });
    const { all, end } = await collect(client, list({ type: 'next_link', nextPath: '$.links.next' }));
    expect(all).toEqual(DATA);
    expect(server.hits.map((h) => h.query.get('page'))).toEqual([null, '2', '3']);
    expect(end).toMatchObject({ complete: true, pages: 3, items: 23 });
  });

  it('follows the Link header rel="next" (relative links too) until a page without it', async () => {
    const { server, client } = await setup((hit) => {
      const page = Number(hit.query.get('page') ?? 1);
      const more = page * 10 < DATA.length;
      const link = more ? `</api/things?page=${page + 1}&page_size=10>; rel="next", </api/things?page=1>; rel="first"` : '</api/things?page=1>; rel="first"';
      return json({ items: byPage(hit) }, 200, { link });
    });
    const { all, end } = await collect(client, list({ type: 'next_link' }));
    expect(all).toEqual(DATA);
    expect(server.hits).toHaveLength(3);
    expect(end.complete).toBe(true);
  });

  it('refuses a next link to another origin: nothing is sent there, and the pages before it were read', async () => {
    const elsewhere = await startServer(() => json({ items: [] }));
    servers.push(elsewhere);
    for (const paginator of [{ type: 'next_link', nextPath: 'next' }, { type: 'next_link' }] as const) {
      const { client } = await setup(() => json({ items: items(0, 10), next: `${elsewhere.url}/api/things?page=2` }, 200, { link: `<${elsewhere.url}/api/things?page=2>; rel="next"` }));
      const pages: HubPage[] = [];
      const reading = (async () => {
        for await (const page of client.paginate(list(paginator))) pages.push(page);
      })();
      await expect(reading).rejects.toThrow(HubRequestRefusedError);
      await expect(reading).rejects.toThrow(/links to http:\/\/127\.0\.0\.1:\d+, not to the API .*Nothing was sent/);
      expect(pages).toHaveLength(1);
      await client.close();
    }
    expect(elsewhere.hits).toHaveLength(0);
  });

  it('a link back to a page already read is a loop: an error, not an endless listing', async () => {
    const { server, client } = await setup((hit) => json({ items: byPage(hit), next: `/api/things?page_size=10&page=${hit.query.get('page') === '2' ? 1 : 2}` }));
    await expect(collect(client, list({ type: 'next_link', nextPath: '$.next' }, { query: { page: 1 } }))).rejects.toThrow(HubPaginationError);
    expect(server.hits).toHaveLength(2);
  });

  it('an empty page that links on makes the listing incomplete', async () => {
    const { client } = await setup((hit) => {
      const page = Number(hit.query.get('page') ?? 1);
      return json({ items: page === 2 ? [] : byPage(hit), next: page < 3 ? `/api/things?page=${page + 1}` : null });
    });
    const { end } = await collect(client, list({ type: 'next_link', nextPath: 'next' }));
    expect(end).toMatchObject({ complete: false, incomplete: 'page 2 was empty but linked to a next page', pages: 3 });
  });
});

describe('page_number paginator', () => {
  it('asks param=start, start+1, … and ends on a short page', async () => {
    const { server, client } = await setup((hit) => json({ items: byPage(hit, 'p', 0) }));
    const { all, end } = await collect(client, list({ type: 'page_number', param: 'p', start: 0 }));
    expect(all).toEqual(DATA);
    expect(server.hits.map((h) => h.query.get('p'))).toEqual(['0', '1', '2']);
    expect(server.hits.every((h) => h.query.get('page_size') === '10')).toBe(true);
    expect(end).toMatchObject({ complete: true, items: 23 });
  });

  it('an exact multiple ends on the empty page, a 404 past the end ends it too (complete)', async () => {
    const twenty = DATA.slice(0, 20);
    const { server, client } = await setup((hit) => json({ items: twenty.slice((Number(hit.query.get('page')) - 1) * 10, Number(hit.query.get('page')) * 10) }));
    expect((await collect(client, list({ type: 'page_number' }))).end).toMatchObject({ complete: true, items: 20 });
    expect(server.hits).toHaveLength(3);
    const { client: other } = await setup((hit) => (hit.query.get('page') === '3' ? json({ detail: 'Not found' }, 404) : json({ items: byPage(hit) })));
    expect((await collect(other, list({ type: 'page_number' }))).end).toMatchObject({ complete: true, items: 20 });
  });

  it('a server that ignores the page parameter is caught, not read forever', async () => {
    const { server, client } = await setup(() => json({ items: items(0, 10) }));
    const { all, end } = await collect(client, list({ type: 'page_number' }));
    expect(all).toHaveLength(10);
    expect(server.hits).toHaveLength(2);
    expect(end).toMatchObject({ complete: false, incomplete: 'page 2 repeated page 1 (the server ignores paging)' });
  });

  it('stops at the page cap with an error', async () => {
    const { server, client } = await setup((hit) => json({ items: items(Number(hit.query.get('page')) * 10, Number(hit.query.get('page')) * 10 + 10) }));
    await expect(collect(client, list({ type: 'page_number' }, { maxPages: 4 }))).rejects.toThrow(/Stopped listing things after 4 pages/);
    expect(server.hits).toHaveLength(4);
  });
});

describe('offset paginator', () => {
  const byOffset = (hit: Hit) => {
    const offset = Number(hit.query.get('offset'));
    return DATA.slice(offset, offset + Number(hit.query.get('limit')));
  };

  it('asks offset=0, n, 2n with limit=n until the total at totalPath arrived', async () => {
    const { server, client } = await setup((hit) => json({ items: byOffset(hit), meta: { total: DATA.length } }));
    const { all, pages, end } = await collect(client, list({ type: 'offset', totalPath: '$.meta.total' }));
    expect(all).toEqual(DATA);
    expect(server.hits.map((h) => [h.query.get('offset'), h.query.get('limit')])).toEqual([['0', '10'], ['10', '10'], ['20', '10']]);
    expect(pages[0]?.count).toBe(23);
    expect(end).toMatchObject({ complete: true, count: 23, items: 23 });
  });

  it('reads on past a short page while the total is not reached, and ends on a short page without a total', async () => {
    // A server that serves at most 7 per page, whatever the limit.
    const capped = (hit: Hit) => {
      const offset = Number(hit.query.get('start'));
      return json({ items: DATA.slice(offset, offset + Math.min(7, Number(hit.query.get('size')))), total: DATA.length });
    };
    const { server, client } = await setup(capped);
    const { all, end } = await collect(client, list({ type: 'offset', offsetParam: 'start', limitParam: 'size', totalPath: 'total' }));
    expect(all).toEqual(DATA);
    expect(server.hits.map((h) => h.query.get('start'))).toEqual(['0', '7', '14', '21']);
    expect(end.complete).toBe(true);
    const { server: other, client: second } = await setup(capped);
    expect((await collect(second, list({ type: 'offset', offsetParam: 'start', limitParam: 'size' }))).all).toHaveLength(7);
    expect(other.hits).toHaveLength(1);
  });

  it('a total that is never reached makes the listing incomplete', async () => {
    const { client } = await setup((hit) => json({ items: byOffset(hit), total: 30 }));
    const { end } = await collect(client, list({ type: 'offset', totalPath: 'total' }));
    expect(end).toMatchObject({ complete: false, incomplete: 'the list ended with 23 items, fewer than the count of 30 it reported' });
  });

  it('a server that ignores the offset is caught', async () => {
    const { client } = await setup(() => json({ items: items(0, 10) }));
    expect((await collect(client, list({ type: 'offset' }))).end).toMatchObject({ complete: false, incomplete: 'page 2 repeated page 1 (the server ignores paging)' });
  });
});

describe('cursor paginator (the Enterprise Data API: page_token / next_page_token)', () => {
  /** Reports most recent first; the token is the index of the next page, "" at the end. */
  const reports = Array.from({ length: 12 }, (_, i) => ({ Date: `2026-06-${String(30 - i).padStart(2, '0')}`, Key: `acme/usage_pulls/daily/${30 - i}.csv` }));
  const enterprise: Handler = (hit) => {
    const from = Number(Buffer.from(hit.query.get('page_token') ?? 'MA', 'base64url').toString());
    const size = Number(hit.query.get('page_size'));
    const to = from + size;
    return json({ reports: reports.slice(from, to), next_page_token: to < reports.length ? Buffer.from(String(to)).toString('base64url') : '' });
  };
  const cursor = (extra: Partial<PaginateRequest> = {}) =>
    list({ type: 'cursor' }, { path: '/orgs/acme/reports/usage_pulls/daily', records: (body) => (body as { reports: unknown[] }).reports, pageSize: 5, ...extra });

  it('sends next_page_token back as page_token until it is ""', async () => {
    const { server, client } = await setup(enterprise);
    const { all, end } = await collect(client, cursor());
    expect(all).toEqual(reports);
    expect(server.hits.map((h) => h.query.get('page_token'))).toEqual([null, 'NQ', 'MTA']);
    expect(server.hits.every((h) => h.query.get('page_size') === '5')).toBe(true);
    expect(end).toMatchObject({ complete: true, pages: 3, items: 12 });
  });

  it('an absent or null token ends the list too; custom names are used', async () => {
    const { server, client } = await setup((hit) => json({ data: hit.query.get('after') ? [{ id: 2 }] : [{ id: 1 }], paging: hit.query.get('after') ? {} : { cursor: 'c2' } }));
    const { all } = await collect(client, list({ type: 'cursor', param: 'after', nextPath: '$.paging.cursor', sizeParam: 'limit' }, { records: (body) => (body as { data: unknown[] }).data }));
    expect(all).toEqual([{ id: 1 }, { id: 2 }]);
    expect(server.hits.map((h) => [h.query.get('after'), h.query.get('limit')])).toEqual([[null, '10'], ['c2', '10']]);
  });

  it('a token the server hands out twice is a loop: an error after the page that repeated it', async () => {
    const { server, client } = await setup((hit) => json({ reports: [{ Key: hit.query.get('page_token') ?? 'first' }], next_page_token: 'same' }));
    await expect(collect(client, cursor())).rejects.toThrow(/things: page 2 links to a page already read .*page_token=same/);
    expect(server.hits).toHaveLength(2);
  });

  it('stops at the page cap', async () => {
    const { server, client } = await setup((hit) => {
      const n = Number(hit.query.get('page_token') ?? 0);
      return json({ reports: [{ Key: String(n) }], next_page_token: String(n + 1) });
    });
    await expect(collect(client, cursor({ maxPages: 3 }))).rejects.toThrow(/after 3 pages \(maxPages\)/);
    expect(server.hits).toHaveLength(3);
  });

  it('a page the token promised that answers 404 is a hole: the listing is not complete', async () => {
    const { client } = await setup((hit) => (hit.query.get('page_token') ? json({ detail: 'gone' }, 404) : json({ reports: [{ Key: 'a' }], next_page_token: 'b' })));
    const { end } = await collect(client, cursor());
    expect(end).toMatchObject({ complete: false, incomplete: 'page 2 answered 404 although page 1 linked to it', items: 1 });
  });
});
