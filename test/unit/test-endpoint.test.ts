import { describe, expect, it } from 'vitest';
import { suggestDataPaths } from '../../src/commands/test-endpoint.js';

describe('suggestDataPaths', () => {
  it('finds every array of records, nested ones too', () => {
    expect(
      suggestDataPaths({ count: 2, next: null, results: [{ name: 'a', images: [{ digest: 'x' }] }, { name: 'b', extra: 1 }] }),
    ).toEqual([
      { path: '$.results[*]', items: 2, fields: ['name', 'images', 'extra'] },
      { path: '$.results[*].images[*]', items: 1, fields: ['digest'] },
    ]);
  });
  it('handles bare arrays, odd keys and bodies without records', () => {
    expect(suggestDataPaths([{ id: 1 }])).toEqual([{ path: '$[*]', items: 1, fields: ['id'] }]);
    expect(suggestDataPaths({ 'odd-key': [{ a: 1 }] })[0]!.path).toBe("$['odd-key'][*]");
    expect(suggestDataPaths({ restricted_images: { enabled: true } })).toEqual([]);
    expect(suggestDataPaths('text')).toEqual([]);
  });
});
