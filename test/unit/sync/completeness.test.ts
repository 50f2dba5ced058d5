import { describe, expect, it } from 'vitest';
import type { ListingEnd } from '../../../src/hub/types.js';
import { deletionVerdict } from '../../../src/sync/completeness.js';

const complete: ListingEnd = { complete: true, pages: 3, items: 250, count: 250 };

describe('deletionVerdict', () => {
  it.each<[string, ListingEnd | undefined, number, ReturnType<typeof deletionVerdict>]>([
    ['complete, nothing invalid', complete, 0, { allowed: true }],
    ['complete, an empty list', { complete: true, pages: 1, items: 0, count: 0 }, 0, { allowed: true }],
    ['complete, but an item failed validation', complete, 1, { allowed: false, reason: '1 item failed validation (see sync_errors)' }],
    ['complete, but items failed validation', complete, 3, { allowed: false, reason: '3 items failed validation (see sync_errors)' }],
    [
      'an empty page in the middle',
      { complete: false, incomplete: 'page 2 was empty but linked to a next page', pages: 3, items: 200 },
      0,
      { allowed: false, reason: 'page 2 was empty but linked to a next page' },
    ],
    ['incomplete without a reason', { complete: false, pages: 1, items: 1 }, 0, { allowed: false, reason: 'the listing is not complete' }],
    ['no end reported', undefined, 0, { allowed: false, reason: 'the listing did not report how it ended' }],
  ])('%s', (_name, listing, invalid, expected) => {
    expect(deletionVerdict(listing, invalid)).toEqual(expected);
  });
});
