import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { tagRefresh, type TagCursor } from '../../../src/endpoints/tags.js';
import { dueReason, type DueInputs } from '../../../src/sync/chaining.js';

const DAY = 86_400_000;
const now = '2026-06-10T12:00:00.000Z';
const config = (refreshMs: number) => loadConfig({ env: { TAG_REFRESH_INTERVAL: `${refreshMs}ms`, LOG_LEVEL: 'silent' } });

interface Case {
  full?: boolean;
  /** The repository's row now. */
  row?: { last_updated: string | null; pull_count: number | null };
  /** The tags' cursor (undefined: never read). */
  cursor?: TagCursor | undefined;
  liveRows?: number;
  refreshMs?: number;
}

const read = { at: '2026-06-09T12:00:00.000Z', last_updated: '2026-06-01T00:00:00Z', pull_count: 40, tags: 3 };
const reason = (c: Case) => {
  const inputs: DueInputs = {
    full: c.full ?? false,
    row: c.row ?? { last_updated: '2026-06-01T00:00:00.000000Z', pull_count: 40 },
    lastRead: tagRefresh.lastRead('cursor' in c ? c.cursor : { tags: 3, read }),
    liveRows: c.liveRows ?? 3,
    now,
    config: config(c.refreshMs ?? 7 * DAY),
  };
  return dueReason(tagRefresh, inputs);
};

/** The tags' refreshWhen: the repository list says whose tags to read, and why. */
describe('tag refresh rule', () => {
  it.each<[string, Case, string | null]>([
    ['nothing moved, read a day ago', {}, null],
    ['--full', { full: true }, 'full'],
    ['never read', { cursor: undefined }, 'new'],
    ['pushed: last_updated moved', { row: { last_updated: '2026-06-10T11:00:00Z', pull_count: 40 } }, 'pushed'],
    ['pulled: pull_count moved', { row: { last_updated: '2026-06-01T00:00:00Z', pull_count: 41 } }, 'pulled'],
    ['pull count first known now', { cursor: { read: { ...read, pull_count: null } } }, 'pulled'],
    ['restored: the tags it left live are gone', { liveRows: 0 }, 'restored'],
    ['safety net due', { refreshMs: DAY / 2 }, 'refresh'],
    ['safety net exactly due', { refreshMs: DAY }, 'refresh'],
  ])('%s', (_, change, expected) => {
    expect(reason(change)).toBe(expected);
  });
});
