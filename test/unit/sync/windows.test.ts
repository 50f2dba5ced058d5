import { describe, expect, it } from 'vitest';
import { backfillStart, incrementalStart, initialGrowth, nextGrowth, readGrowingWindows, splitWindows } from '../../../src/sync/windows.js';

const H = 3_600_000;
const D = 24 * H;
const T0 = Date.parse('2025-01-10T00:00:00Z');

describe('splitWindows', () => {
  it.each([
    { from: T0, to: T0 + 3 * D, size: D, expected: 3 },
    { from: T0, to: T0 + 3 * D + H, size: D, expected: 4 },
    { from: T0, to: T0 + H, size: D, expected: 1 },
    { from: T0, to: T0, size: D, expected: 0 },
    { from: T0 + D, to: T0, size: D, expected: 0 },
  ])('$from..$to by $size → $expected windows', ({ from, to, size, expected }) => {
    const windows = splitWindows(from, to, size);
    expect(windows).toHaveLength(expected);
    if (expected > 0) {
      expect(windows[0]!.from).toBe(new Date(from).toISOString());
      expect(windows.at(-1)!.to).toBe(new Date(to).toISOString());
      // Contiguous: no gap, no overlap.
      for (let i = 1; i < windows.length; i++) expect(windows[i]!.from).toBe(windows[i - 1]!.to);
    }
  });
  it('rejects a zero window', () => expect(() => splitWindows(0, 1, 0)).toThrow());
});

describe('incrementalStart', () => {
  const options = { overlapMs: 10 * 60_000, initialLookbackMs: 90 * D, full: false };
  it.each([
    { name: 'no cursor: initial look-back', cursor: undefined, expected: T0 - 90 * D },
    { name: 'cursor minus overlap', cursor: { until: new Date(T0 - H).toISOString() }, expected: T0 - H - 10 * 60_000 },
    { name: 'cursor in the future is capped at now', cursor: { until: new Date(T0 + D).toISOString() }, expected: T0 },
    { name: 'garbage cursor: initial look-back', cursor: { until: 'nope' }, expected: T0 - 90 * D },
  ])('$name', ({ cursor, expected }) => expect(incrementalStart(cursor, T0, options)).toBe(expected));
  it('--full ignores the cursor', () =>
    expect(incrementalStart({ until: new Date(T0).toISOString() }, T0, { ...options, full: true })).toBe(T0 - 90 * D));
});

describe('backfillStart', () => {
  const from = '2024-01-01T00:00:00.000Z';
  const to = '2024-03-01T00:00:00.000Z';
  it('starts at --from without a cursor', () => expect(backfillStart(undefined, from, to)).toBe(Date.parse(from)));
  it('resumes the same range where it stopped', () =>
    expect(backfillStart({ from, to, doneUntil: '2024-02-01T00:00:00.000Z' }, from, to)).toBe(Date.parse('2024-02-01T00:00:00Z')));
  it('resumes when only the end moved on (a later "now")', () =>
    expect(backfillStart({ from, to, doneUntil: to }, from, '2024-04-01T00:00:00Z')).toBe(Date.parse(to)));
  it('never starts past the end', () =>
    expect(backfillStart({ from, to, doneUntil: to }, from, '2024-02-01T00:00:00Z')).toBe(Date.parse('2024-02-01T00:00:00Z')));
  it('starts over for a different start', () =>
    expect(backfillStart({ from, to, doneUntil: '2024-02-01T00:00:00.000Z' }, '2023-12-01T00:00:00Z', to)).toBe(Date.parse('2023-12-01T00:00:00Z')));
});

