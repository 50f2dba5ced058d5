import { describe, expect, it } from 'vitest';
import { sameInstant } from '../../../src/endpoints/repositories.js';
import { tagReadReason, type TagReadInputs } from '../../../src/sync/plan.js';

const DAY = 86_400_000;
const now = '2026-06-10T12:00:00.000Z';
const read = { at: '2026-06-09T12:00:00.000Z', lastUpdated: '2026-06-01T00:00:00Z', pullCount: 40 };
const base: TagReadInputs = { full: false, listed: { lastUpdated: '2026-06-01T00:00:00.000000Z', pullCount: 40 }, lastRead: read, now, refreshMs: 7 * DAY, sameInstant };

describe('tagReadReason', () => {
  it.each<[string, Partial<TagReadInputs>, ReturnType<typeof tagReadReason>]>([
    ['nothing moved, read a day ago', {}, null],
    ['--full', { full: true }, 'full'],
    ['never read', { lastRead: undefined }, 'new'],
    ['pushed: last_updated moved', { listed: { lastUpdated: '2026-06-10T11:00:00Z', pullCount: 40 } }, 'pushed'],
    ['pulled: pull_count moved', { listed: { lastUpdated: '2026-06-01T00:00:00Z', pullCount: 41 } }, 'pulled'],
    ['pull count first known now', { lastRead: { ...read, pullCount: null } }, 'pulled'],
    ['safety net due', { refreshMs: DAY / 2 }, 'refresh'],
    ['safety net exactly due', { refreshMs: DAY }, 'refresh'],
  ])('%s', (_, change, expected) => {
    expect(tagReadReason({ ...base, ...change })).toBe(expected);
  });
});
