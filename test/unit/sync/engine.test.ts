import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ListingEnd } from '../../../src/hub/types.js';
import type { Executor, Row, SliceRun } from '../../../src/sync/context.js';
import { runPageLoop, type EnginePage, type PageLoop } from '../../../src/sync/engine.js';
import type { EntitySpec, UpsertResult } from '../../../src/sync/upsert.js';

const spec = { table: 'things', keys: ['org', 'name'] } as unknown as EntitySpec;
const tx = { fake: 'tx' } as unknown as Executor;

/** A SliceRun that records what the loop does, in order. */
function fakeRun(deleted: Record<string, unknown>[] = []) {
  const calls: string[] = [];
  const cursors: { value: unknown; complete: boolean | undefined }[] = [];
  const run = {
    endpoint: 'things',
    slice: { key: 'acme', params: { org: 'acme' } },
    logger: { warn: () => calls.push('warn'), info: () => undefined },
    pageFetched: () => calls.push('page'),
    transaction: async <T>(fn: (tx: Executor) => Promise<T>) => fn(tx),
    validate: async (_tx: Executor, _schema: z.ZodType, items: unknown[]) => ({
      valid: items.map((raw) => ({ raw: raw as Record<string, unknown>, parsed: raw })),
      invalid: 0,
    }),
    upsert: async (_tx: Executor, _spec: EntitySpec, rows: Row[]): Promise<UpsertResult> => {
      calls.push(`upsert ${rows.map((row) => row.name).join(',')}`);
      return { inserted: rows.length, updated: 0, restored: 0, unchanged: 0, touched: 0, changed: rows.map((row) => ({ op: 'insert', row })) } as UpsertResult;
    },
    recordErrors: async (_tx: Executor, errors: { kind: string; message: string }[]) => {
      calls.push(...errors.map((e) => `error ${e.kind}: ${e.message}`));
    },
    markMissing: async (_tx: Executor, _spec: EntitySpec, scope: Record<string, unknown>, _keys: unknown, seen: Iterable<unknown>) => {
      calls.push(`markMissing ${JSON.stringify(scope)} seen ${[...seen].join(',')}`);
      return deleted;
    },
    setCursor: async (_tx: Executor, value: unknown, options: { complete?: boolean } = {}) => {
      calls.push('setCursor');
      cursors.push({ value, complete: options.complete });
    },
  };
  return { run: run as unknown as SliceRun, calls, cursors };
}

/** Pages of names; counts how many the loop pulled. */
function pagesOf(names: string[][]) {
  const pulled = { count: 0 };
  async function* source(): AsyncGenerator<EnginePage, ListingEnd> {
    for (const page of names) {
      pulled.count++;
      yield { items: page.map((name) => ({ name })), url: `/things?page=${pulled.count}` };
    }
    return { complete: true, pages: names.length, items: names.flat().length };
  }
  return { pages: source(), pulled };
}

const base = (pages: PageLoop['pages']): PageLoop => ({
  spec,
  pages,
  schema: z.looseObject({}),
  rows: (item) => [{ org: 'acme', name: item.raw.name, raw: item.raw }],
  cursor: 'snapshot',
  what: 'the things of acme',
});