describe('nextGrowth', () => {
  const free = (sizeMs: number) => ({ sizeMs, ceilingMs: 64 * D });
  it.each([
    { name: 'an empty window doubles', state: free(D), read: D, outcome: 'empty', expected: free(2 * D) },
    { name: 'growth stops at the cap', state: free(48 * D), read: 48 * D, outcome: 'empty', expected: free(64 * D) },
    { name: 'events go back to the configured length and lift the ceiling', state: { sizeMs: 4 * D, ceilingMs: 4 * D }, read: 4 * D, outcome: 'events', expected: free(D) },
    { name: 'a spill halves the window read and caps growth there', state: free(32 * D), read: 20 * D, outcome: 'spilled', expected: { sizeMs: 10 * D, ceilingMs: 10 * D } },
    { name: 'after a spill, empty windows keep the ceiling', state: { sizeMs: 10 * D, ceilingMs: 10 * D }, read: 10 * D, outcome: 'empty', expected: { sizeMs: 10 * D, ceilingMs: 10 * D } },
    { name: 'a spill never goes below the configured length', state: free(3 * D), read: 1.5 * D, outcome: 'spilled', expected: { sizeMs: D, ceilingMs: D } },
  ] as const)('$name', ({ state, read, outcome, expected }) => expect(nextGrowth(state, read, outcome, D, 64)).toEqual(expected));
  it('rejects a zero window', () => expect(() => initialGrowth(0)).toThrow());
});

describe('readGrowingWindows', () => {
  // Events at these instants; a "page" holds PAGE events.
  const PAGE = 3;
  function simulate(fromMs: number, toMs: number, events: number[], baseMs = 7 * D) {
    const used: { from: number; to: number; events: number }[] = [];
    const reads: string[] = [];
    const result = readGrowingWindows(fromMs, toMs, baseMs, async (window, grown) => {
      const from = Date.parse(window.from);
      const to = Date.parse(window.to);
      const inside = events.filter((t) => t >= from && t < to).length;
      reads.push(`${window.from}..${window.to}${grown ? ' grown' : ''}`);
      if (grown && inside > PAGE) return 'spilled';
      used.push({ from, to, events: inside });
      return inside === 0 ? 'empty' : 'events';
    });
    return result.then((summary) => ({ ...summary, used, reads }));
  }

  it.each([
    { name: 'no events since year 1', from: '0001-01-01', events: [] as number[], maxReads: 20 },
    { name: 'recent events only', from: '0001-01-01', events: [-1, -2, -3, -10, -11, -40, -41, -42, -43, -44, -89].map((d) => T0 + d * D), maxReads: 60 },
    { name: 'one old event and recent ones', from: '1990-01-01', events: [Date.parse('2001-05-05T00:00:00Z'), T0 - D, T0 - 2 * D], maxReads: 40 },
    { name: 'a dense stretch', from: '2024-06-01', events: Array.from({ length: 200 }, (_, i) => T0 - (i + 1) * 3 * H), maxReads: 40 },
  ])('$name: every event read exactly once, windows contiguous, few reads', async ({ from, events, maxReads }) => {
    const fromMs = Date.parse(`${from}T00:00:00Z`);
    const { used, windows, reads } = await simulate(fromMs, T0, events);
    // The windows that were used tile [from, to) with no gap and no overlap …
    expect(used[0]!.from).toBe(fromMs);
    expect(used.at(-1)!.to).toBe(T0);
    for (let i = 1; i < used.length; i++) expect(used[i]!.from).toBe(used[i - 1]!.to);
    // … so each event is in exactly one of them.
    expect(used.reduce((sum, w) => sum + w.events, 0)).toBe(events.length);
    // A used window with more than a page of events always has the configured length (or ends at `to`).
    for (const w of used) if (w.events > PAGE) expect(w.to - w.from <= 7 * D || w.to === T0).toBe(true);
    expect(windows, reads.join('\n')).toBeLessThanOrEqual(maxReads);
    expect(windows).toBe(reads.length);
  });

  it('without growth the same year-1 backfill would take one read per week', () =>
    expect(splitWindows(Date.parse('0001-01-01T00:00:00Z'), T0, 7 * D).length).toBeGreaterThan(100_000));

  it('refuses to abandon a window of the configured length', async () =>
    expect(readGrowingWindows(0, 10 * D, D, async () => 'spilled')).rejects.toThrow(/configured length/));
});
