import { Cron } from 'croner';

/**
 * Cron arithmetic on croner, without starting anything. Schedules are evaluated in UTC so that
 * every replica, whatever its local time zone, agrees on when a tick is due and what it is
 * called (the tick's time names its run group).
 */

export const SCHEDULE_TIMEZONE = 'UTC';

/** A pattern-only croner instance: croner validates in the constructor and never schedules without a function. */
export function cronPattern(expression: string): Cron {
  return new Cron(expression, { timezone: SCHEDULE_TIMEZONE });
}

/** Why `expression` is not a usable schedule, or undefined when it is. */
export function cronProblem(expression: string, now = new Date()): string | undefined {
  // croner reads a seventh field as a year; other cron tools read it differently or not at all,
  // and a year-bound schedule stops firing for good, so only 5 or 6 fields are accepted.
  const fields = expression.trim().split(/\s+/).length;
  if (!expression.trim().startsWith('@') && fields === 7) return '7 fields: a year field is not supported';
  let pattern: Cron;
  try {
    pattern = cronPattern(expression);
  } catch (error) {
    return (error as Error).message.replace(/^CronPattern: /, '');
  }
  // Valid syntax that never fires (30 February) is as useless as a typo.
  if (pattern.nextRun(now) === null) return 'never fires';
  return undefined;
}

export function nextRunOf(expression: string, after: Date): Date | null {
  return cronPattern(expression).nextRun(after);
}

/** The latest time the schedule fires at or before `at` (a run in the same second counts). */
export function previousRunOf(expression: string, at: Date): Date | null {
  return cronPattern(expression).previousRuns(1, at)[0] ?? null;
}

/**
 * The tick a callback that fired at `firedAt` belongs to: the scheduled time, whole seconds.
 * Timers fire a few milliseconds late (and under load, later), so the firing time itself would
 * differ between replicas; the scheduled time does not.
 */
export function scheduledTimeOf(expression: string, firedAt: Date): Date {
  const second = new Date(Math.floor(firedAt.getTime() / 1000) * 1000);
  const pattern = cronPattern(expression);
  if (pattern.match(second)) return second;
  return pattern.previousRuns(1, second)[0] ?? second;
}

/**
 * The longest gap between consecutive runs over the next `samples` runs: how long a healthy job
 * may go without a tick (an irregular schedule like `0 9,17 * * *` waits longest overnight).
 */
export function longestGapMs(expression: string, from: Date, samples = 8): number | null {
  const runs = cronPattern(expression).nextRuns(samples + 1, from);
  if (runs.length < 2) return null;
  let longest = 0;
  for (let i = 1; i < runs.length; i++) longest = Math.max(longest, runs[i]!.getTime() - runs[i - 1]!.getTime());
  return longest;
}
