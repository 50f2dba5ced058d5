import { describe, expect, it } from 'vitest';
import { compareCursor, columnValueProblem, dataPathProblem, maxCursor, metadataOf, recordKeyOf, recordSchema, recordsOf } from '../../../src/custom/records.js';

const page = {
  count: 3,
  next: null,
  results: [
    { name: 'a', size: 10, pushed: '2025-01-02T00:00:00Z', data: { repo: 'x' } },
    { name: 'b', size: '20', pushed: '2025-01-03T00:00:00.000000Z', data: { repo: 'y' } },
    { name: 'c', size: null, pushed: '2025-01-01T00:00:00+00:00', data: { repo: 'z' } },
  ],
};

describe('records of a page', () => {
  it('picks records with the data path, or the list of a Hub envelope, or the single object', () => {
    expect(recordsOf(page, '$.results[*]').map((r) => r.name)).toEqual(['a', 'b', 'c']);
    expect(recordsOf(page, 'results[*]').map((r) => r.name)).toEqual(['a', 'b', 'c']);
    expect(recordsOf(page, '$.results[?(@.size)]').map((r) => r.name)).toEqual(['a', 'b']);
    expect(recordsOf(page, '$.results[*].data')).toEqual([{ repo: 'x' }, { repo: 'y' }, { repo: 'z' }]);
    expect(recordsOf(page, '$.results[*].name')).toEqual([{ value: 'a' }, { value: 'b' }, { value: 'c' }]);
    expect(recordsOf(page, undefined).map((r) => r.name)).toEqual(['a', 'b', 'c']);
    expect(recordsOf({ logs: [{ action: 'x' }] }, undefined)).toEqual([{ action: 'x' }]);
    expect(recordsOf({ name: 'repo', categories: [] }, undefined)).toEqual([{ name: 'repo', categories: [] }]);
    expect(recordsOf({ name: 'repo' }, '$')).toEqual([{ name: 'repo' }]);
    expect(recordsOf(page, '$.nothing[*]')).toEqual([]);
  });

  it('keeps metadata: one match as it is, several as a list, none as null', () => {
    expect(metadataOf(page, '$.count')).toBe(3);
    expect(metadataOf(page, '$.results[*].name')).toEqual(['a', 'b', 'c']);
    expect(metadataOf(page, '$.missing')).toBeNull();
    expect(metadataOf(page, undefined)).toBeNull();
  });

  it('keys a record by its key paths, or by a hash of the whole record', () => {
    const record = page.results[0]!;
    expect(recordKeyOf(record, ['$.name'])).toEqual({ key: 'a' });
    expect(recordKeyOf(record, ['name', '$.data.repo'])).toEqual({ key: '["a","x"]' });
    expect(recordKeyOf(record, ['$.size'])).toEqual({ key: '10' });
    expect(recordKeyOf(record, ['$.nope'])).toEqual({ missing: '$.nope' });
    const hashed = recordKeyOf(record, []);
    expect(hashed).toEqual(recordKeyOf({ ...record }, []));
    expect(hashed).not.toEqual(recordKeyOf(page.results[1]!, []));
  });

  it('orders cursor values as instants, numbers or text', () => {
    expect(compareCursor('2025-01-02T00:00:00Z', '2025-01-01T23:00:00.000000Z')).toBeGreaterThan(0);
    expect(compareCursor('2025-01-01T00:00:00Z', '2025-01-01T00:00:00.000000+00:00')).toBe(0);
    expect(compareCursor(9, 10)).toBeLessThan(0);
    expect(maxCursor(undefined, '2025-01-01T00:00:00Z')).toBe('2025-01-01T00:00:00Z');
    expect(page.results.map((r) => r.pushed).reduce<unknown>((m, v) => maxCursor(m, v), undefined)).toBe('2025-01-03T00:00:00.000000Z');
  });

  it('refuses a record whose key is missing or whose column value its type cannot hold, naming them', () => {
    const schema = recordSchema({ keys: ['$.name'], columns: [{ name: 'size', segments: ['size'], type: 'bigint' }, { name: 'pushed', segments: ['pushed'], type: 'timestamptz' }] });
    expect(schema.safeParse(page.results[1]).success).toBe(true);
    expect(schema.safeParse(page.results[2]).success).toBe(true);
    const bad = schema.safeParse({ size: 'lots', pushed: 'yesterday' });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => i.message)).toEqual([
      'key $.name has no value',
      'column size (bigint): "lots" is not a whole number',
      'column pushed (timestamptz): "yesterday" is not a timestamp (ISO 8601, or unix seconds as a number)',
    ]);
  });

  it.each([
    [1.5, 'integer', 'is not a whole number'],
    [2 ** 31, 'integer', 'is out of range for integer'],
    ['99999999999999999999', 'bigint', 'is out of range for bigint'],
    ['1e3', 'numeric', undefined],
    ['yes', 'boolean', undefined],
    ['maybe', 'boolean', 'is not a boolean (true/false, yes/no, on/off, 1/0)'],
    [1700000000, 'timestamptz', undefined],
    ['2025-02-28', 'date', undefined],
    ['2025-02-30', 'date', 'is not a date (YYYY-MM-DD)'],
    ['2025-02-30T00:00:00Z', 'timestamptz', 'is not a timestamp (ISO 8601, or unix seconds as a number)'],
    ['31/12/2025', 'date', 'is not a date (YYYY-MM-DD)'],
    [{ a: 1 }, 'jsonb', undefined],
  ] as const)('%j as %s: %s', (value, type, problem) => {
    expect(columnValueProblem(value, type)).toBe(problem);
  });
});