describe('runPageLoop', () => {
  it('writes what follows a page after its upsert, and what follows the listing between the deletions and the cursor', async () => {
    const { run, calls, cursors } = fakeRun([{ name: 'gone' }]);
    const { pages } = pagesOf([['a', 'b'], ['c']]);
    const outcomes: unknown[] = [];
    const summary = await runPageLoop(run, {
      ...base(pages),
      deletes: { scope: { org: 'acme' }, keyColumns: 'name' },
      afterPage: async (_tx, { rows, upserted, last, items }) => {
        calls.push(`afterPage ${rows.length} rows, ${upserted.inserted} inserted, ${items.length} items${last ? ', last' : ''}`);
      },
      afterListing: async (_tx, outcome) => {
        calls.push('afterListing');
        outcomes.push(outcome);
      },
      cursor: (s) => ({ things: s.listed }),
    });
    expect(calls).toEqual([
      'page',
      'upsert a,b',
      'afterPage 2 rows, 2 inserted, 2 items',
      'page',
      'upsert c',
      'afterPage 1 rows, 1 inserted, 1 items, last',
      'markMissing {"org":"acme"} seen a,b,c',
      'afterListing',
      'setCursor',
    ]);
    expect(outcomes).toEqual([{ complete: true, deleted: [{ name: 'gone' }] }]);
    expect(cursors).toEqual([{ value: { things: 3 }, complete: true }]);
    expect(summary).toMatchObject({ listed: 3, deleted: 1, complete: true });
  });

  it('builds a whole page of rows at once in its transaction', async () => {
    const { run, calls } = fakeRun();
    const { pages } = pagesOf([['a', 'b', 'c']]);
    await runPageLoop(run, {
      ...base(pages),
      rows: {
        page: async (given, items) => {
          expect(given).toBe(tx);
          return items.filter((item) => item.raw.name !== 'b').map((item) => ({ org: 'acme', name: item.raw.name, raw: item.raw }));
        },
      },
    });
    expect(calls).toContain('upsert a,c');
  });

  it("stores no cursor with 'keep'", async () => {
    const { run, calls } = fakeRun();
    const { pages } = pagesOf([['a']]);
    await runPageLoop(run, { ...base(pages), cursor: 'keep' });
    expect(calls).toEqual(['page', 'upsert a']);
  });

  it('with stopAfter, stores the cursor with every page, never complete, and requests no page after the stop', async () => {
    const { run, calls, cursors } = fakeRun();
    const { pages, pulled } = pagesOf([['a'], ['b'], ['c']]);
    let stop = false;
    const summary = await runPageLoop(run, {
      ...base(pages),
      deletes: { scope: { org: 'acme' }, keyColumns: 'name' },
      afterPage: async (_tx, { rows }) => {
        if (rows.some((row) => row.name === 'b')) stop = true;
      },
      cursor: (s) => ({ changed: s.rows }),
      stopAfter: () => stop,
    });
    // Read one ahead, the loop would have asked for the third page before writing the second.
    expect(pulled.count).toBe(2);
    expect(calls).toEqual(['page', 'upsert a', 'setCursor', 'page', 'upsert b', 'setCursor']);
    expect(cursors).toEqual([
      { value: { changed: 1 }, complete: false },
      { value: { changed: 2 }, complete: false },
    ]);
    expect(summary.deleted).toBe(0);
  });

  it('a page problem goes to sync_errors and leaves the listing unproven: nothing is deleted, the slice is not complete', async () => {
    const { run, calls, cursors } = fakeRun();
    const { pages } = pagesOf([['a'], ['b']]);
    const summary = await runPageLoop(run, {
      ...base(pages),
      deletes: { scope: { org: 'acme' }, keyColumns: 'name' },
      pageProblem: (page) => (page.url.endsWith('page=2') ? { message: 'dataPath $.results[*] matched nothing', payload: null } : undefined),
    });
    expect(calls).toEqual(['page', 'upsert a', 'page', 'error page: dataPath $.results[*] matched nothing', 'upsert b', 'warn', 'setCursor']);
    expect(summary).toMatchObject({ complete: false, deleted: 0, incomplete: 'page 2: dataPath $.results[*] matched nothing' });
    expect(cursors[0]!.complete).toBe(false);
  });

  it('an item whose identity the listing already showed is not stored: it goes to sync_errors and counts as invalid', async () => {
    const { run, calls } = fakeRun();
    const { pages } = pagesOf([['a', 'b', 'a'], ['b', 'c']]);
    const summary = await runPageLoop(run, {
      ...base(pages),
      deletes: { scope: { org: 'acme' }, keyColumns: 'name' },
      identity: (item) => String(item.raw.name),
    });
    expect(calls).toEqual([
      'page',
      'error duplicate_key: key a is listed more than once in the things of acme; the first one is stored',
      'upsert a,b',
      'page',
      'error duplicate_key: key b is listed more than once in the things of acme; the first one is stored',
      'upsert c',
      'warn',
      'setCursor',
    ]);
    expect(summary).toMatchObject({ invalid: 2, complete: false, deleted: 0 });
  });
});
