import { describe, expect, it } from 'vitest';
import { cronProblem, longestGapMs, nextRunOf, previousRunOf, scheduledTimeOf } from '../../../src/scheduler/cron.js';
import { runGroupOf } from '../../../src/scheduler/scheduler.js';

const at = (iso: string) => new Date(iso);

describe('cronProblem', () => {
  it.each([
    ['*/5 * * * *', undefined],
    ['0 * * * *', undefined],
    ['*/2 * * * * *', undefined],
    ['30 3 * * 1-5', undefined],
    ['@hourly', undefined],
    ['every hour', /five, six, or seven/],
    ['61 * * * *', /minute/],
    ['* * 32 * *', /day/],
    ['0 0 30 2 *', /never fires/],
    ['0 0 * * * * 2030', /7 fields/],
    ['0 0 0 1 1 ? 2099', /7 fields/],
    ['', /five, six, or seven/],
  ])('%j → %s', (expression, expected) => {
    const problem = cronProblem(expression, at('2025-01-15T12:00:00Z'));
    if (expected === undefined) expect(problem).toBeUndefined();
    else expect(problem).toMatch(expected);
  });
});

describe('tick times (UTC)', () => {
  it.each([
    ['fired on time', '*/5 * * * * *', '2025-01-15T12:00:05.004Z', '2025-01-15T12:00:05.000Z'],
    ['fired 1.3 s late', '*/5 * * * * *', '2025-01-15T12:00:06.300Z', '2025-01-15T12:00:05.000Z'],
    ['hourly, a little late', '0 * * * *', '2025-01-15T13:00:00.250Z', '2025-01-15T13:00:00.000Z'],
    ['daily, minutes late', '30 3 * * *', '2025-01-15T03:33:10.000Z', '2025-01-15T03:30:00.000Z'],
  ])('scheduledTimeOf: %s', (_name, expression, firedAt, expected) => {
    expect(scheduledTimeOf(expression, at(firedAt)).toISOString()).toBe(expected);
  });

  it('previousRunOf includes a run in the same second and finds the last one before', () => {
    expect(previousRunOf('0 * * * *', at('2025-01-15T13:00:00.900Z'))?.toISOString()).toBe('2025-01-15T13:00:00.000Z');
    expect(previousRunOf('0 * * * *', at('2025-01-15T13:59:59Z'))?.toISOString()).toBe('2025-01-15T13:00:00.000Z');
    expect(previousRunOf('30 3 * * *', at('2025-01-15T02:00:00Z'))?.toISOString()).toBe('2025-01-14T03:30:00.000Z');
  });

  it('nextRunOf is strictly after', () => {
    expect(nextRunOf('0 * * * *', at('2025-01-15T13:00:00Z'))?.toISOString()).toBe('2025-01-15T14:00:00.000Z');
  });

  it.each([
    ['*/5 * * * *', 300_000],
    ['*/3 * * * * *', 3_000],
    ['0 9,17 * * *', 16 * 3_600_000],
    ['30 3 * * *', 86_400_000],
  ])('longestGapMs(%j) = %d', (expression, expected) => {
    expect(longestGapMs(expression, at('2025-01-15T12:00:00Z'))).toBe(expected);
  });

  it('run groups name the job and the tick, without milliseconds', () => {
    expect(runGroupOf('repositories', at('2025-01-15T13:00:00.000Z'))).toBe('repositories@2025-01-15T13:00:00Z');
  });
});
