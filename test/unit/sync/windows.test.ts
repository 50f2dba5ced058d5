import { describe, expect, it } from 'vitest';
import { backfillStart, incrementalStart, splitWindows } from '../../../src/sync/windows.js';

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
