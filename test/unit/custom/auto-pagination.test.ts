import { describe, expect, it } from 'vitest';
import { paginate } from '../../../src/hub/pagination.js';
import type { HubRequest, HubResponse } from '../../../src/hub/types.js';

/** A server that answers from a list of bodies, recording what was asked. */
function server(bodies: unknown[]) {
  const asked: HubRequest[] = [];
  const request = async (req: HubRequest): Promise<HubResponse<unknown>> => {
    asked.push(req);
    const body = bodies[asked.length - 1];
    return { status: 200, headers: {}, body, url: `http://hub.test${req.path}` };
  };
  return { asked, deps: { request, baseUrl: new URL('http://hub.test') } };
}

async function drain(generator: AsyncGenerator<{ items: unknown[]; body?: unknown }, unknown>) {
  const pages: { items: unknown[]; body?: unknown }[] = [];
  for (;;) {
    const next = await generator.next();
    if (next.done) return { pages, end: next.value };
    pages.push(next.value);
  }
}

describe('pagination: auto', () => {
  it('takes a single object as the whole, complete answer', async () => {
    const { asked, deps } = server([{ name: 'web', categories: [] }]);
    const { pages, end } = await drain(paginate(deps, { path: '/v2/namespaces/acme/repositories/web', shape: 'auto' }));
    expect(asked).toHaveLength(1);
    expect(pages).toEqual([{ items: [], page: 1, url: 'http://hub.test/v2/namespaces/acme/repositories/web', body: { name: 'web', categories: [] } }]);
    expect(end).toMatchObject({ complete: true, pages: 1 });
  });

  it('follows next links of a results page, and sends the method, headers and body it is given', async () => {
    const { asked, deps } = server([
      { count: 3, next: 'http://elsewhere.example/v2/search?page=2', results: [{ id: 1 }, { id: 2 }] },
      { count: 3, next: null, results: [{ id: 3 }] },
    ]);
    const { pages, end } = await drain(paginate(deps, { path: '/v2/search', shape: 'auto', method: 'POST', headers: { 'x-a': '1' }, body: { q: 'x' } }));
    expect(pages.map((p) => p.items)).toEqual([[{ id: 1 }, { id: 2 }], [{ id: 3 }]]);
    expect((pages[1]!.body as { results: unknown[] }).results).toEqual([{ id: 3 }]);
    expect(asked.map((r) => [r.method, r.path, r.headers, r.body])).toEqual([
      ['POST', '/v2/search', { 'x-a': '1' }, { q: 'x' }],
      ['POST', '/v2/search?page=2', { 'x-a': '1' }, { q: 'x' }],
    ]);
    expect(end).toMatchObject({ complete: true, items: 3, count: 3 });
  });

  it('pages a logs list by page number until a short page', async () => {
    const full = Array.from({ length: 2 }, (_, i) => ({ i }));
    const { asked, deps } = server([{ logs: full }, { logs: [{ i: 9 }] }]);
    const { pages } = await drain(paginate(deps, { path: '/v2/auditlogs/acme', shape: 'auto', pageSize: 2 }));
    expect(pages.map((p) => p.items.length)).toEqual([2, 1]);
    expect(asked.map((r) => r.query)).toEqual([{ page_size: 2 }, { page_size: 2, page: 2 }]);
  });
});