describe('a page the data path cannot read', () => {
  it.each([
    // [body, dataPath, problem or undefined]
    [{ results: [{ id: 1 }] }, '$.results[*]', undefined],
    [{ results: [] }, '$.results[*]', undefined],
    [{}, '$.results[*]', undefined],
    [null, '$.results[*]', undefined],
    [[], '$[*]', undefined],
    [{ items: [{ id: 1 }], count: 1 }, '$.results[*]', 'dataPath $.results[*] matched nothing in the page: $.results is not there (its top-level keys are items, count)'],
    [{ items: [] }, 'results[*]', 'dataPath $.results[*] matched nothing in the page: $.results is not there (its top-level keys are items)'],
    [{ results: 'down' }, '$.results[*]', 'dataPath $.results[*]: $.results is a string ("down"), not a list of records (its top-level keys are results)'],
    [{ results: { a: { id: 1 } } }, '$.results[*]', 'dataPath $.results[*]: $.results is an object, not a list of records (its top-level keys are results)'],
    [{ results: { a: { id: 1 } } }, '$.results.*', undefined],
    [{ data: { id: 1 } }, '$.data', undefined],
    [{ data: 'x' }, '$.data', 'dataPath $.data found a string ("x") where a record (an object) belongs (its top-level keys are data)'],
    [{ data: [{ id: 1 }] }, '$.data', 'dataPath $.data found a list where a record (an object) belongs; for the items of a list use $.data[*] (its top-level keys are data)'],
    [{ other: 1 }, '$.data', 'dataPath $.data matched nothing in the page (its top-level keys are other)'],
    [[1, 2], '$.data', 'dataPath $.data matched nothing in the page (it is a list of 2 item(s))'],
    // A filter or a wildcard may rightly match nothing.
    [{ results: [{ id: 1 }] }, '$.results[?(@.size)]', undefined],
    [{ results: [{ id: 1 }] }, '$.results[*].tags[*]', undefined],
    [{ results: [{ id: 1 }] }, '$..tags[*]', undefined],
    [{ results: [{ id: 1 }] }, undefined, undefined],
  ] as const)('%j with %s', (body, path, problem) => {
    expect(dataPathProblem(body, path)?.message).toBe(problem);
  });

  it('names the page top-level keys in its payload', () => {
    expect(dataPathProblem({ items: [], total: 0 }, '$.results[*]')?.payload).toEqual({ dataPath: '$.results[*]', top_level_keys: ['items', 'total'] });
  });
});

